_base_ = [
    '../_base_/models/seam_wr38-d8.py', '../_base_/datasets/voc12_weak.py',
    '../_base_/default_runtime.py', '../_base_/schedules/poly_8e.py'
]
