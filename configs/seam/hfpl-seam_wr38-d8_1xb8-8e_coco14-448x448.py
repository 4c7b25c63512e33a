# SEAM + the HFPL add-on on COCO: FSL weight 0.2, as the reference.
_base_ = [
    './seam_wr38-d8_1xb8-8e_coco14-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(addon=_base_.hfpl_addon_coco)
