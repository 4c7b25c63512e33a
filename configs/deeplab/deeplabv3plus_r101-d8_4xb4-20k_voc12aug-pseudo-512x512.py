# Stage 3: DeepLab-v3+ ResNet-101 trained on pseudo-labels (PseudoLabels/
# under data_root unless train_dataloader.dataset.data_prefix.seg_map_path is
# overridden), evaluated on VOC val GT.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/datasets/voc12_pseudo.py', '../_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    # cross entropy averaged over the labelled pixels (255 ignored), as
    # the reference's stage 3
    decode_head=dict(
        num_classes=21, loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=dict(
        num_classes=21, loss_decode=dict(avg_non_ignore=True)))
# checkpoints written to a temporary name and renamed, the old ones
# removed only after (a kill or a full disk never loses the last one)
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
