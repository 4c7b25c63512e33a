from .cam_norm import CAM_NORMS, normalize_cams
from .importance_sampling import (POSTERIORS, importance_sample,
                                  sampling_distribution)
from .pairs import half_disk_offsets, pair_slices

__all__ = [
    'CAM_NORMS', 'normalize_cams', 'POSTERIORS', 'importance_sample',
    'sampling_distribution', 'half_disk_offsets', 'pair_slices'
]
