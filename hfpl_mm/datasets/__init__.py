from .coco_weak import COCO_CLASSES, COCOWeakDataset
from .pseudo_label import (AffinityLabelCOCODataset, AffinityLabelDataset,
                           PseudoLabelCOCODataset, PseudoLabelDataset)
from .transforms import (AffinityLabelFromScores, LoadAffinityScores,
                         LoadCheckedImageFromFile, PackWeakSegInputs)
from .class_list import ClassListMixin, voc_colour_map
from .voc_weak import VOCWeakDataset, WeakSegDataset

__all__ = [
    'AffinityLabelCOCODataset', 'AffinityLabelDataset',
    'AffinityLabelFromScores', 'LoadAffinityScores',
    'COCO_CLASSES', 'COCOWeakDataset', 'LoadCheckedImageFromFile',
    'PackWeakSegInputs', 'PseudoLabelCOCODataset', 'PseudoLabelDataset',
    'VOCWeakDataset', 'WeakSegDataset', 'ClassListMixin', 'voc_colour_map'
]
