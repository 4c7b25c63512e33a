# mmseg's FCNHead as the CAM head + the HFPL add-on; only the add-on changes.
_base_ = [
    './cam-fcn_r50-d16_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon)
