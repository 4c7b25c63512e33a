from .pseudo_labels import (claim_out_dir, generate_pseudo_labels,
                            palette_bytes, save_png_atomic)

__all__ = [
    'claim_out_dir', 'generate_pseudo_labels', 'palette_bytes',
    'save_png_atomic'
]
