_base_ = [
    './cam_r50-d16_1xb8-8e_coco14-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon_coco)
