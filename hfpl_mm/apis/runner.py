# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Build a trained model and an inference dataloader from a config."""
import copy
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint

from ..utils.dist import init_distributed


def inference_dataloader_cfg(cfg: Config,
                             split: str,
                             data_root: Optional[str] = None) -> dict:
    """The config's test dataloader pointed at ``split`` (a VOC split stem
    like 'train' / 'val', or a split / annotation file path), batch 1, no
    shuffling, images at original size, GT not needed."""
    dl = copy.deepcopy(cfg.test_dataloader)
    ds = dl['dataset']
    if data_root is not None:
        ds['data_root'] = data_root
    if split.endswith(('.txt', '.json')):
        ds['ann_file'] = split
    elif ds['type'] == 'VOCWeakDataset':
        ds['ann_file'] = f'ImageSets/Segmentation/{split}.txt'
    else:
        raise ValueError(f'--split {split!r}: give a split/annotation file '
                         f'for {ds["type"]}')
    ds['pipeline'] = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='PackWeakSegInputs')
    ]
    dl.update(batch_size=1, sampler=dict(type='DefaultSampler', shuffle=False))
    return dl


def build_cam_inference(cfg: Config,
                        checkpoint: Optional[str],
                        split: str,
                        data_root: Optional[str] = None,
                        scales: Sequence[float] = (1.0, ),
                        flip: bool = False,
                        launcher: str = 'none',
                        device: Optional[str] = None
                        ) -> Tuple[torch.nn.Module, object]:
    """(model in eval mode with the checkpoint loaded, dataloader)."""
    init_distributed(launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    from mmseg.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('test_cfg', {})
    model_cfg['test_cfg'].update(scales=tuple(scales), flip=flip)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                        logger='silent')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model.to(device).eval()
    loader = Runner.build_dataloader(
        inference_dataloader_cfg(cfg, split, data_root))
    return model, loader
