# DeepLab-v2: mmseg's dilated ResNet (output stride 8) with the v2 ASPP
# classifier (sum of four dilated 3x3 convolutions).
_base_ = ['mmseg::_base_/models/deeplabv3_r50-d8.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='ASPPV2Head',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(6, 12, 18, 24),
        dropout_ratio=0.0,
        num_classes=19,
        align_corners=False,
        # averaged over the labelled pixels (255 ignored), as the
        # reference's nn.CrossEntropyLoss(ignore_index=255)
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=None)
