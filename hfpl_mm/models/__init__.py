from .backbones import WideResNet38
from .heads import (AffinityHead, ASPPV2Head, CAMHead, DeepLabV1Head,
                    SEAMHead)
from .losses import (FeatureSimilarityLoss, HFPLAddon, ImportanceSamplingLoss,
                     MultiLabelSoftMarginLoss)
from .necks import GlobalAvgPool, ImportanceSamplingPool
from .segmentors import (AffinityNet, CAMSegmentor, CRFSegTTAModel,
                         PuzzleCAMSegmentor, SEAMSegmentor)

__all__ = [
    'WideResNet38', 'AffinityHead', 'ASPPV2Head', 'CAMHead', 'DeepLabV1Head',
    'SEAMHead', 'CRFSegTTAModel',
    'FeatureSimilarityLoss', 'HFPLAddon', 'ImportanceSamplingLoss',
    'MultiLabelSoftMarginLoss', 'GlobalAvgPool', 'ImportanceSamplingPool',
    'AffinityNet', 'CAMSegmentor', 'PuzzleCAMSegmentor', 'SEAMSegmentor'
]
