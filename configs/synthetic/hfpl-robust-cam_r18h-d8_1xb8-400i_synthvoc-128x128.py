# The bundled default with the HFPL add-on's robust FSL (the ablation's
# hfpl-warmup-certainty): its weight ramped up over the first half of
# training and its pixel pairs weighted by the CAMs' certainty; sigma scaled
# to the 16x16 CAMs as in the plain twin.
_base_ = [
    './cam_r18h-d8_1xb8-400i_synthvoc-128x128.py', '../_base_/hfpl_addon.py'
]
model = dict(
    addon=dict(
        _base_.hfpl_robust_addon,
        loss_fsl=dict(_base_.hfpl_robust_loss_fsl, sigma=1.5)))
