# Synthetic-scale Puzzle-CAM with the HFPL add-on (on the full image; the
# merged tiles keep plain GAP, as the reference); sigma scaled to the 16x16
# CAMs as in the vanilla-CAM twin.
_base_ = [
    './puzzlecam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
    '../_base_/hfpl_addon.py'
]
model = dict(
    addon=dict(
        _base_.hfpl_addon, loss_fsl=dict(_base_.hfpl_loss_fsl, sigma=1.5)))
