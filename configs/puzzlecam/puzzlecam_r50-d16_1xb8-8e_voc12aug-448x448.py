_base_ = [
    '../_base_/models/puzzlecam_r50-d16.py',
    '../_base_/datasets/voc12_weak.py', '../_base_/default_runtime.py',
    '../_base_/schedules/poly_8e.py'
]
