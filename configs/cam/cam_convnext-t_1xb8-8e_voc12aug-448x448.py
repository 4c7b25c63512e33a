# Vanilla CAM with an mmpretrain backbone (ConvNeXt-T, ImageNet-1k weights
# through init_cfg), mixed in by scope: type='mmpretrain.ConvNeXt'.
_base_ = ['./cam_r50-d16_1xb8-8e_voc12aug-448x448.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ConvNeXt',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.1,
        gap_before_final_norm=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'convnext/convnext-tiny_32xb128_in1k_20220124-18abde00.pth',
            prefix='backbone.')),
    decode_head=dict(in_channels=768, channels=768))
