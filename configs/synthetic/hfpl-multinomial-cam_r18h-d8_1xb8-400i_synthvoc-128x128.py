# The bundled default with the predecessor's multinomial forms (learned
# background channel, softmax ISL and FSL), for the binomial-vs-multinomial
# ablation; sigma scaled to the 16x16 CAMs as in the binomial twin.
_base_ = [
    './cam_r18h-d8_1xb8-400i_synthvoc-128x128.py', '../_base_/hfpl_addon.py'
]
model = dict(
    decode_head=_base_.hfpl_multinomial_decode_head,
    addon=dict(
        _base_.hfpl_multinomial_addon,
        loss_fsl=dict(_base_.hfpl_multinomial_loss_fsl, sigma=1.5)))
