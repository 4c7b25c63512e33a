from .compat import (allow_mmengine_checkpoints, check_mmcv,
                     checkpoint_safe_globals)
from .cam_labels import (BG_THRESHOLDS, DEFAULT_BG_POWER,
                         DEFAULT_BG_THRESHOLD, add_background,
                         background_score, threshold_labels)
from .labels import stack_cls_labels

__all__ = [
    'allow_mmengine_checkpoints', 'check_mmcv', 'checkpoint_safe_globals',
    'stack_cls_labels', 'BG_THRESHOLDS', 'DEFAULT_BG_POWER',
    'DEFAULT_BG_THRESHOLD', 'add_background', 'background_score',
    'threshold_labels'
]
from .pretrained import check_pretrained  # noqa: E402

__all__ += ['check_pretrained']
