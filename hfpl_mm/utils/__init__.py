from .compat import (allow_mmengine_checkpoints, check_mmcv,
                     checkpoint_safe_globals)
from .labels import stack_cls_labels

__all__ = [
    'allow_mmengine_checkpoints', 'check_mmcv', 'checkpoint_safe_globals',
    'stack_cls_labels'
]
from .pretrained import (skip_unavailable_pretrained,  # noqa: E402
                         skip_unavailable_pretrained_cfg)

__all__ += ['skip_unavailable_pretrained', 'skip_unavailable_pretrained_cfg']
