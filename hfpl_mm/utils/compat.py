# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Environment checks and compatibility fixes, applied on import."""
import importlib

MMCV_MIN, MMCV_MAX = '2.0.0', '2.2.0'
SETUP_HINT = ('run `bash tools/setup_env.sh` (builds mmcv 2.1.0 with ops), '
              'or `MMCV_WITH_OPS=1 pip install --no-build-isolation '
              'mmcv==2.1.0`')


def check_mmcv() -> None:
    """Fail early, clearly, when mmcv cannot serve mmseg.

    Raises:
        ImportError: mmcv missing, outside [2.0.0, 2.2.0) (mmseg 1.2.2's
            range), or without its compiled ops (``mmcv._ext``; mmcv-lite).
    """
    try:
        mmcv = importlib.import_module('mmcv')
    except ImportError as e:
        raise ImportError(f'hfpl-mm needs mmcv>={MMCV_MIN},<{MMCV_MAX}: '
                          f'{e}; {SETUP_HINT}') from e
    from mmengine.utils import digit_version
    v = digit_version(mmcv.__version__)
    if not digit_version(MMCV_MIN) <= v < digit_version(MMCV_MAX):
        raise ImportError(
            f'hfpl-mm needs mmcv>={MMCV_MIN},<{MMCV_MAX} (what mmseg 1.2 '
            f'accepts), found mmcv {mmcv.__version__}; {SETUP_HINT}')
    try:
        importlib.import_module('mmcv._ext')
    except ImportError as e:
        raise ImportError(
            f'mmcv {mmcv.__version__} has no compiled ops (mmcv._ext: {e}); '
            f'mmseg imports mmcv.ops, so mmcv-lite does not work; '
            f'{SETUP_HINT}') from e


def history_buffer_getattr(obj, name: str):
    """The only ``getattr`` an mmengine checkpoint may run while loading.

    ``HistoryBuffer.__getstate__`` pickles its statistics functions, which
    pickle stores as ``getattr(HistoryBuffer, 'min')`` and so on. Allowing
    the builtin ``getattr`` would let a checkpoint read any attribute of any
    allowed object; this stand-in serves only registered HistoryBuffer
    statistics and refuses everything else.
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = {'min', 'max', 'current', 'mean'}
    allowed.update(HistoryBuffer._statistics_methods)  # registered ones
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer '
        'statistics methods are allowed when loading with weights_only=True')


def checkpoint_safe_globals() -> list:
    """Exactly the non-tensor globals an mmengine checkpoint pickles.

    torch >= 2.6 loads with ``weights_only=True`` and refuses anything not
    allow-listed; mmengine 0.10 checkpoints hold the message hub's
    ``HistoryBuffer`` (with numpy arrays and scalars inside) and numpy
    dtypes, and HistoryBuffer's statistics functions (served by
    :func:`history_buffer_getattr`). Allow-listing these, rather than loading
    with ``weights_only=False``, keeps arbitrary code out of checkpoint
    loading.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    mods = [HistoryBuffer, np.ndarray, np.dtype]
    try:  # numpy >= 1.25 moved the reconstruct helpers
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - depends on numpy version
        from numpy.core.multiarray import _reconstruct, scalar
    mods += [_reconstruct, scalar]
    mods += [type(np.dtype(t)) for t in ('float64', 'float32', 'int64',
                                          'int32', 'bool')]
    # pickle names the builtin as '__builtin__.getattr' (protocol 2) and
    # torch looks it up as 'builtins.getattr'
    mods += [(history_buffer_getattr, 'builtins.getattr')]
    return mods


def allow_mmengine_checkpoints() -> None:
    """Register :func:`checkpoint_safe_globals` with torch (torch >= 2.4)."""
    import torch.serialization as ts
    if hasattr(ts, 'add_safe_globals'):
        ts.add_safe_globals(checkpoint_safe_globals())
