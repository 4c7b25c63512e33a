# Stage 3 with an mmpretrain backbone (ConvNeXt-T): DeepLab-v3+ on its
# stride-4 and stride-32 features, trained on pseudo-labels.
_base_ = ['./deeplabv3plus_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py']
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ConvNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        gap_before_final_norm=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'convnext/convnext-tiny_32xb128_in1k_20220124-18abde00.pth',
            prefix='backbone.')),
    decode_head=dict(in_channels=768, in_index=3, c1_in_channels=96),
    auxiliary_head=dict(in_channels=384, in_index=2))
# checkpoints written to a temporary name and renamed, the old ones
# removed only after (a kill or a full disk never loses the last one)
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
