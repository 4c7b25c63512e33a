from .feature_similarity_loss import (FeatureSimilarityLoss, certainty,
                                      feature_similarity_loss, fsl_dense,
                                      fsl_local, gaussian_tail_mass,
                                      max_prediction_distance,
                                      prediction_maps)
from .hfpl_addon import ADDON_GUIDE, HFPLAddon
from .importance_sampling_loss import (ImportanceSamplingLoss,
                                       importance_sampling_loss)
from .multilabel_soft_margin_loss import (MultiLabelSoftMarginLoss,
                                          multilabel_soft_margin_loss)

__all__ = [
    'FeatureSimilarityLoss', 'certainty', 'feature_similarity_loss',
    'fsl_dense', 'fsl_local', 'gaussian_tail_mass', 'max_prediction_distance',
    'prediction_maps', 'ADDON_GUIDE', 'HFPLAddon', 'ImportanceSamplingLoss',
    'importance_sampling_loss',
    'MultiLabelSoftMarginLoss', 'multilabel_soft_margin_loss'
]
from .seam_losses import (equivariant_cross_reg_loss, equivariant_reg_loss,
                          keep_max_foreground, pcm_min_loss,
                          with_background)

__all__ += [
    'equivariant_cross_reg_loss', 'equivariant_reg_loss',
    'keep_max_foreground', 'pcm_min_loss', 'with_background'
]
