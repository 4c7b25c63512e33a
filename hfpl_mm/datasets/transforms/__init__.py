from .affinity import (AffinityLabelFromScores, LoadAffinityScores,
                       affinity_label_from_scores, load_affinity_scores)
from .formatting import LoadCheckedImageFromFile, PackWeakSegInputs

__all__ = [
    'AffinityLabelFromScores', 'LoadAffinityScores',
    'LoadCheckedImageFromFile', 'PackWeakSegInputs',
    'affinity_label_from_scores', 'load_affinity_scores'
]
