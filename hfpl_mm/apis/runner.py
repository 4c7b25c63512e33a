# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Build a trained model and an inference dataloader from a config."""
import copy
from typing import Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from .inference import init_model


def inference_pipeline(on_error: str = 'mark') -> list:
    """The transforms of stage-2 inference: the image, checked, at its
    original size, packed with its image-level labels.

    Args:
        on_error (str): Of :class:`LoadCheckedImageFromFile`: 'mark' (the
            tools count the image as failed and go on) or 'raise'.

    Returns:
        list[dict]: Transform configs.
    """
    return [
        dict(type='LoadCheckedImageFromFile', on_error=on_error),
        dict(type='PackWeakSegInputs')
    ]


def inference_dataloader_cfg(cfg: Config,
                             split: str,
                             data_root: Optional[str] = None) -> dict:
    """The config's test dataloader pointed at ``split`` (a VOC split stem
    like 'train' / 'val', or a split / annotation file path), batch 1, no
    shuffling, images at original size, GT not needed.

    Args:
        cfg (Config): A CAM config.
        split (str): Split stem (VOC) or split / annotation file.
        data_root (str, optional): Override of the dataset's data_root.

    Returns:
        dict: The dataloader config.
    """
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
    # an unreadable image is marked, then counted as failed by stage 2
    # (not refused when the dataset is built, as for training)
    ds['check_images'] = False
    ds['pipeline'] = inference_pipeline('mark')
    dl.update(batch_size=1, sampler=dict(type='DefaultSampler', shuffle=False))
    return dl


def build_cam_inference(cfg: Config,
                        checkpoint: Optional[str],
                        split: str,
                        data_root: Optional[str] = None,
                        device: Optional[str] = None,
                        test_cfg: Optional[dict] = None
                        ) -> Tuple[torch.nn.Module, object]:
    """(model of :func:`init_model`, dataloader).

    The inference settings have one source, the config's
    ``model.test_cfg`` (``scales``, ``flip``, the background rule);
    ``test_cfg`` overrides only the keys it is given, as the tools' command
    lines do.

    In a distributed run the caller sets up the process group first (as
    ``tools/make_pseudo_labels.py`` does with
    :func:`hfpl_mm.utils.dist.init_distributed`): the dataloader's sampler
    then shards the images over the ranks.

    Args:
        cfg (Config): A CAM config.
        checkpoint (str, optional): Weights to load (strictly).
        split (str): Split stem or split / annotation file.
        data_root (str, optional): Override of the dataset's data_root.
        device (str, optional): Defaults to CUDA when available.
        test_cfg (dict, optional): Overrides of the model's ``test_cfg``
            (e.g. ``scales``, ``flip``, ``bg_threshold``); keys whose value
            is None are ignored. Defaults to None.

    Returns:
        tuple: The model and the dataloader.
    """
    overrides = {
        k: (tuple(v) if k == 'scales' else v)
        for k, v in (test_cfg or {}).items() if v is not None
    }
    model = init_model(cfg, checkpoint, device, overrides)
    loader = Runner.build_dataloader(
        inference_dataloader_cfg(cfg, split, data_root))
    return model, loader
