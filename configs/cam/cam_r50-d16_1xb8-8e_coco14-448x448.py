_base_ = [
    '../_base_/models/cam_r50-d16.py', '../_base_/datasets/coco14_weak.py',
    '../_base_/default_runtime.py', '../_base_/schedules/poly_8e.py'
]
model = dict(decode_head=dict(num_classes=80))
