# The HFPL add-on (ISL + FSL, binomial posteriors), merged into a baseline's
# decode head by its twin config:
#   _base_ = ['./<baseline>.py', '../_base_/hfpl_addon.py']
#   model = dict(decode_head=_base_.hfpl_decode_head)       # VOC
#   model = dict(decode_head=_base_.hfpl_decode_head_coco)  # COCO
# Mixing (1 - w) * GAP + w * ISL with w = 0.2 (the head scales its GAP loss by
# 1 - w) and K = 10; FSL with mu = 2.5, sigma = 5 CAM pixels, weight 1 on VOC
# and 0.2 on COCO, as the reference. impl='auto': all pixel pairs (exact, as
# the reference) where they fit 64 MiB, else the 3-sigma window.
hfpl_isl_weight = 0.2
hfpl_loss_isl = dict(
    type='ImportanceSamplingLoss',
    num_samples=10,
    posterior='binomial',
    loss_weight=hfpl_isl_weight)
hfpl_loss_fsl = dict(
    type='FeatureSimilarityLoss',
    posterior='binomial',
    mu=2.5,
    sigma=5.0,
    impl='auto',
    loss_weight=1.0)
hfpl_decode_head = dict(loss_isl=hfpl_loss_isl, loss_fsl=hfpl_loss_fsl)
hfpl_decode_head_coco = dict(
    loss_isl=hfpl_loss_isl, loss_fsl=dict(hfpl_loss_fsl, loss_weight=0.2))
