from .coco_weak import COCO_CLASSES, COCOWeakDataset
from .transforms import LoadCheckedImageFromFile, PackWeakSegInputs
from .voc_weak import VOCWeakDataset

__all__ = [
    'COCO_CLASSES', 'COCOWeakDataset', 'LoadCheckedImageFromFile',
    'PackWeakSegInputs', 'VOCWeakDataset'
]
