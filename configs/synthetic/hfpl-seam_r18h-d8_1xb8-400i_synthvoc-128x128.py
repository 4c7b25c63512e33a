# Synthetic-scale SEAM with the HFPL add-on (ISL on the full view, FSL);
# sigma scaled to the 16x16 CAMs as in the vanilla-CAM twin.
_base_ = [
    './seam_r18h-d8_1xb8-400i_synthvoc-128x128.py', '../_base_/hfpl_addon.py'
]
model = dict(
    addon=dict(
        _base_.hfpl_addon, loss_fsl=dict(_base_.hfpl_loss_fsl, sigma=1.5)))
