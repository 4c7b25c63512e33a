# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The main job: stage 1 (baseline and add-on twin), stage 2 pseudo-labels
and their evaluation, stage 3 segmentation, and a Markdown report.

Everything goes through the same entry points a VOC user calls (mmengine
``Runner`` for training, :func:`generate_pseudo_labels`, the evaluation
functions); only the configs and the data root differ.
"""
import glob
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log

from ..evaluation.metrics import save_threshold_curve
from ..utils.atomic import atomic_write
from ..utils.cam_labels import BG_THRESHOLDS
from ..utils.config import iter_schedule_options, merge_cfg_options
from ..utils.environment import environment_info
from .evaluate import (evaluate_label_dirs, labels_from_cams, list_stems,
                       load_cam_archive, sweep_cam_dir)
from .pseudo_labels import (generate_pseudo_labels, palette_bytes,
                            save_png_atomic)
from .report import overlay_panels, threshold_curves, write_report
from .runner import build_cam_inference

THRESHOLDS = list(BG_THRESHOLDS)
# The bundled default and real_mini use a subset of VOC's 21 classes: classes
# absent from both GT and prediction are left out of the means (on data where
# every class occurs, as VOC, this equals the reference's averaging).
COUNT_ABSENT = False


def log(msg: str) -> None:
    """A pipeline message through mmengine's current logger (the running
    Runner's, so it also lands in that run's log file)."""
    print_log(f'[pipeline] {msg}', logger='current')


class DataLayout:
    """What a VOC-layout data root provides, with fall-backs for folders that
    lack split files or XML annotations (split lists are then written to the
    work dir, never into the data root)."""

    def __init__(self, data_root: str, work_dir: str,
                 cls_labels: Optional[str] = None) -> None:
        self.root = osp.abspath(data_root)
        img_dir = osp.join(self.root, 'JPEGImages')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{img_dir}: no JPEGImages folder; '
                                    '--data-root must be a VOC-layout folder')
        self.gt_dir = osp.join(self.root, 'SegmentationClass')
        if not osp.isdir(self.gt_dir):
            raise FileNotFoundError(
                f'{self.gt_dir}: the pipeline evaluates against GT masks')
        self.splits = {}
        for split in ('train', 'val'):
            path = osp.join(self.root, 'ImageSets', 'Segmentation',
                            split + '.txt')
            self.splits[split] = path if osp.isfile(path) else None
        if None in self.splits.values():
            ids = sorted(
                osp.splitext(osp.basename(p))[0]
                for p in glob.glob(osp.join(img_dir, '*.jpg')))
            if not ids:
                raise ValueError(f'{img_dir}: no .jpg images')
            os.makedirs(work_dir, exist_ok=True)
            path = osp.join(work_dir, 'all_images.txt')
            with open(path, 'w') as f:
                f.write('\n'.join(ids) + '\n')
            log(f'{self.root} has no split files: train and val both use '
                f'all {len(ids)} images ({path})')
            self.splits = {k: v or path for k, v in self.splits.items()}
        self.cls_labels = None
        if not osp.isdir(osp.join(self.root, 'Annotations')):
            cands = [cls_labels] if cls_labels else [
                osp.join(self.root, n)
                for n in ('cls_labels.npy', 'cls_labels_from_masks.npy')
            ]
            found = [c for c in cands if c and osp.isfile(c)]
            if not found:
                raise FileNotFoundError(
                    f'{self.root} has no Annotations/ and no cls_labels.npy;'
                    ' pass --cls-labels')
            self.cls_labels = osp.abspath(found[0])

    def _data_options(self, dataloader: str, split: str,
                      seg_map_path: str) -> dict:
        return {
            f'{dataloader}.dataset.data_root': self.root,
            f'{dataloader}.dataset.ann_file': self.splits[split],
            f'{dataloader}.dataset.data_prefix':
            dict(img_path='JPEGImages', seg_map_path=seg_map_path),
        }

    def stage1_options(self) -> dict:
        """``--cfg-options`` pointing a CAM config at this data: train on
        the train split, test on val (stage 2 points the test dataloader at
        the train split itself); no validation during training (the
        pipeline evaluates the CAMs in stage 2)."""
        opts = {}
        for name, split in (('train_dataloader', 'train'),
                            ('test_dataloader', 'val')):
            opts.update(
                self._data_options(name, split, 'SegmentationClass'))
            if self.cls_labels:
                opts[f'{name}.dataset.cls_label_file'] = self.cls_labels
        opts.update(val_cfg=None, val_dataloader=None, val_evaluator=None)
        return opts

    def stage3_options(self, label_dir: str) -> dict:
        """``--cfg-options`` pointing a segmentation config at this data:
        train on ``label_dir``'s pseudo-labels, validate and test on the
        val GT."""
        opts = self._data_options('train_dataloader', 'train', label_dir)
        for name in ('val_dataloader', 'test_dataloader'):
            opts.update(self._data_options(name, 'val', 'SegmentationClass'))
        return opts


def load_config(config: str, work_dir: str, options: dict,
                iters: Optional[int]) -> Config:
    """``config`` with ``options`` and, when ``iters`` is given, the
    iteration schedule of :func:`iter_schedule_options`, merged as
    ``--cfg-options`` are.

    Args:
        config (str): Config file.
        work_dir (str): The run's work dir.
        options (dict): Dotted options (e.g. of :class:`DataLayout`).
        iters (int, optional): Training iterations; None keeps the config's
            schedule.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(config)
    opts = dict(options, work_dir=work_dir)
    if iters is not None:
        opts.update(iter_schedule_options(cfg, iters))
    return merge_cfg_options(cfg, opts)


def schedule_length(cfg: Config) -> str:
    """'N iterations' or 'N epochs' of the config's training loop."""
    loop = cfg.get('train_cfg') or {}
    if 'max_iters' in loop:
        return f'{loop["max_iters"]} iterations'
    if 'max_epochs' in loop:
        return f'{loop["max_epochs"]} epochs'
    return 'the configured schedule'


def train(cfg: Config) -> str:
    """Train with an mmengine Runner; return the last checkpoint."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def write_threshold_labels(cam_dir: str, label_dir: str, threshold: float,
                           palette) -> List[str]:
    """Write the label PNG of every CAM archive of ``cam_dir`` at
    ``threshold`` (:func:`labels_from_cams`) into ``label_dir``.

    Args:
        cam_dir (str): Folder of CAM archives.
        label_dir (str): Output folder (created).
        threshold (float): Background threshold.
        palette (Sequence): The dataset's palette.

    Returns:
        list[str]: The image stems written.
    """
    os.makedirs(label_dir, exist_ok=True)
    pal = palette_bytes(palette)
    stems = list_stems(cam_dir, '.npz')
    for stem in stems:
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        save_png_atomic(labels_from_cams(archive, threshold),
                        osp.join(label_dir, stem + '.png'), pal)
    return stems


def stage2(cfg: Config,
           ckpt: str,
           layout: DataLayout,
           out_dir: str,
           test_cfg: Optional[dict] = None) -> Tuple[Dict, dict]:
    """Pseudo-labels of the train split at the best background threshold,
    with their evaluation; CAMs kept for the report.

    Args:
        cfg (Config): The stage-1 config.
        ckpt (str): Its trained checkpoint.
        layout (DataLayout): The data.
        out_dir (str): Gets ``cams/``, ``labels/`` and the sweep's curve.
        test_cfg (dict, optional): Overrides of the config's
            ``model.test_cfg`` (the inference settings' one source), e.g.
            ``scales`` and ``flip``. Defaults to None.

    Returns:
        tuple[dict, dict]: The results (sweep, best threshold, pseudo-label
        mIoU and contour F, folders, the inference scales and flip used)
        and the dataset meta.
    """
    model, loader = build_cam_inference(cfg, ckpt, layout.splits['train'],
                                        layout.root, test_cfg=test_cfg)
    scales = list(model.test_cfg['scales'])
    flip = bool(model.test_cfg['flip'])
    meta = loader.dataset.metainfo
    num_classes = len(meta['classes'])
    cam_dir = osp.join(out_dir, 'cams')
    counts = generate_pseudo_labels(
        model, loader, cam_dir, save_cams=True, overwrite=True,
        settings=dict(checkpoint=ckpt, scales=scales, flip=flip),
        progress=False)
    if counts['failed']:
        raise RuntimeError(f'{counts["failed"]} images failed in stage 2')
    mious = sweep_cam_dir(
        cam_dir, layout.gt_dir, THRESHOLDS, num_classes,
        count_absent=COUNT_ABSENT)
    best = int(np.nanargmax(mious))
    curve = save_threshold_curve(THRESHOLDS, mious, out_dir)
    label_dir = osp.join(out_dir, 'labels')
    stems = write_threshold_labels(cam_dir, label_dir, THRESHOLDS[best],
                                   meta['palette'])
    ev = evaluate_label_dirs(
        label_dir, layout.gt_dir, num_classes, stems=stems,
        count_absent=COUNT_ABSENT)
    return dict(
        cam_dir=cam_dir,
        label_dir=label_dir,
        curve=curve,
        mious=mious,
        best_threshold=THRESHOLDS[best],
        best_miou=mious[best],
        pl_miou=ev['mIoU'] * 100,
        contour_f=ev['contour_f'] * 100,
        contour_p=ev['contour_precision'] * 100,
        contour_r=ev['contour_recall'] * 100,
        num_images=ev['num_images'],
        scales=scales,
        flip=flip), meta


def stage3(cfg: Config) -> Dict[str, float]:
    """Train a segmentation config (already pointed at the pseudo-labels by
    :meth:`DataLayout.stage3_options`); return its last validation metrics
    (it validates at the last iteration)."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return {
        k[len('val/'):]: float(v.current())
        for k, v in hub.log_scalars.items() if k.startswith('val/')
    }


def run_pipeline(data_root: str,
                 work_dir: str,
                 configs: Dict[str, str],
                 seg_config: Optional[str],
                 iters1: Optional[int] = None,
                 iters3: Optional[int] = None,
                 scales: Optional[Sequence[float]] = None,
                 flip: Optional[bool] = None,
                 cls_labels: Optional[str] = None,
                 seg_on: Sequence[str] = ()) -> Dict:
    """Run the main job: stage 1 and 2 for every config, stage 3 on the
    pseudo-labels of the methods in ``seg_on``, then the report.

    Args:
        data_root (str): A VOC-layout folder with GT masks
            (:class:`DataLayout`).
        work_dir (str): Output folder: one sub-folder per method,
            ``figures/``, ``report.md`` and ``report.json``.
        configs (dict[str, str]): CAM config per method name (e.g.
            ``baseline`` and ``hfpl``).
        seg_config (str, optional): The stage-3 segmentation config.
        iters1 (int, optional): Stage-1 iterations; None keeps the config's
            schedule.
        iters3 (int, optional): Stage-3 iterations; None keeps the
            config's schedule.
        scales (Sequence[float], optional): CAM inference scales; None
            keeps each config's ``model.test_cfg.scales``. Defaults to None.
        flip (bool, optional): Add flipped copies at inference; None keeps
            each config's ``model.test_cfg.flip``. Defaults to None.
        cls_labels (str, optional): ``cls_labels.npy`` for folders without
            ``Annotations/``.
        seg_on (Sequence[str]): Methods whose pseudo-labels stage 3 trains
            on. Defaults to none.

    Returns:
        dict: The report context (also in ``report.json``).
    """
    t0 = time.time()
    work_dir = osp.abspath(work_dir)
    layout = DataLayout(data_root, work_dir, cls_labels)
    results, seg, meta = {}, {}, None
    schedule1 = schedule3 = None
    for name, config in configs.items():
        log(f'stage 1 [{name}]: training {config}')
        cfg = load_config(config, osp.join(work_dir, name),
                          layout.stage1_options(), iters1)
        schedule1 = schedule_length(cfg)
        ckpt = train(cfg)
        log(f'stage 2 [{name}]: pseudo-labels from {ckpt}')
        results[name], meta = stage2(cfg, ckpt, layout,
                                     osp.join(work_dir, name, 'pseudo'),
                                     dict(scales=scales, flip=flip))
        r = results[name]
        log(f'stage 2 [{name}]: CAM mIoU {r["best_miou"]:.2f} at '
            f'{r["best_threshold"]:.2f}; pseudo-labels mIoU '
            f'{r["pl_miou"]:.2f}, contour F {r["contour_f"]:.2f}')
    for name in seg_on:
        log(f'stage 3 [{name}]: training {seg_config}')
        cfg = load_config(seg_config, osp.join(work_dir, name, 'seg'),
                          layout.stage3_options(results[name]['label_dir']),
                          iters3)
        schedule3 = schedule_length(cfg)
        seg[name] = stage3(cfg)
        log(f'stage 3 [{name}]: {seg[name]}')
    fig_dir = osp.join(work_dir, 'figures')
    os.makedirs(fig_dir, exist_ok=True)
    methods = {
        name: dict(cam_dir=r['cam_dir'], label_dir=r['label_dir'])
        for name, r in results.items()
    }
    ctx = dict(
        data_root=layout.root,
        num_train=next(iter(results.values()))['num_images'],
        iters1=schedule1,
        iters3=schedule3,
        scales=next(iter(results.values()))['scales'],
        flip=next(iter(results.values()))['flip'],
        configs=configs,
        seg_config=seg_config,
        results=results,
        seg=seg,
        curve=threshold_curves(
            THRESHOLDS, {n: r['mious']
                         for n, r in results.items()}, fig_dir),
        overlays=overlay_panels(
            osp.join(layout.root, 'JPEGImages'), layout.gt_dir, methods,
            meta['palette'], fig_dir),
        elapsed=time.time() - t0,
        environment=environment_info())
    text = write_report(osp.join(work_dir, 'report.md'), ctx)
    path = osp.join(work_dir, 'report.json')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        json.dump(ctx, f, indent=2, default=float)
    print(text, flush=True)
    return ctx
