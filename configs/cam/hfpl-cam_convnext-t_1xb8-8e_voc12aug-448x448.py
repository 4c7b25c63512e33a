_base_ = [
    './cam_convnext-t_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon)
