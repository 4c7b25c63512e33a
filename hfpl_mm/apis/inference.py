# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Build a model from a config and a checkpoint, the way mmseg's
``mmseg.apis.init_model`` does, for every hfpl-mm tool."""
import copy
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Optional[str] = None,
               test_cfg: Optional[dict] = None) -> torch.nn.Module:
    """A model in eval mode, with ``cfg`` and ``dataset_meta`` attached.

    Args:
        config (str | Config): Config file or object (not modified).
        checkpoint (str, optional): Weights, loaded strictly and
            weights-only; None leaves the model as initialised by its
            constructor (pretrained weights are not loaded).
        device (str, optional): Defaults to 'cuda' when available, else
            'cpu'.
        test_cfg (dict, optional): Overrides of ``model.test_cfg``; the
            config's values stay for keys not given.

    Returns:
        nn.Module: The model. ``model.dataset_meta`` comes from the
        checkpoint's meta when it has one (what the training run saved).

    Raises:
        FileNotFoundError: The checkpoint does not exist.
        RuntimeError: Its keys do not match the model.
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    init_default_scope(config.get('default_scope', 'mmseg'))
    from mmseg.registry import MODELS
    model_cfg = copy.deepcopy(config.model)
    if test_cfg:
        model_cfg.setdefault('test_cfg', {})
        model_cfg['test_cfg'].update(test_cfg)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        ckpt = load_checkpoint(
            model, checkpoint, map_location='cpu', strict=True,
            logger='silent')
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        if 'dataset_meta' in meta:
            model.dataset_meta = meta['dataset_meta']
    model.cfg = config
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    return model.to(device).eval()
