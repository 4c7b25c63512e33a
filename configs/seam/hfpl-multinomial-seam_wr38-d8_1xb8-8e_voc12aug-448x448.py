# SEAM with the multinomial forms of HFPL's predecessor ("Importance sampling
# CAMs", arXiv 2203.12459, github arvijj/icam), its own baseline: a learned
# background channel, the predecessor's SEAM recipe (views summed, PCM on
# the logits with a max-pooled loss over background + classes, ER / ECR on
# the softmax probabilities), softmax ISL (w 0.8, K 100) on both views and
# FSL (weight 0.5); CAMs 0.5 * cam + 0.5 * PCM(cam). The binomial-vs-
# multinomial comparison of the paper on the paper's baseline.
_base_ = [
    './seam_wr38-d8_1xb8-8e_voc12aug-448x448.py', '../_base_/hfpl_addon.py'
]
model = dict(
    decode_head=_base_.hfpl_multinomial_decode_head,
    addon=_base_.hfpl_multinomial_addon,
    test_cfg=_base_.hfpl_multinomial_test_cfg)
