# Copyright (c) hfpl-mm contributors. All rights reserved.
"""What a number depends on besides the code and the seed: the CPU's
instruction set (it picks other BLAS / oneDNN kernels, and training
amplifies the difference), the thread count and the library versions. Every
report records it, so a figure says on what it was measured."""
import os
import platform
from typing import Dict


def environment_info() -> Dict[str, str]:
    """The machine and library facts a training run's numbers depend on.

    Returns:
        dict[str, str]: ``cpu`` (model name), ``cpu_capability`` (the
        instruction set torch's kernels use, e.g. AVX512; ``ATEN_CPU_
        CAPABILITY`` / ``ONEDNN_MAX_CPU_ISA`` / ``MKL_ENABLE_INSTRUCTIONS``
        when set), ``threads``, ``device`` and the versions of python,
        torch, mmcv, mmengine, mmseg, mmpretrain and numpy.
    """
    import numpy
    import torch
    info = {}
    cpu = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    info['cpu'] = cpu or 'unknown'
    try:
        cap = torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # pragma: no cover - older torch
        cap = 'unknown'
    limits = [f'{k}={os.environ[k]}' for k in
              ('ATEN_CPU_CAPABILITY', 'ONEDNN_MAX_CPU_ISA',
               'MKL_ENABLE_INSTRUCTIONS') if os.environ.get(k)]
    info['cpu_capability'] = cap + (f' ({", ".join(limits)})'
                                    if limits else '')
    info['threads'] = str(torch.get_num_threads())
    info['device'] = (torch.cuda.get_device_name(0)
                      if torch.cuda.is_available() else 'cpu')
    info['python'] = platform.python_version()
    info['torch'] = torch.__version__
    for name in ('mmcv', 'mmengine', 'mmseg', 'mmpretrain'):
        try:
            info[name] = __import__(name).__version__
        except ImportError:  # pragma: no cover - all in the lock file
            info[name] = 'not installed'
    info['numpy'] = numpy.__version__
    return info


def environment_line(info: Dict[str, str]) -> str:
    """One line of :func:`environment_info` for a report."""
    return ('Measured on: ' + '; '.join(f'{k} {v}' for k, v in info.items())
            + '.')
