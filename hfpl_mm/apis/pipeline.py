# Copyright (c) hfpl-mm contributors. All rights reserved.
"""A whole WSSS recipe as one resumable call: :func:`run_pipeline`.

A recipe is an mmengine config (``configs/pipelines/``) naming each
stage's config and settings::

    data = dict(root='data/VOCdevkit/VOC2012', layout='config',
                train_split='train_aug', eval_split='train')
    methods = dict(hfpl='configs/seam/hfpl-seam_wr38-...py')  # name: config
    cam = dict(iters=None)                  # stage 1 (None: the schedule)
    pseudo_labels = dict(test_cfg=dict(), threshold=None)     # stage 2
    affinity = dict(config='configs/affinity/affnet_wr38-...py',
                    iters=None, labels=dict(), random_walk=dict())
    segmentation = dict(config='configs/deeplab/deeplabv1_wr38-...py',
                        iters=None, on=['hfpl'])              # stage 3
    work_dir = 'work_dirs/pipelines/hfpl-seam_wr38_voc12aug'

Every method runs stage 1 and 2 (:func:`cam_method_stages`); with
``affinity``, AffinityNet and the random walk refine its CAMs and stage 3
trains on the refined labels, otherwise on stage 2's. Each stage is
skipped when it finished before with the same settings
(:mod:`hfpl_mm.apis.stages`), so the same call continues a stopped run.
The report goes to ``<work_dir>/report.md`` (+ ``figures/``,
``report.json``).

``data.layout`` is ``'voc'`` (:class:`DataLayout`: every stage config is
pointed at a VOC-layout folder, split files optional) or ``'config'``
(:class:`ConfigLayout`: the configs' own datasets, ``root`` overriding
their ``data_root``).
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Optional, Union

from mmengine.config import Config

from ..utils.atomic import atomic_write
from ..utils.environment import environment_info
from ..visualization.report import (overlay_panels, threshold_curves,
                                    write_pipeline_report)
from .stages import (THRESHOLDS, ConfigLayout, DataLayout, cam_method_stages,
                     pipeline_log, segmentation_stage)

#: The checkout the bundled configs are in.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The keys a recipe may set.
RECIPE_KEYS = ('data', 'methods', 'cam', 'pseudo_labels', 'affinity',
               'segmentation', 'work_dir')
DATA_KEYS = ('root', 'layout', 'train_split', 'val_split', 'eval_split',
             'cls_labels', 'img_dir', 'gt_dir')


def load_recipe(recipe: Union[str, Config, dict]) -> Config:
    """A recipe as a checked :class:`Config`: known keys only, at least one
    method, every named config file present.

    Args:
        recipe (str | Config | dict): A recipe file or its content.

    Returns:
        Config: The recipe.

    Raises:
        ValueError: An unknown key, no method, or an unknown layout.
        FileNotFoundError: A named config does not exist.
    """
    where = recipe if isinstance(recipe, str) else 'the recipe'
    if isinstance(recipe, str):
        recipe = Config.fromfile(recipe)
    elif isinstance(recipe, dict):
        recipe = Config(recipe)
    keys = [k for k in recipe.keys() if not k.startswith('_')]
    unknown = sorted(set(keys) - set(RECIPE_KEYS))
    if unknown:
        raise ValueError(f'{where}: unknown keys {unknown}; a recipe sets '
                         f'{list(RECIPE_KEYS)}')
    data = recipe.get('data') or {}
    bad = sorted(set(data) - set(DATA_KEYS))
    if bad:
        raise ValueError(f'{where}: unknown data keys {bad}; known: '
                         f'{list(DATA_KEYS)}')
    if data.get('layout', 'voc') not in ('voc', 'config'):
        raise ValueError(f"{where}: data.layout must be 'voc' or 'config', "
                         f'got {data.get("layout")!r}')
    methods = recipe.get('methods') or {}
    if not methods:
        raise ValueError(f'{where}: no methods (name: CAM config)')
    configs = dict(methods)
    if recipe.get('affinity'):
        configs['affinity'] = recipe.affinity['config']
    seg = recipe.get('segmentation')
    if seg:
        configs['segmentation'] = seg['config']
        unknown = sorted(set(seg.get('on', methods)) - set(methods))
        if unknown:
            raise ValueError(f'{where}: segmentation.on names {unknown}, '
                             f'not among the methods {list(methods)}')
    for name, path in configs.items():
        found = resolve_config_path(path)
        if found is None:
            raise FileNotFoundError(f'{where}: {name} config {path} does not'
                                    ' exist (relative paths are looked up '
                                    'from the working directory, then from '
                                    'the hfpl-mm checkout)')
        if name in methods:
            recipe.methods[name] = found
        else:
            recipe[name]['config'] = found
    return recipe


def resolve_config_path(path: str) -> Optional[str]:
    """``path`` as given when it exists, else relative to the hfpl-mm
    checkout (the recipes name the bundled configs as ``configs/...``);
    None when neither exists."""
    if osp.isfile(path):
        return path
    bundled = osp.join(REPO_ROOT, path)
    return bundled if not osp.isabs(path) and osp.isfile(bundled) else None


def build_layout(data: dict, work_dir: str):
    """The :class:`DataLayout` or :class:`ConfigLayout` of a recipe's
    ``data``."""
    data = dict(data)
    layout = data.pop('layout', 'voc')
    if layout == 'voc':
        if not data.get('root'):
            raise ValueError("data.layout 'voc' needs data.root")
        for key in ('img_dir', 'gt_dir'):
            if data.pop(key, None):
                raise ValueError(f"data.{key} applies to layout 'config'; a "
                                 'VOC-layout folder has JPEGImages/ and '
                                 'SegmentationClass/')
        return DataLayout(data.pop('root'), work_dir, **data)
    for key in ('val_split', 'cls_labels'):
        if data.pop(key, None):
            raise ValueError(f"data.{key} applies to layout 'voc'; with "
                             "layout 'config' set it in the stage configs")
    return ConfigLayout(data.pop('root', None), **data)


def run_pipeline(recipe: Union[str, Config, dict],
                 work_dir: Optional[str] = None) -> Dict:
    """Run a recipe (see the module's docstring), skipping the stages that
    finished before, and write the report.

    Args:
        recipe (str | Config | dict): The recipe (:func:`load_recipe`).
        work_dir (str, optional): Output folder; defaults to the recipe's
            ``work_dir``.

    Returns:
        dict: The report context (also in ``report.json``): per method the
        stage results, stage 3's metrics, figures, wall time, environment.
    """
    recipe = load_recipe(recipe)
    t0 = time.time()
    work_dir = osp.abspath(work_dir or recipe.get('work_dir')
                           or 'work_dirs/pipeline')
    layout = build_layout(recipe.get('data') or {}, work_dir)
    methods = dict(recipe.methods)
    affinity = recipe.get('affinity')
    stages, results, seg = {}, {}, {}
    for name, config in methods.items():
        stages[name] = cam_method_stages(
            name, config, layout, work_dir, recipe.get('cam'),
            recipe.get('pseudo_labels'), affinity)
        results[name] = stages[name]['write_pseudo_labels']
    seg_recipe = recipe.get('segmentation')
    schedule3 = None
    for name in (seg_recipe.get('on', list(methods)) if seg_recipe else []):
        labels = stages[name].get('refine_labels') or results[name]
        res = segmentation_stage(name, seg_recipe['config'], labels, layout,
                                 work_dir, seg_recipe.get('iters'))
        seg[name] = res['metrics']
        schedule3 = res['schedule']
    fig_dir = osp.join(work_dir, 'figures')
    os.makedirs(fig_dir, exist_ok=True)
    first = next(iter(results.values()))
    ctx = dict(
        data_root=getattr(layout, 'root', None),
        num_train=first['num_images'],
        iters1=stages[next(iter(methods))]['train_cam_model']['schedule'],
        iters3=schedule3,
        scales=first['scales'],
        flip=first['flip'],
        configs=methods,
        seg_config=seg_recipe['config'] if seg_recipe else None,
        seg_labels='random-walk' if affinity else 'stage-2',
        results=results,
        refined={
            n: s['refine_labels']['labels']
            for n, s in stages.items() if 'refine_labels' in s
        },
        seg=seg,
        curve=threshold_curves(
            THRESHOLDS, {n: r['mious']
                         for n, r in results.items()}, fig_dir),
        overlays=overlay_panels(
            layout.img_dir, layout.gt_dir, {
                n: dict(cam_dir=r['cam_dir'], label_dir=r['label_dir'])
                for n, r in results.items()
            }, first['palette'], fig_dir, classes=first['classes']),
        elapsed=time.time() - t0,
        environment=environment_info())
    text = write_pipeline_report(osp.join(work_dir, 'report.md'), ctx)
    path = osp.join(work_dir, 'report.json')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        json.dump(ctx, f, indent=2, default=float)
    print(text, flush=True)
    pipeline_log(f'report: {osp.join(work_dir, "report.md")}')
    return ctx
