# Puzzle-CAM at the scale of the bundled default: the same half-width
# ResNet-18, crop, schedule and stage 2 as the vanilla-CAM config; the full
# image and its 2x2 tiles, the reconstruction loss ramped to 4 over the
# first half of training.
_base_ = ['./cam_r18h-d8_1xb8-400i_synthvoc-128x128.py']
model = dict(
    type='PuzzleCAMSegmentor', grid=2, re_weight=4.0, re_warmup=0.5)
