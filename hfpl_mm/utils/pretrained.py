# Copyright (c) hfpl-mm contributors. All rights reserved.
import logging
import os.path as osp

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader


def _is_pretrained(cfg) -> bool:
    return isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'


def pretrained_unavailable_reason(checkpoint: str):
    """None when ``checkpoint`` can be loaded, else why not."""
    if '://' not in checkpoint:
        return None if osp.isfile(checkpoint) else 'no such file'
    try:  # URL / open-mmlab:// etc.: served from the cache when present
        CheckpointLoader.load_checkpoint(
            checkpoint, map_location='cpu', logger='silent')
    except Exception as e:  # offline, 404, corrupt download, ...
        return f'{type(e).__name__}: {e}'
    return None


def skip_unavailable_pretrained(model: nn.Module) -> int:
    """Drop ``init_cfg=dict(type='Pretrained', ...)`` entries whose
    checkpoint cannot be loaded, with a warning naming it, so that a model
    configured with the usual pretrained weights still builds and trains
    (from random init) on a machine without them.

    Returns:
        int: How many entries were dropped.
    """
    dropped = 0
    for name, module in model.named_modules():
        cfg = getattr(module, 'init_cfg', None)
        cfgs = cfg if isinstance(cfg, list) else [cfg]
        keep = []
        for c in cfgs:
            reason = (
                pretrained_unavailable_reason(c['checkpoint'])
                if _is_pretrained(c) else None)
            if reason is None:
                keep.append(c)
                continue
            dropped += 1
            _warn(c['checkpoint'], name or type(module).__name__, reason)
        if len(keep) != len(cfgs):
            module.init_cfg = (keep if isinstance(cfg, list) else
                               (keep[0] if keep else None))
    return dropped


def skip_unavailable_pretrained_cfg(model_cfg: dict) -> int:
    """Config-level twin of :func:`skip_unavailable_pretrained` for models
    that do not call it themselves (e.g. mmseg's ``EncoderDecoder``): drops
    ``pretrained=...`` and ``init_cfg=dict(type='Pretrained', ...)`` entries
    of ``model_cfg`` (in place) whose checkpoint cannot be loaded, with a
    warning each. Returns how many were dropped."""
    dropped = 0

    def visit(node, path):
        nonlocal dropped
        if isinstance(node, dict):
            ckpt = node.get('pretrained')
            if isinstance(ckpt, str):
                reason = pretrained_unavailable_reason(ckpt)
                if reason:
                    node['pretrained'] = None
                    dropped += 1
                    _warn(ckpt, path or 'model', reason)
            init = node.get('init_cfg')
            if _is_pretrained(init):
                reason = pretrained_unavailable_reason(init['checkpoint'])
                if reason:
                    node['init_cfg'] = None
                    dropped += 1
                    _warn(init['checkpoint'], path or 'model', reason)
            for k, v in node.items():
                visit(v, f'{path}.{k}' if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                visit(v, f'{path}[{i}]')

    visit(model_cfg, '')
    return dropped


def _warn(checkpoint: str, where: str, reason: str) -> None:
    print_log(
        f'pretrained weights {checkpoint} for {where} are unavailable '
        f'({reason}); it starts from random initialisation',
        logger='current',
        level=logging.WARNING)
