from .coco_weak import COCO_CLASSES, COCOWeakDataset
from .pseudo_label import PseudoLabelCOCODataset, PseudoLabelDataset
from .transforms import LoadCheckedImageFromFile, PackWeakSegInputs
from .voc_weak import VOCWeakDataset

__all__ = [
    'COCO_CLASSES', 'COCOWeakDataset', 'LoadCheckedImageFromFile',
    'PackWeakSegInputs', 'PseudoLabelCOCODataset', 'PseudoLabelDataset',
    'VOCWeakDataset'
]
