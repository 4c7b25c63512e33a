_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py',
    '../_base_/datasets/coco14_pseudo.py', '../_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=81))
# checkpoints written to a temporary name and renamed, the old ones
# removed only after (a kill or a full disk never loses the last one)
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
