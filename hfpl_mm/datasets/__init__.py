from .coco_weak import COCO_CLASSES, COCOWeakDataset
from .pseudo_label import (AffinityLabelCOCODataset, AffinityLabelDataset,
                           PseudoLabelCOCODataset, PseudoLabelDataset)
from .transforms import (AffinityLabelFromScores, LoadAffinityScores,
                         LoadCheckedImageFromFile, PackWeakSegInputs)
from .voc_weak import VOCWeakDataset

__all__ = [
    'AffinityLabelCOCODataset', 'AffinityLabelDataset',
    'AffinityLabelFromScores', 'LoadAffinityScores',
    'COCO_CLASSES', 'COCOWeakDataset', 'LoadCheckedImageFromFile',
    'PackWeakSegInputs', 'PseudoLabelCOCODataset', 'PseudoLabelDataset',
    'VOCWeakDataset'
]
