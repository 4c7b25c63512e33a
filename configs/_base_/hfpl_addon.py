# The HFPL add-on (ISL + FSL, binomial posteriors), merged into a baseline's
# decode head by its twin config:
#   _base_ = ['./<baseline>.py', '../_base_/hfpl_addon.py']
#   model = dict(decode_head=_base_.hfpl_decode_head)
# Mixing (1 - w) * GAP + w * ISL with w = 0.2 and K = 10; FSL with mu = 2.5,
# sigma = 5 CAM pixels.
hfpl_isl_weight = 0.2
hfpl_decode_head = dict(
    loss_decode=dict(loss_weight=1.0 - hfpl_isl_weight),
    loss_isl=dict(
        type='ImportanceSamplingLoss',
        num_samples=10,
        posterior='binomial',
        loss_weight=hfpl_isl_weight),
    loss_fsl=dict(
        type='FeatureSimilarityLoss',
        posterior='binomial',
        mu=2.5,
        sigma=5.0,
        impl='local',
        loss_weight=1.0))
