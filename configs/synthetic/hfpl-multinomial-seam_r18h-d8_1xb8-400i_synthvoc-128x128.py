# Synthetic-scale SEAM with the multinomial forms of HFPL's predecessor and
# its SEAM recipe (as configs/seam/hfpl-multinomial-seam_wr38-*): a learned
# background channel, softmax ISL on both views, FSL; sigma scaled to the
# 16x16 CAMs. The paper's binomial-vs-multinomial comparison on the paper's
# baseline, at the synthetic scale.
_base_ = [
    './seam_r18h-d8_1xb8-400i_synthvoc-128x128.py', '../_base_/hfpl_addon.py'
]
model = dict(
    decode_head=_base_.hfpl_multinomial_decode_head,
    addon=dict(
        _base_.hfpl_multinomial_addon,
        loss_fsl=dict(_base_.hfpl_multinomial_loss_fsl, sigma=1.5)),
    test_cfg=_base_.hfpl_multinomial_test_cfg)
