from .affinity import (AffinityLabelFromScores, LoadAffinityScores,
                       affinity_label_from_scores, load_affinity_scores)
from .formatting import LoadCheckedImageFromFile, PackWeakSegInputs
from .transforms import RandomCropOrPad, RandomResizeLong

__all__ = [
    'AffinityLabelFromScores', 'LoadAffinityScores',
    'LoadCheckedImageFromFile', 'PackWeakSegInputs', 'RandomCropOrPad',
    'RandomResizeLong',
    'affinity_label_from_scores', 'load_affinity_scores'
]
