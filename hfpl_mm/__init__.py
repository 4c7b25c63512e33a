# Copyright (c) hfpl-mm contributors. All rights reserved.
"""hfpl-mm: high-fidelity pseudo-labels for WSSS, as an OpenMMLab plugin.

Importing the package checks the mmcv build, allow-lists the classes that
mmengine checkpoints need under torch's ``weights_only`` loading, and
registers every module in the mmseg / mmpretrain registries.
"""
from .utils.compat import allow_mmengine_checkpoints, check_mmcv

check_mmcv()
allow_mmengine_checkpoints()

from . import (apis, datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)
from .version import __version__  # noqa: E402

__all__ = [
    '__version__', 'apis', 'datasets', 'engine', 'evaluation', 'models',
    'visualization'
]
