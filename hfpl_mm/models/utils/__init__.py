from .cam_norm import CAM_NORMS, normalize_cams
from .pairs import half_disk_offsets, pair_slices, square_window_offsets

__all__ = [
    'CAM_NORMS', 'normalize_cams', 'half_disk_offsets', 'pair_slices',
    'square_window_offsets'
]
