# DeepLab-v1 (LargeFOV) on Wide ResNet-38, the reference's final network
# (lib/net/deeplabv1.py of arvijj/hfpl and SEAM): output stride 8, a 3x3
# convolution of dilation 12 and a 1x1 convolution to 512 channels with BN,
# dropout 0.5, the classifier; logits upsampled with align_corners=True.
# Every BN keeps its affine parameters at 1 / 0 (the reference's optimiser
# takes the convolutions' parameters only) and updates its running
# statistics with momentum 3e-4.
norm_cfg = dict(type='BN', momentum=3e-4, requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(448, 448))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='WideResNet38',
        out_indices=(5, ),
        dropouts=(0.3, 0.5),
        norm_cfg=norm_cfg,
        norm_eval=False,
        # ImageNet weights of PSA / SEAM, converted with
        # tools/model_converters/wr38_psa2mmseg.py
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/wr38_ilsvrc_mmseg.pth')),
    decode_head=dict(
        type='DeepLabV1Head',
        in_channels=4096,
        in_index=0,
        channels=512,
        fov_dilation=12,
        dropout_ratio=0.5,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=True,
        # averaged over the labelled pixels (255 ignored), as the
        # reference's nn.CrossEntropyLoss(ignore_index=255)
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
