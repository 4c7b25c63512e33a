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


#: The statistics an mmengine checkpoint pickles for its HistoryBuffers.
HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(obj, name: str):
    """The only ``getattr`` an mmengine checkpoint may run while loading.

    ``HistoryBuffer.__getstate__`` pickles its statistics functions, which
    pickle stores as ``getattr(HistoryBuffer, 'min')`` and so on. Allowing
    the builtin ``getattr`` would let a checkpoint read any attribute of any
    allowed object; this stand-in serves exactly the four built-in
    statistics (:data:`HISTORY_STATISTICS`) and refuses everything else
    (``__init__``, custom registered names, ...).
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in HISTORY_STATISTICS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer '
        f'statistics {HISTORY_STATISTICS} are allowed')


def _history_buffer_setstate(self, state: dict) -> None:
    """``HistoryBuffer.__setstate__`` that refuses a checkpoint mapping a
    statistic to another function: mmengine's own would copy the mapping
    into the class-wide table (a crafted checkpoint could make every
    logger's 'mean' return the max, process-wide)."""
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    methods = state.pop('statistics_methods', {})
    for name, fn in methods.items():
        if name not in HISTORY_STATISTICS or fn is not getattr(
                HistoryBuffer, name):
            raise pickle.UnpicklingError(
                f'checkpoint maps HistoryBuffer statistic {name!r} to {fn!r}')
    self._set_default_statistics()
    self.__dict__.update(state)


class _WeightsOnlyTorch:
    """Stands for the ``torch`` module inside mmengine's checkpoint module:
    everything is torch's, except that ``load`` always passes
    ``weights_only=True`` explicitly (so neither an old torch default nor
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns it into a full unpickle)
    and refuses a caller asking for ``weights_only=False``."""

    def __getattr__(self, name: str):
        import torch
        return getattr(torch, name)

    @staticmethod
    def load(f, *args, weights_only: bool = True, **kwargs):
        import pickle
        if weights_only is not True:
            raise pickle.UnpicklingError(
                'hfpl-mm loads checkpoints with weights_only=True only')
        return load_weights_only(f, *args, **kwargs)


def load_weights_only(f, *args, **kwargs):
    """``torch.load(f, weights_only=True)`` whose failures name the file
    and say what it is: a file that is not a weights-only checkpoint (a raw
    pickle, or objects beyond tensors and plain data: loading it could run
    code) or not a whole one (truncated, corrupt), instead of torch's
    unpickler messages ('Unsupported operand 149 ... Please file an issue').

    Args:
        f (str | file): The checkpoint.

    Raises:
        pickle.UnpicklingError: Not a weights-only checkpoint.
        RuntimeError: Not a whole checkpoint.
    """
    import pickle

    import torch
    name = f if isinstance(f, str) else getattr(f, 'name', repr(f))
    try:
        return torch.load(f, *args, weights_only=True, **kwargs)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[-1][:200] if str(e) else ''
        raise pickle.UnpicklingError(
            f'{name} is not a weights-only checkpoint (a raw pickle, or it '
            'holds objects beyond tensors and plain data, which could run '
            'code when loaded), so hfpl-mm does not load it; save the weights '
            f'with torch.save(model.state_dict(), path) ({first})') from e
    except RuntimeError as e:
        if 'zip archive' not in str(e) and 'PytorchStreamReader' not in str(e):
            raise
        raise RuntimeError(
            f'{name} is not a whole checkpoint (truncated or corrupt: '
            f'{str(e).splitlines()[0][:160]})') from e


def _load_url_weights_only(url: str, model_dir=None, map_location=None,
                           progress: bool = True, check_hash: bool = False,
                           file_name=None):
    """mmengine's ``load_url`` (torch.hub's, whose default is a full
    unpickle) with ``weights_only=True``."""
    from torch.hub import load_state_dict_from_url
    return load_state_dict_from_url(
        url,
        model_dir=model_dir,
        map_location=map_location,
        progress=progress,
        check_hash=check_hash,
        file_name=file_name,
        weights_only=True)


def force_weights_only_loading() -> None:
    """Make every checkpoint load of mmengine weights-only, in one place:
    local files, model-zoo names and URLs (``load_checkpoint``, ``--resume``,
    ``init_cfg=dict(type='Pretrained')``), and guard HistoryBuffer's state.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner import checkpoint
    checkpoint.torch = _WeightsOnlyTorch()
    checkpoint.load_url = _load_url_weights_only
    HistoryBuffer.__setstate__ = _history_buffer_setstate


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
    """Register :func:`checkpoint_safe_globals` with torch (torch >= 2.4)
    and force weights-only loading (:func:`force_weights_only_loading`)."""
    import torch.serialization as ts
    if hasattr(ts, 'add_safe_globals'):
        ts.add_safe_globals(checkpoint_safe_globals())
    force_weights_only_loading()
