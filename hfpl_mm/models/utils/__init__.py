from .pairs import half_disk_offsets, pair_slices, square_window_offsets

__all__ = ['half_disk_offsets', 'pair_slices', 'square_window_offsets']
