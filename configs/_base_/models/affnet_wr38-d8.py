# AffinityNet on Wide ResNet-38: stage 4, 5 and final features projected to
# 64 / 128 / 256 channels; pairs within radius 5 at output stride 8.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(448, 448))
model = dict(
    type='AffinityNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='WideResNet38',
        out_indices=(2, 3, 5),
        # as the reference: every BN in eval mode with frozen affine
        # parameters (batches of 8 are too small for BN statistics), stem and
        # stage 2 frozen
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        frozen_stages=2,
        # ImageNet weights of PSA / SEAM, converted with
        # tools/model_converters/wr38_psa2mmseg.py
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/wr38_ilsvrc_mmseg.pth')),
    head=dict(
        type='AffinityHead',
        in_channels=(512, 1024, 4096),
        channels=(64, 128, 256),
        radius=5),
    # the reference random walk: affinity ** 8, 2 ** 6 steps
    test_cfg=dict(beta=8.0, logt=6))
