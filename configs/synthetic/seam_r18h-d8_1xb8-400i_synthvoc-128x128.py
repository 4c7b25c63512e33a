# SEAM at the scale of the bundled default: the same half-width ResNet-18
# (output stride 8, from scratch), crop, schedule and stage 2 as the
# vanilla-CAM config; PCM taps the backbone's stages 2 and 3 (64 and 128
# channels at stride 8, the taps the synthetic AffinityNet takes), and a
# second view at scale 0.3 for ER / ECR.
_base_ = ['./cam_r18h-d8_1xb8-400i_synthvoc-128x128.py']
model = dict(
    type='SEAMSegmentor',
    rescale=0.3,
    ecr_topk=0.2,
    backbone=dict(out_indices=(1, 2, 3)),
    decode_head=dict(
        type='SEAMHead', in_index=-1, pcm_in_channels=(64, 128)))
