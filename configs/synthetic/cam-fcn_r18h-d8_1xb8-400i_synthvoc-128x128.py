# The bundled default with mmseg's own FCNHead as the CAM head: no code of
# ours in the head. Its conv_seg gives the class maps (with a bias), the
# segmentor pools them (global average pooling) and trains them on the
# image-level labels; the contract is in docs/add_hfpl_to_your_method.md.
_base_ = ['./cam_r18h-d8_1xb8-400i_synthvoc-128x128.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCNHead',
        in_channels=256,
        channels=256,
        num_convs=0,
        concat_input=False,
        in_index=-1,
        num_classes=20,
        dropout_ratio=0.0,
        loss_decode=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)))
