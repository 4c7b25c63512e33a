from .affinity import (AffinityLabelFromScores, LoadAffinityScores,
                       affinity_label_from_scores, load_affinity_scores)
from .formatting import LoadCheckedImageFromFile, PackWeakSegInputs
from .transforms import (RandomCropOrPad, RandomHSVShift, RandomRescale,
                         RandomResizeLong)

__all__ = [
    'AffinityLabelFromScores', 'LoadAffinityScores',
    'LoadCheckedImageFromFile', 'PackWeakSegInputs', 'RandomCropOrPad',
    'RandomHSVShift', 'RandomRescale', 'RandomResizeLong',
    'affinity_label_from_scores', 'load_affinity_scores'
]
