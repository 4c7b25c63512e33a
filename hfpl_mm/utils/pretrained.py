# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Pretrained weights named in a config that cannot be had.

By default a missing checkpoint (a typo in the path, no network for a URL
that is not cached) stops training with an error naming the file, as
MMSegmentation does. ``allow_missing_pretrained=True`` (a config field, in
every hfpl-mm config through ``_base_/default_runtime.py``, or
``tools/train.py --allow-missing-pretrained``) drops such entries with a
warning, and the model starts from random initialisation. The bundled CPU
default configs name no pretrained weights.
"""
import logging
import os
import os.path as osp
from typing import Optional
from urllib.parse import urlparse

from mmengine.logging import print_log

DOWNLOAD_TIMEOUT = 30  # seconds without an answer before a download fails
OPT_IN = ('--cfg-options allow_missing_pretrained=True (train from random '
          'initialisation instead)')


def _resolve_remote(checkpoint: str) -> Optional[str]:
    """The http(s) URL or local path a ``scheme://name`` checkpoint stands
    for (mmengine's model zoos), or None when unknown."""
    if checkpoint.startswith(('http://', 'https://')):
        return checkpoint
    from mmengine.runner import checkpoint as ck
    for prefix, table in (('open-mmlab://', 'get_external_models'),
                          ('openmmlab://', 'get_external_models'),
                          ('mmcls://', 'get_mmcls_models'),
                          ('torchvision://', 'get_torchvision_models')):
        if checkpoint.startswith(prefix) and hasattr(ck, table):
            name = checkpoint[len(prefix):]
            models = getattr(ck, table)()
            if prefix in ('open-mmlab://', 'openmmlab://'):
                name = ck.get_deprecated_model_names().get(name, name)
            url = models.get(name)
            if url and not url.startswith(('http://', 'https://')):
                return osp.join(ck._get_mmengine_home(), url)
            return url
    return None


def _cache_path(url: str) -> str:
    """Where torch.hub keeps a downloaded ``url`` (mmengine loads URLs
    through it)."""
    from torch.hub import get_dir
    return osp.join(get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))


def pretrained_unavailable_reason(checkpoint: str) -> Optional[str]:
    """None when ``checkpoint`` can be loaded, else why not. Nothing is
    loaded into memory: a local file must exist; a URL (or a model-zoo name)
    must be in torch.hub's cache or be downloaded into it now (where
    mmengine's loader then finds it).

    Args:
        checkpoint (str): A path, URL or ``open-mmlab://``-style name.
    """
    if '://' not in checkpoint:
        return None if osp.isfile(checkpoint) else 'no such file'
    target = _resolve_remote(checkpoint)
    if target is None:
        return None  # another backend (s3, pavi, ...): let mmengine try
    if not target.startswith(('http://', 'https://')):
        return None if osp.isfile(target) else f'no such file {target}'
    dst = _cache_path(target)
    if osp.isfile(dst):
        return None
    import socket

    from torch.hub import download_url_to_file
    os.makedirs(osp.dirname(dst), exist_ok=True)
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # no hang without network
    try:
        download_url_to_file(target, dst, progress=False)
    except Exception as e:  # offline, 404, ...
        return f'cannot download {target}: {type(e).__name__}: {e}'
    finally:
        socket.setdefaulttimeout(old_timeout)
    return None


def check_pretrained(model_cfg: dict, allow_missing: bool = False) -> int:
    """Check every ``pretrained=...`` and ``init_cfg=dict(type='Pretrained',
    ...)`` entry of a model config.

    Args:
        model_cfg (dict): The model config; entries are dropped in place when
            ``allow_missing``.
        allow_missing (bool): Drop an unavailable entry with a warning (the
            model part starts from random init) instead of raising.
            Defaults to False.

    Returns:
        int: How many entries were dropped.

    Raises:
        FileNotFoundError: An entry cannot be loaded and ``allow_missing`` is
            False; the message names the file and the model part.
    """
    dropped = 0

    def handle(ckpt: str, where: str) -> bool:
        nonlocal dropped
        reason = pretrained_unavailable_reason(ckpt)
        if reason is None:
            return False
        if not allow_missing:
            raise FileNotFoundError(
                f'pretrained weights {ckpt} for {where} cannot be loaded '
                f'({reason}); fix the path, or pass {OPT_IN}')
        dropped += 1
        print_log(
            f'pretrained weights {ckpt} for {where} are unavailable '
            f'({reason}); allow_missing_pretrained=True: it starts from '
            'random initialisation',
            logger='current',
            level=logging.WARNING)
        return True

    def visit(node, path):
        if isinstance(node, dict):
            ckpt = node.get('pretrained')
            if isinstance(ckpt, str) and handle(ckpt, path or 'model'):
                node['pretrained'] = None
            init = node.get('init_cfg')
            if (isinstance(init, dict) and init.get('type') == 'Pretrained'
                    and handle(init['checkpoint'], path or 'model')):
                node['init_cfg'] = None
            for k, v in node.items():
                visit(v, f'{path}.{k}' if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                visit(v, f'{path}[{i}]')

    visit(model_cfg, '')
    return dropped
