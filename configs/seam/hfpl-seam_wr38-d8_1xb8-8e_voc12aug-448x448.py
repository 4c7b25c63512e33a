# SEAM + the HFPL add-on, the setting of the paper's main results.
_base_ = [
    './seam_wr38-d8_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon)
