# Vanilla CAM: ResNet-50 (V1c, output stride 16) + 1x1 classifier + GAP.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(448, 448))
model = dict(
    type='CAMSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        dilations=(1, 1, 1, 2),
        strides=(1, 2, 2, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    decode_head=dict(
        type='CAMHead',
        in_channels=2048,
        channels=2048,
        num_classes=20,
        in_index=-1,
        pooling=dict(type='GlobalAvgPool'),
        loss_decode=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)),
    train_cfg=dict(),
    # the reference's stage-2 inference, the one source for stage 2 and
    # tools/test.py: scales 0.5, 1, 1.5, 2 + flip; the background score of
    # its pseudo-label PNGs, 0.26
    test_cfg=dict(bg_mode='threshold', bg_threshold=0.26,
                  scales=(0.5, 1.0, 1.5, 2.0), flip=True))
