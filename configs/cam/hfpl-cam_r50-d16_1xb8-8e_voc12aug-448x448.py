# Vanilla CAM + the HFPL add-on (ISL + FSL); only the HFPL fields change.
_base_ = [
    './cam_r50-d16_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon)
