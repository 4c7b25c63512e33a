# HFPL add-on with the robust FSL: its weight ramped up over the first half
# of training and its pixel pairs weighted by the CAMs' certainty.
_base_ = [
    './cam_r50-d16_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_robust_addon)
