# Vanilla CAM with mmseg's own FCNHead as the CAM head (no code of ours in the
# head): its conv_seg gives the class maps, the segmentor pools them (global
# average pooling) and trains them on the image-level labels
# (docs/add_hfpl_to_your_method.md).
_base_ = ['./cam_r50-d16_1xb8-8e_voc12aug-448x448.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCNHead',
        in_channels=2048,
        channels=2048,
        num_convs=0,
        concat_input=False,
        in_index=-1,
        num_classes=20,
        dropout_ratio=0.0,
        loss_decode=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)))
