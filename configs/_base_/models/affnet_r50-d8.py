# AffinityNet on ResNet-50 (V1c, output stride 8): stages 2-4 projected to
# 64 / 128 / 256 channels; pairs within radius 5.
_base_ = ['./affnet_wr38-d8.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    head=dict(in_channels=(512, 1024, 2048)))
