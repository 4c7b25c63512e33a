from .compat import (allow_mmengine_checkpoints, check_mmcv,
                     checkpoint_safe_globals)
from .labels import stack_cls_labels

__all__ = [
    'allow_mmengine_checkpoints', 'check_mmcv', 'checkpoint_safe_globals',
    'stack_cls_labels'
]
from .pretrained import check_pretrained  # noqa: E402

__all__ += ['check_pretrained']
