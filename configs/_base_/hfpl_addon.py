# The HFPL add-on (ISL + FSL, binomial posteriors). A twin inherits its
# baseline and this file, and changes nothing else:
#   (1 - w) * GAP + w * ISL with w = 0.2, K = 10; FSL with mu = 2.5,
#   sigma = 5 CAM pixels.
isl_weight = 0.2
model = dict(
    decode_head=dict(
        loss_decode=dict(loss_weight=1.0 - isl_weight),
        loss_isl=dict(
            type='ImportanceSamplingLoss',
            num_samples=10,
            posterior='binomial',
            loss_weight=isl_weight),
        loss_fsl=dict(
            type='FeatureSimilarityLoss',
            posterior='binomial',
            mu=2.5,
            sigma=5.0,
            impl='local',
            loss_weight=1.0)))
