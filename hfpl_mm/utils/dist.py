# Copyright (c) hfpl-mm contributors. All rights reserved.
import logging
import os
import sys

import torch
import torch.distributed as dist
from mmengine.dist import init_dist


def init_distributed(launcher: str, dist_cfg: dict = None) -> None:
    """Initialise the process group for ``launcher`` (mmengine's
    :func:`init_dist`), also on machines without CUDA.

    mmengine 0.10 calls ``torch.cuda.set_device`` for the 'pytorch'
    launcher, which fails on CPU-only hosts; there the group is created
    directly with gloo (nccl needs GPUs) from torchrun's environment.
    """
    if launcher == 'none' or dist.is_initialized():
        return
    dist_cfg = dict(dist_cfg or {})
    if launcher == 'pytorch' and not torch.cuda.is_available():
        backend = dist_cfg.pop('backend', 'gloo')
        if backend == 'nccl':
            backend = 'gloo'
        os.environ.setdefault('LOCAL_RANK', '0')
        dist.init_process_group(backend=backend, **dist_cfg)
        return
    init_dist(launcher, **dist_cfg)


def setup_distributed(cfg, launcher: str) -> None:
    """What the tools do before ``Runner.from_cfg`` for ``launcher``: create
    the process group (also on CPU hosts) and, there, adapt the DDP wrapper
    (:func:`adapt_cfg_for_cpu_ddp`)."""
    init_distributed(launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    adapt_cfg_for_cpu_ddp(cfg, launcher)


def adapt_cfg_for_cpu_ddp(cfg, launcher: str) -> None:
    """On a CPU-only host with a launcher, wrap the model in DDP without
    ``device_ids`` (mmengine passes the local rank as a CUDA device, which
    torch rejects for CPU modules)."""
    if launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))


def destroy_distributed(exit_code: int = 0) -> None:
    """End a distributed run of a tool: wait for every rank, tear the
    process group down, flush logs and leave without running C++ static
    destructors.

    With gloo on CPU, a rank whose work is complete (checkpoints written,
    group destroyed) sometimes still aborts during interpreter shutdown
    ('terminate called without an active exception', seen in about 1 of 8
    2-process runs here), which makes torchrun report a failure. Nothing is
    left to do at that point, so the process exits directly with
    ``exit_code``. A no-op outside distributed runs.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
