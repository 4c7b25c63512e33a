# Stage 3: DeepLab-v2 ResNet-101 (an alternative to the reference's final
# network, DeepLab-v1 on Wide ResNet-38: deeplabv1_wr38-*) trained on
# pseudo-labels (PseudoLabels/ under data_root unless
# train_dataloader.dataset.data_prefix.seg_map_path is overridden),
# evaluated on VOC val GT.
_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py',
    '../_base_/datasets/voc12_pseudo.py', '../_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21))
# checkpoints written to a temporary name and renamed, the old ones
# removed only after (a kill or a full disk never loses the last one)
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
