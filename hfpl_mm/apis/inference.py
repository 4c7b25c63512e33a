# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Inference: a model from a config and a checkpoint, the way mmseg's
``mmseg.apis.init_model`` does, the dataset meta it needs, and the model +
dataloader pair of CAM inference (stage 2), for every hfpl-mm tool."""
import copy
import os.path as osp
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint


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


def dataset_meta_from_config(config: Union[str, Config],
                             dataloader: str = 'test_dataloader') -> dict:
    """``classes`` and ``palette`` of a config's dataset, without reading
    any data: the dataset class's ``METAINFO`` updated with the config's
    ``metainfo``.

    Args:
        config (str | Config): Config file or object.
        dataloader (str): Which dataloader's dataset; falls back to the
            train dataloader when the config has none of that name.
            Defaults to 'test_dataloader'.

    Returns:
        dict: The dataset meta (at least ``classes`` and ``palette``).
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    init_default_scope(config.get('default_scope', 'mmseg'))
    from mmseg.registry import DATASETS
    dl = config.get(dataloader) or config.get('train_dataloader')
    if not dl:
        raise ValueError(f'{getattr(config, "filename", "config")}: no '
                         f'{dataloader} or train_dataloader')
    ds = dl['dataset']
    while ds.get('type') in ('RepeatDataset', 'ConcatDataset'):
        ds = ds.get('dataset') or ds['datasets'][0]
    cls = DATASETS.get(ds['type'])
    if cls is None:
        raise KeyError(f'dataset type {ds["type"]!r} is not registered')
    if hasattr(cls, '_load_metainfo'):
        # as the dataset resolves it (a class list of its own, default
        # palettes), without building it
        meta = dict(cls._load_metainfo(copy.deepcopy(ds.get('metainfo'))))
    else:
        meta = copy.deepcopy(dict(getattr(cls, 'METAINFO', {})))
        meta.update(ds.get('metainfo') or {})
    for key in ('classes', 'palette'):
        if key not in meta:
            raise ValueError(f'{ds["type"]} has no {key} in its METAINFO')
    return meta


def resolve_dataset_meta(model: Optional[torch.nn.Module] = None,
                         config: Union[str, Config, None] = None,
                         dataset: Optional[str] = None) -> dict:
    """The dataset meta a tool labels and colours its outputs with.

    The first that applies: the model's ``dataset_meta`` (saved with the
    checkpoint by the training run), the config's dataset
    (:func:`dataset_meta_from_config`), the named dataset ('voc' or
    'coco').

    Args:
        model (nn.Module, optional): A model from :func:`init_model`.
        config (str | Config, optional): A config.
        dataset (str, optional): 'voc' or 'coco'.

    Returns:
        dict: ``classes`` and ``palette`` (and whatever else it carries).
    """
    meta = getattr(model, 'dataset_meta', None) if model is not None else None
    if meta and 'classes' in meta and 'palette' in meta:
        return dict(meta)
    if config is not None:
        return dataset_meta_from_config(config)
    if dataset == 'voc':
        from mmseg.datasets import PascalVOCDataset
        return copy.deepcopy(dict(PascalVOCDataset.METAINFO))
    if dataset == 'coco':
        from ..datasets import COCOWeakDataset
        return copy.deepcopy(dict(COCOWeakDataset.METAINFO))
    raise ValueError('no dataset meta: give a checkpoint saved with one, a '
                     f"config, or a dataset name ('voc', 'coco'), got "
                     f'{dataset!r}')


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
                             data_root: Optional[str] = None,
                             img_dir: Optional[str] = None) -> dict:
    """The config's test dataloader pointed at ``split`` (a VOC split stem
    like 'train' / 'val', or a split / annotation file path), batch 1, no
    shuffling, images at original size, GT not needed.

    Args:
        cfg (Config): A CAM config.
        split (str): Split stem (VOC) or split / annotation file.
        data_root (str, optional): Override of the dataset's data_root.
        img_dir (str, optional): Override of the dataset's image folder
            (``data_prefix.img_path``), for a split whose images are not
            where the test split's are (COCO's ``train2014``).

    Returns:
        dict: The dataloader config.
    """
    dl = copy.deepcopy(cfg.test_dataloader)
    ds = dl['dataset']
    if data_root is not None:
        ds['data_root'] = data_root
    if img_dir is not None:
        ds['data_prefix'] = dict(ds.get('data_prefix') or {}, img_path=img_dir)
    if split.endswith(('.txt', '.json')):
        ds['ann_file'] = split
    elif ds['type'] in ('VOCWeakDataset', 'WeakSegDataset'):
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
                        test_cfg: Optional[dict] = None,
                        img_dir: Optional[str] = None
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
        img_dir (str, optional): Override of the image folder
            (:func:`inference_dataloader_cfg`). Defaults to None.

    Returns:
        tuple: The model and the dataloader.
    """
    overrides = {
        k: (tuple(v) if k == 'scales' else v)
        for k, v in (test_cfg or {}).items() if v is not None
    }
    model = init_model(cfg, checkpoint, device, overrides)
    loader = Runner.build_dataloader(
        inference_dataloader_cfg(cfg, split, data_root, img_dir))
    return model, loader
