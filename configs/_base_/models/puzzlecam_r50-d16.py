# Puzzle-CAM: ResNet-50 (output stride 16), full image + 2x2 tiles,
# reconstruction loss ramped to 4.
_base_ = ['./cam_r50-d16.py']
model = dict(type='PuzzleCAMSegmentor', grid=2, re_weight=4.0,
             re_warmup=0.5)
