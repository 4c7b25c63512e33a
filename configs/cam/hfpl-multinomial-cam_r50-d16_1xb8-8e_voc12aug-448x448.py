# Vanilla CAM + the multinomial forms of HFPL's predecessor (learned
# background channel, softmax ISL with w = 0.8 and K = 100, softmax FSL with
# weight 0.5), the "multinomial" rows of the binomial-vs-multinomial ablation.
_base_ = [
    './cam_r50-d16_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(
    decode_head=_base_.hfpl_multinomial_decode_head,
    addon=_base_.hfpl_multinomial_addon,
    test_cfg=_base_.hfpl_multinomial_test_cfg)
