# SEAM: Wide ResNet-38 (output stride 8) + CAM head with the pixel
# correlation module; a second view at scale 0.3 for ER / ECR.
_base_ = ['./cam_r50-d16.py']
model = dict(
    type='SEAMSegmentor',
    rescale=0.3,
    ecr_topk=0.2,
    backbone=dict(
        _delete_=True,
        type='WideResNet38',
        out_indices=(2, 3, 5),
        dropouts=(0.3, 0.5),
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
    decode_head=dict(
        type='SEAMHead',
        in_channels=4096,
        channels=4096,
        in_index=-1,
        dropout_ratio=0.5,
        pcm_in_channels=(512, 1024)))
