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
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..evaluation.metrics.cam_metrics import (BG_THRESHOLDS,
                                             save_threshold_curve)
from ..utils.atomic import atomic_write
from ..utils.image import read_image
from .evaluate import (evaluate_label_dirs, labels_from_cams,
                       load_cam_archive, load_label_png, sweep_cam_dir)
from .pseudo_labels import (generate_pseudo_labels, palette_bytes,
                            save_png_atomic)
from .runner import build_cam_inference
from .visualize import cam_heatmap, label_overlay, save_panel

THRESHOLDS = list(BG_THRESHOLDS)
# The bundled default and real_mini use a subset of VOC's 21 classes: classes
# absent from both GT and prediction are left out of the means (on data where
# every class occurs, as VOC, this equals the reference's averaging).
COUNT_ABSENT = False


def log(msg: str) -> None:
    print(f'[pipeline] {msg}', flush=True)


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

    def weak_dataset(self, ds: dict, split: str) -> dict:
        ds.update(
            data_root=self.root,
            ann_file=self.splits[split],
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'))
        if self.cls_labels:
            ds['cls_label_file'] = self.cls_labels
        return ds


def stage1_cfg(config: str, layout: DataLayout, work_dir: str,
               iters: Optional[int]) -> Config:
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    for name, split in (('train_dataloader', 'train'),
                        ('val_dataloader', 'val'),
                        ('test_dataloader', 'val')):
        layout.weak_dataset(cfg[name].dataset, split)
    # the pipeline evaluates CAMs itself in stage 2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if iters is not None:
        set_iters(cfg, iters)
    return cfg


def set_iters(cfg: Config, iters: int) -> None:
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=iters, val_interval=10**9)
    for s in cfg.param_scheduler:
        if s.get('type') == 'PolyLR':
            s.update(begin=0, end=iters, by_epoch=False)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=iters,
        max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(
        type='LoggerHook', interval=max(1, iters // 8),
        log_metric_by_epoch=False)
    cfg.log_processor = dict(by_epoch=False)


def train(cfg: Config) -> str:
    """Train with an mmengine Runner; return the last checkpoint."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def stage2(cfg: Config, ckpt: str, layout: DataLayout, out_dir: str,
           scales: Sequence[float], flip: bool) -> Dict:
    """Pseudo-labels of the train split at the best background threshold,
    with their evaluation; CAMs kept for the report."""
    model, loader = build_cam_inference(cfg, ckpt, layout.splits['train'],
                                        layout.root, scales, flip)
    cam_dir = osp.join(out_dir, 'cams')
    counts = generate_pseudo_labels(
        model, loader, cam_dir, save_cams=True, overwrite=True,
        settings=dict(checkpoint=ckpt, scales=list(scales), flip=flip),
        progress=False)
    if counts['failed']:
        raise RuntimeError(f'{counts["failed"]} images failed in stage 2')
    mious = sweep_cam_dir(
        cam_dir, layout.gt_dir, THRESHOLDS, count_absent=COUNT_ABSENT)
    best = int(np.nanargmax(mious))
    curve = save_threshold_curve(THRESHOLDS, mious, out_dir)
    label_dir = osp.join(out_dir, 'labels')
    os.makedirs(label_dir, exist_ok=True)
    palette = palette_bytes(loader.dataset.metainfo['palette'])
    stems = sorted(
        osp.splitext(n)[0] for n in os.listdir(cam_dir) if n.endswith('.npz'))
    for stem in stems:
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        save_png_atomic(
            labels_from_cams(archive, THRESHOLDS[best]),
            osp.join(label_dir, stem + '.png'), palette)
    ev = evaluate_label_dirs(
        label_dir, layout.gt_dir, stems=stems, count_absent=COUNT_ABSENT)
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
        num_images=ev['num_images'])


def stage3(config: str, layout: DataLayout, label_dir: str, work_dir: str,
           iters: Optional[int]) -> Dict[str, float]:
    """Train the segmentation config on ``label_dir``; evaluate on val GT."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    ds = cfg.train_dataloader.dataset
    ds.update(
        data_root=layout.root,
        ann_file=layout.splits['train'],
        data_prefix=dict(img_path='JPEGImages', seg_map_path=label_dir))
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].dataset.update(
            data_root=layout.root,
            ann_file=layout.splits['val'],
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'))
    if iters is not None:
        set_iters(cfg, iters)
    runner = Runner.from_cfg(cfg)
    runner.train()  # validates once at the last iteration
    hub = runner.message_hub
    return {
        k[len('val/'):]: float(v.current())
        for k, v in hub.log_scalars.items() if k.startswith('val/')
    }


def overlays(results: Dict[str, Dict], layout: DataLayout, out_dir: str,
             num: int = 4) -> List[str]:
    from mmseg.datasets import PascalVOCDataset
    palette = PascalVOCDataset.METAINFO['palette']
    names = list(results)
    stems = sorted(
        osp.splitext(n)[0]
        for n in os.listdir(results[names[0]]['cam_dir'])
        if n.endswith('.npz'))[:num]
    paths = []
    for stem in stems:
        img = read_image(
            osp.join(layout.root, 'JPEGImages', stem + '.jpg'),
            channel_order='rgb')
        gt = load_label_png(osp.join(layout.gt_dir, stem + '.png'))
        tiles, titles = [img, label_overlay(img, gt, palette)], ['image', 'GT']
        for name in names:
            arch = load_cam_archive(
                osp.join(results[name]['cam_dir'], stem + '.npz'))
            heat = arch['cams'].max(0) if len(arch['keys']) else 0 * gt
            lab = load_label_png(
                osp.join(results[name]['label_dir'], stem + '.png'))
            tiles += [cam_heatmap(img, heat), label_overlay(img, lab, palette)]
            titles += [f'{name} CAM', f'{name} PL']
        paths.append(
            save_panel(tiles, osp.join(out_dir, f'overlay_{stem}.png'),
                       titles))
    return paths


def combined_curve(results: Dict[str, Dict], out_dir: str) -> str:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, r in results.items():
        ax.plot(THRESHOLDS, r['mious'], marker='o', ms=3, label=name)
    ax.set_xlabel('background threshold')
    ax.set_ylabel('CAM mIoU on train (%)')
    ax.legend()
    fig.tight_layout()
    path = osp.join(out_dir, 'threshold_curves.png')
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return path


def write_report(path: str, ctx: Dict) -> str:
    res, seg = ctx['results'], ctx['seg']
    lines = [
        '# hfpl-mm pipeline report', '',
        f'Data: `{ctx["data_root"]}` ({ctx["num_train"]} train images '
        f'evaluated). Stage 1: `{ctx["iters1"]}` iterations; CAM inference '
        f'scales {ctx["scales"]}, flip {ctx["flip"]}. Wall time '
        f'{ctx["elapsed"]:.0f} s.', '',
        '## Pseudo-labels (train split, against its GT)', '',
        'The background threshold is swept on the train GT as the '
        "reference's CAM evaluation does; the pseudo-labels use each "
        "method's best threshold.", '',
        '| method | config | best CAM mIoU | threshold | pseudo-label mIoU '
        '| contour F | contour P | contour R |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for name, r in res.items():
        lines.append(
            f'| {name} | `{ctx["configs"][name]}` | {r["best_miou"]:.2f} | '
            f'{r["best_threshold"]:.2f} | {r["pl_miou"]:.2f} | '
            f'{r["contour_f"]:.2f} | {r["contour_p"]:.2f} | '
            f'{r["contour_r"]:.2f} |')
    names = list(res)
    if len(names) == 2:
        a, b = res[names[0]], res[names[1]]
        lines += [
            '', f'Add-on minus baseline: pseudo-label mIoU '
            f'{b["pl_miou"] - a["pl_miou"]:+.2f}, contour F '
            f'{b["contour_f"] - a["contour_f"]:+.2f}.'
        ]
    if seg:
        lines += [
            '', '## Segmentation (stage 3, val split against GT)', '',
            f'`{ctx["seg_config"]}`, {ctx["iters3"]} iterations on each '
            'method\'s pseudo-labels.', '',
            '| trained on | mIoU | contour F |', '|---|---|---|'
        ]
        for name, m in seg.items():
            lines.append(f'| {name} pseudo-labels | {m.get("mIoU", np.nan):.2f}'
                         f' | {m.get("contour/F", np.nan):.2f} |')
    rel = lambda p: osp.relpath(p, osp.dirname(path))  # noqa: E731
    lines += ['', '## Figures', '', f'![threshold curves]({rel(ctx["curve"])})',
              '']
    lines += [f'![overlay]({rel(p)})' for p in ctx['overlays']]
    text = '\n'.join(lines) + '\n'
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        f.write(text)
    return text


def run_pipeline(data_root: str,
                 work_dir: str,
                 configs: Dict[str, str],
                 seg_config: Optional[str],
                 iters1: Optional[int] = None,
                 iters3: Optional[int] = None,
                 scales: Sequence[float] = (1.0, 0.5, 1.5),
                 flip: bool = True,
                 cls_labels: Optional[str] = None,
                 seg_on: Sequence[str] = ()) -> Dict:
    """Run the main job; return the report context (also written as
    ``<work_dir>/report.md`` and ``report.json``)."""
    t0 = time.time()
    work_dir = osp.abspath(work_dir)
    layout = DataLayout(data_root, work_dir, cls_labels)
    results, seg = {}, {}
    for name, config in configs.items():
        log(f'stage 1 [{name}]: training {config}')
        cfg = stage1_cfg(config, layout, osp.join(work_dir, name), iters1)
        ckpt = train(cfg)
        log(f'stage 2 [{name}]: pseudo-labels from {ckpt}')
        results[name] = stage2(cfg, ckpt, layout,
                               osp.join(work_dir, name, 'pseudo'), scales,
                               flip)
        r = results[name]
        log(f'stage 2 [{name}]: CAM mIoU {r["best_miou"]:.2f} at '
            f'{r["best_threshold"]:.2f}; pseudo-labels mIoU '
            f'{r["pl_miou"]:.2f}, contour F {r["contour_f"]:.2f}')
    for name in seg_on:
        log(f'stage 3 [{name}]: training {seg_config}')
        seg[name] = stage3(seg_config, layout, results[name]['label_dir'],
                           osp.join(work_dir, name, 'seg'), iters3)
        log(f'stage 3 [{name}]: {seg[name]}')
    fig_dir = osp.join(work_dir, 'figures')
    os.makedirs(fig_dir, exist_ok=True)
    ctx = dict(
        data_root=layout.root,
        num_train=next(iter(results.values()))['num_images'],
        iters1=iters1 or 'config',
        iters3=iters3 or 'config',
        scales=list(scales),
        flip=flip,
        configs=configs,
        seg_config=seg_config,
        results=results,
        seg=seg,
        curve=combined_curve(results, fig_dir),
        overlays=overlays(results, layout, fig_dir),
        elapsed=time.time() - t0)
    text = write_report(osp.join(work_dir, 'report.md'), ctx)
    path = osp.join(work_dir, 'report.json')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        json.dump(ctx, f, indent=2, default=float)
    print(text, flush=True)
    return ctx
