from .cam_contract import (ADDON_KEYS, check_cam_head, loss_modules,
                           refuse_addon_keys_in_head)
from .cam_norm import CAM_NORMS, normalize_cams
from .importance_sampling import (PROB_EPS, POSTERIORS, importance_sample,
                                  probs_to_logits, sampling_distribution)
from .pairs import half_disk_offsets, pair_slices

__all__ = [
    'ADDON_KEYS', 'check_cam_head', 'loss_modules',
    'refuse_addon_keys_in_head', 'CAM_NORMS', 'normalize_cams', 'POSTERIORS',
    'PROB_EPS',
    'importance_sample', 'probs_to_logits', 'sampling_distribution',
    'half_disk_offsets', 'pair_slices'
]
