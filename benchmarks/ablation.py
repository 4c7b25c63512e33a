# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Multi-seed ablation of the HFPL add-on on the synthetic presets.

    python benchmarks/ablation.py                       # the full grid
    python benchmarks/ablation.py --seeds 0 --variants baseline hfpl --quick

The grid: for every preset (``default``, ``hard``; see
``tools/make_synthetic_voc.py``) and data seed (0, 1, 2), and every variant

* ``baseline``: vanilla CAM (``configs/synthetic/cam_r18h-...``),
* ``isl``: + ISL only, ``fsl``: + FSL only,
* ``hfpl``: + ISL + FSL, binomial posteriors (the add-on twin),
* ``hfpl-multinomial``: + ISL + FSL, the multinomial forms of the
  predecessor (learned background channel, its weights; ``configs/
  synthetic/hfpl-multinomial-cam_...``),

a *stage-1+2 cell* trains the CAM network and evaluates its train-split
CAMs: mIoU at the best threshold of the reference's sweep and at the fixed
0.26, and the pseudo-labels' contour F, precision and recall. For the
``--full-variants`` (``baseline`` and ``hfpl``) a *full cell* then runs the
paper's pipeline on those CAMs: AffinityNet labels from the confident
regions (CRF), AffinityNet training, random-walk refinement, and DeepLab-v3+
on the refined labels, validated along its schedule (every 250 of 1500
iterations) so the curve shows where its mIoU stops rising; it reports the
refined labels' mIoU / contour F on train and DeepLab's mIoU / contour F on
val. For ``--threshold-seeds`` a *thresholds cell* trains DeepLab on the
stage-2 labels themselves (no random walk) at the sweep's best threshold and
0.1 either side. The report's analysis tables follow the labels along the
pipeline (mIoU, background precision / recall, contour F, per-class IoU of
the stage-2 labels, the random-walk labels and DeepLab's val predictions)
and set the thresholded labels' DeepLab next to the random walk's.

Every finished cell is kept as ``<work-dir>/cells/<preset>/seed<k>/
<variant>/<kind>.json`` (written atomically); a rerun skips those and redoes
only unfinished cells, so a killed run continues where it stopped. A
progress line per cell gives its ETA (each cell still to run counted at the
mean time of the finished cells of its kind; before any thresholds cell has
finished, one counts as three DeepLab runs of the finished full cells).
``--jobs N`` runs the cells in N processes (one (preset, seed, variant)
chain each, a progress line per finished chain: its ETA places the chains
still queued on the first free process, after what the running chains
still need, their estimate less their time so far). The report goes to
``<work-dir>/ablation.md`` with ``bars_<preset>.png`` (mean and standard
deviation over seeds) and ``stage3_curves_<preset>.png``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import (Callable, Collection, Dict, List, Optional, Sequence,
                    Tuple)

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

PRESETS = ('default', 'hard')
VARIANTS = ('baseline', 'isl', 'fsl', 'hfpl', 'hfpl-multinomial')
FULL_VARIANTS = ('baseline', 'hfpl')
CAM_CFG = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
TWIN_CFG = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
MULTI_CFG = ('configs/synthetic/hfpl-multinomial-cam_r18h-d8_1xb8-400i_'
             'synthvoc-128x128.py')
AFF_CFG = 'configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py'
SEG_CFG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-'
           'pseudo-128x128.py')
FIXED_THRESHOLD = 0.26

#: (config, cfg-options) of each variant.
VARIANT_CONFIGS = {
    'baseline': (CAM_CFG, {}),
    'isl': (TWIN_CFG, {'model.addon.loss_fsl': None}),
    'fsl': (TWIN_CFG, {'model.addon.loss_isl': None}),
    'hfpl': (TWIN_CFG, {}),
    'hfpl-multinomial': (MULTI_CFG, {}),
}

#: Schedules of a normal and a --quick run.
SETTINGS = {
    'full': dict(num_train=240, num_val=60, iters1=400, aff_iters=300,
                 seg_iters=1500, val_every=250, scales=(1.0, 0.5, 1.5),
                 flip=True),
    # quick: data loaded in the main process (32 images are 4 batches: the
    # loader would start its worker processes again every 4 iterations)
    'quick': dict(num_train=32, num_val=16, iters1=60, aff_iters=40,
                  seg_iters=100, val_every=50, scales=(1.0, ), flip=False,
                  num_workers=0),
}

Cell = Tuple[str, int, str, str]  # preset, seed, variant, kind
# a thresholds cell trains DeepLab at the sweep's best threshold + these
THRESHOLD_OFFSETS = (-0.1, 0.0, 0.1)


def log(msg: str) -> None:
    print(f'[ablation] {msg}', flush=True)


def cell_path(work_dir: str, cell: Cell) -> str:
    preset, seed, variant, kind = cell
    return osp.join(work_dir, 'cells', preset, f'seed{seed}', variant,
                    f'{kind}.json')


def plan_cells(presets: Sequence[str],
               seeds: Sequence[int],
               variants: Sequence[str],
               full_variants: Sequence[str],
               threshold_seeds: Sequence[int] = ()) -> List[Cell]:
    """Every cell of the grid, each full and thresholds cell after its
    stage-1+2 cell (thresholds cells for ``full_variants`` on
    ``threshold_seeds`` only)."""
    cells = []
    for preset in presets:
        for seed in seeds:
            for variant in variants:
                cells.append((preset, seed, variant, 'stage12'))
                if variant in full_variants:
                    cells.append((preset, seed, variant, 'full'))
                    if seed in threshold_seeds:
                        cells.append((preset, seed, variant, 'thresholds'))
    return cells


def chains(cells: Sequence[Cell]) -> List[List[Cell]]:
    """The cells grouped by (preset, seed, variant), in plan order: a chain
    runs in one process, its later cells reading its stage-1+2 cell's files;
    chains with more cells first (they take longest)."""
    groups: Dict[Tuple, List[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell[:3], []).append(cell)
    return sorted(groups.values(), key=len, reverse=True)


def read_cells(cells: Sequence[Cell], work_dir: str) -> Dict[Cell, Dict]:
    """The results of the cells finished on disk."""
    done = finished_cells(work_dir)
    return {cell: done[cell] for cell in cells if cell in done}


def finished_cells(work_dir: str) -> Dict[Cell, Dict]:
    """Every cell finished on disk in ``work_dir``, of any grid (their
    times make the ETA); the files :func:`cell_path` names."""
    results = {}
    root = osp.join(work_dir, 'cells')
    for path in glob.glob(cell_path(work_dir, ('*', '*', '*', '*'))):
        preset, seed, variant, name = osp.relpath(path, root).split(os.sep)
        cell = (preset, int(seed[len('seed'):]), variant,
                osp.splitext(name)[0])
        with open(path) as f:
            results[cell] = json.load(f)
    return results


def eta_seconds(todo: Sequence[Cell],
                results: Dict[Cell, Dict]) -> Optional[float]:
    """Seconds the ``todo`` cells will take: each counts the mean
    ``seconds`` of the finished cells of its kind (a full cell takes
    several times a stage-1+2 cell). A thresholds cell with none of its
    kind finished counts its ``len(THRESHOLD_OFFSETS)`` DeepLab runs at
    the mean ``deeplab_seconds`` of the finished full cells (the same
    DeepLab schedule); any other kind with none finished, the mean of all
    finished cells. None before any cell has finished."""
    by_kind: Dict[str, List[float]] = {}
    deeplab = []
    for cell, res in results.items():
        if 'seconds' in res:
            by_kind.setdefault(cell[3], []).append(res['seconds'])
        if cell[3] == 'full' and 'deeplab_seconds' in res:
            deeplab.append(res['deeplab_seconds'])
    if not by_kind:
        return None
    mean = {kind: float(np.mean(t)) for kind, t in by_kind.items()}
    if 'thresholds' not in mean and deeplab:
        mean['thresholds'] = len(THRESHOLD_OFFSETS) * float(np.mean(deeplab))
    fallback = float(np.mean(sum(by_kind.values(), [])))
    return sum(mean.get(cell[3], fallback) for cell in todo)


def chains_eta_seconds(running: Sequence[float], queued: Sequence[float],
                       jobs: int) -> float:
    """Seconds until the last chain finishes on ``jobs`` processes: the
    ``running`` chains need the given seconds more, then each ``queued``
    chain (in submission order, its estimated seconds) starts on the
    first process to become free."""
    free = sorted(list(running) + [0.0] * max(0, jobs - len(running)))
    for seconds in queued:
        free[0] += seconds
        free.sort()
    return max(free, default=0.0)


def pending_chains_eta(chains_: Sequence[Sequence[Cell]],
                       pending: Collection[int], started: Dict[int, float],
                       on_disk: Collection[Cell], timed: Dict[Cell, Dict],
                       now: float, jobs: int) -> Optional[float]:
    """Seconds until the ``pending`` chains (indices into ``chains_``)
    finish (:func:`chains_eta_seconds`). A chain's estimate counts the
    cells it computes, not those ``on_disk`` before the run, each at its
    kind's mean time in ``timed`` (:func:`eta_seconds`); a chain that
    ``started`` (index -> time) has its time so far subtracted, the others
    wait in index order. None before any cell has finished."""
    cost = {
        i: eta_seconds([c for c in chains_[i] if c not in on_disk], timed)
        for i in pending
    }
    if None in cost.values():
        return None
    order = sorted(pending)
    return chains_eta_seconds(
        [max(0.0, cost[i] - (now - started[i])) for i in order
         if i in started], [cost[i] for i in order if i not in started],
        jobs)


def run_grid(cells: Sequence[Cell], work_dir: str,
             compute: Callable[[Cell], Dict]) -> Dict[Cell, Dict]:
    """Results of every cell: read from disk when finished before,
    computed (and written atomically) otherwise, with a progress line and
    an ETA per cell kind from every cell finished in ``work_dir``
    (:func:`finished_cells`, :func:`eta_seconds`)."""
    from hfpl_mm.utils.atomic import atomic_write
    timed = finished_cells(work_dir)
    results = {c: timed[c] for c in cells if c in timed}
    todo = [c for c in cells if c not in results]
    if len(todo) < len(cells):
        log(f'{len(cells) - len(todo)} of {len(cells)} cells on disk, '
            'not recomputed')
    for k, cell in enumerate(todo):
        left = eta_seconds(todo[k:], timed)
        eta = '' if left is None else f', ETA {left / 60:.0f} min'
        log(f'cell {k + 1}/{len(todo)}: {" ".join(map(str, cell))}{eta}')
        t0 = time.time()
        res = compute(cell)
        res['seconds'] = time.time() - t0
        path = cell_path(work_dir, cell)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, 'w') as f:
            json.dump(res, f, indent=1, default=float)
        results[cell] = timed[cell] = res
    return results


class Runner:
    """Computes the cells on the synthetic data (rendered on first use)."""

    def __init__(self, work_dir: str, settings: dict) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.s = settings

    def data_root(self, preset: str, seed: int) -> str:
        from hfpl_mm.datasets.synthetic import generate_synthetic_voc
        root = osp.join(self.work_dir, 'data', f'{preset}-seed{seed}')
        if not osp.isdir(root):
            generate_synthetic_voc(
                root, self.s['num_train'], self.s['num_val'], seed=seed,
                preset=preset)
        return root

    def cell_dir(self, cell: Cell) -> str:
        preset, seed, variant, kind = cell
        path = osp.join(self.work_dir, 'runs', preset, f'seed{seed}',
                        variant, kind)
        if osp.isdir(path):  # an unfinished cell of a killed run
            shutil.rmtree(path)
        os.makedirs(path)
        return path

    def __call__(self, cell: Cell) -> Dict:
        return getattr(self, cell[3])(cell)

    def loaders(self, cfg):
        """The settings' ``num_workers`` (if any) for every dataloader of
        ``cfg`` (changed in place and returned)."""
        from hfpl_mm.utils.config import merge_cfg_options
        n = self.s.get('num_workers')
        if n is None:
            return cfg
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(k):
                # mmengine keeps workers alive by default; that needs some
                merge_cfg_options(cfg, {
                    f'{k}.num_workers': n,
                    f'{k}.persistent_workers': n > 0
                })
        return cfg

    def stage12_result(self, cell: Cell) -> Dict:
        with open(cell_path(self.work_dir, cell[:3] + ('stage12', ))) as f:
            return json.load(f)

    def deeplab(self, layout, label_dir: str, work_dir: str, seed: int,
                pred_dir: Optional[str] = None) -> Dict:
        """DeepLab-v3+ on ``label_dir``'s labels, validated every
        ``val_every`` iterations; with ``pred_dir``, its val predictions
        are written there (PNG) for the per-class analysis."""
        from mmengine.runner import Runner as MMRunner

        from hfpl_mm.apis.pipeline import load_config
        from hfpl_mm.utils.config import (iter_schedule_options,
                                          merge_cfg_options)
        t0 = time.time()
        seg_cfg = load_config(
            osp.join(REPO, SEG_CFG), work_dir,
            dict(layout.stage3_options(label_dir), randomness=dict(seed=seed)),
            None)
        merge_cfg_options(
            seg_cfg,
            iter_schedule_options(seg_cfg, self.s['seg_iters'],
                                  val_interval=self.s['val_every']))
        runner = MMRunner.from_cfg(self.loaders(seg_cfg))
        runner.train()
        hub = runner.message_hub
        curve = [float(v) for v in hub.get_scalar('val/mIoU').data[0]]
        contour = [float(v) for v in hub.get_scalar('val/contour/F').data[0]]
        if pred_dir is not None:
            write_predictions(runner, pred_dir)
        return dict(
            seg_miou=curve[-1],
            seg_contour_f=contour[-1],
            seg_miou_best=max(curve),
            curve_iters=[
                min(self.s['val_every'] * (k + 1), self.s['seg_iters'])
                for k in range(len(curve))
            ],
            curve_miou=curve,
            deeplab_seconds=time.time() - t0)

    def stage12(self, cell: Cell) -> Dict:
        from hfpl_mm.apis.evaluate import evaluate_label_dirs
        from hfpl_mm.apis.pipeline import (COUNT_ABSENT, DataLayout,
                                           load_config, stage2, train,
                                           write_threshold_labels)
        preset, seed, variant, _ = cell
        out = self.cell_dir(cell)
        layout = DataLayout(self.data_root(preset, seed), out)
        config, opts = VARIANT_CONFIGS[variant]
        cfg = load_config(osp.join(REPO, config), osp.join(out, 'train'),
                          dict(layout.stage1_options(), randomness=dict(
                              seed=seed), **opts), self.s['iters1'])
        ckpt = train(self.loaders(cfg))
        res, meta = stage2(cfg, ckpt, layout, osp.join(out, 'pseudo'),
                           dict(scales=self.s['scales'],
                                flip=self.s['flip']))
        # the labels at the fixed threshold, for the fixed-threshold mIoU
        fixed_dir = osp.join(out, 'pseudo', 'labels_fixed')
        write_threshold_labels(res['cam_dir'], fixed_dir, FIXED_THRESHOLD,
                               meta['palette'])
        fixed = evaluate_label_dirs(fixed_dir, layout.gt_dir,
                                    len(meta['classes']),
                                    count_absent=COUNT_ABSENT)
        labels = evaluate_label_dirs(res['label_dir'], layout.gt_dir,
                                     len(meta['classes']),
                                     count_absent=COUNT_ABSENT)
        return dict(
            cam_miou_best=res['best_miou'],
            best_threshold=res['best_threshold'],
            cam_miou_fixed=fixed['mIoU'] * 100,
            labels=label_stats(labels),
            contour_f=res['contour_f'],
            contour_p=res['contour_p'],
            contour_r=res['contour_r'],
            mious=res['mious'],
            cam_dir=res['cam_dir'],
            label_dir=res['label_dir'])

    def full(self, cell: Cell) -> Dict:
        """AffinityNet on the stage-1+2 CAMs, random walk, DeepLab."""
        from hfpl_mm.apis import (init_model, make_affinity_labels,
                                  refine_with_random_walk,
                                  resolve_dataset_meta)
        from hfpl_mm.apis.evaluate import evaluate_label_dirs
        from hfpl_mm.apis.pipeline import (COUNT_ABSENT, DataLayout,
                                           load_config, train)
        preset, seed, variant, _ = cell
        s12 = self.stage12_result(cell)
        out = self.cell_dir(cell)
        root = self.data_root(preset, seed)
        layout = DataLayout(root, out)
        img_dir = osp.join(root, 'JPEGImages')
        aff_dir = osp.join(out, 'affinity_labels')
        # the cell owns its folders: a rerun of a killed cell replaces them
        make_affinity_labels(s12['cam_dir'], img_dir, aff_dir,
                             overwrite=True)
        aff_cfg = load_config(
            osp.join(REPO, AFF_CFG), osp.join(out, 'affnet'), {
                'train_dataloader.dataset.data_root': root,
                'train_dataloader.dataset.ann_file': layout.splits['train'],
                'train_dataloader.dataset.data_prefix.seg_map_path': aff_dir,
                'randomness': dict(seed=seed),
            }, self.s['aff_iters'])
        aff_ckpt = train(self.loaders(aff_cfg))
        model = init_model(aff_cfg, aff_ckpt)
        rw_dir = osp.join(out, 'rw_labels')
        meta = resolve_dataset_meta(model, config=aff_cfg)
        refine_with_random_walk(model, s12['cam_dir'], img_dir, rw_dir,
                                meta['palette'], overwrite=True)
        del model
        num_classes = len(meta['classes'])
        rw = evaluate_label_dirs(rw_dir, layout.gt_dir, num_classes,
                                 count_absent=COUNT_ABSENT)
        pred_dir = osp.join(out, 'seg_val_pred')
        seg = self.deeplab(layout, rw_dir, osp.join(out, 'seg'), seed,
                           pred_dir)
        val = evaluate_label_dirs(pred_dir, layout.gt_dir, num_classes,
                                  count_absent=COUNT_ABSENT)
        return dict(
            seg,
            rw_miou=rw['mIoU'] * 100,
            rw_contour_f=rw['contour_f'] * 100,
            rw_labels=label_stats(rw),
            seg_val=label_stats(val))

    def thresholds(self, cell: Cell) -> Dict:
        """DeepLab on the stage-2 labels (no random walk) at the sweep's
        best threshold and 0.1 either side: which label set trains the best
        segmentation model, and what the random walk adds."""
        from hfpl_mm.apis import resolve_dataset_meta
        from hfpl_mm.apis.evaluate import evaluate_label_dirs
        from hfpl_mm.apis.pipeline import (COUNT_ABSENT, DataLayout,
                                           write_threshold_labels)
        preset, seed, variant, _ = cell
        s12 = self.stage12_result(cell)
        out = self.cell_dir(cell)
        layout = DataLayout(self.data_root(preset, seed), out)
        meta = resolve_dataset_meta(None, config=osp.join(REPO, SEG_CFG))
        best = s12['best_threshold']
        rows = []
        for t in (best + d for d in THRESHOLD_OFFSETS):
            t = round(min(max(t, 0.0), 0.99), 2)
            label_dir = osp.join(out, f't{t:.2f}', 'labels')
            write_threshold_labels(s12['cam_dir'], label_dir, t,
                                   meta['palette'])
            labels = evaluate_label_dirs(label_dir, layout.gt_dir,
                                         len(meta['classes']),
                                         count_absent=COUNT_ABSENT)
            seg = self.deeplab(layout, label_dir,
                               osp.join(out, f't{t:.2f}', 'seg'), seed)
            rows.append(dict(threshold=t, labels=label_stats(labels),
                             seg_miou=seg['seg_miou'],
                             seg_miou_best=seg['seg_miou_best'],
                             curve_miou=seg['curve_miou']))
        return dict(best_threshold=best, rows=rows)


def label_stats(ev: Dict) -> Dict:
    """The analysis numbers of one :func:`evaluate_label_dirs` result:
    mIoU, per-class IoU, background precision / recall and contour F, in
    percent (NaN for classes absent from both, as JSON null)."""

    def pct(x):
        return [None if np.isnan(v) else float(v) * 100 for v in x]

    return dict(
        miou=float(ev['mIoU']) * 100,
        iou=pct(ev['iou']),
        bg_precision=float(ev['precision'][0]) * 100,
        bg_recall=float(ev['recall'][0]) * 100,
        contour_f=float(ev['contour_f']) * 100)


def write_predictions(runner, pred_dir: str) -> None:
    """The trained model's val predictions as palette PNGs named by image
    stem, each written atomically (:func:`save_png_atomic`, as every label
    folder of the package); the cell's folder is redone whole on a rerun."""
    import torch

    from hfpl_mm.apis.pseudo_labels import palette_bytes, save_png_atomic
    loader = runner.val_dataloader
    palette = palette_bytes(loader.dataset.metainfo['palette'])
    os.makedirs(pred_dir, exist_ok=True)
    model = runner.model
    model.eval()
    with torch.no_grad():
        for data in loader:
            for res in model.test_step(data):
                stem = osp.splitext(osp.basename(res.img_path))[0]
                save_png_atomic(res.pred_sem_seg.data[0].cpu().numpy(),
                                osp.join(pred_dir, stem + '.png'), palette)


def mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}'


STAGE12_COLUMNS = (('cam_miou_best', 'CAM mIoU (best t)'),
                   ('best_threshold', 'best t'),
                   ('cam_miou_fixed', f'CAM mIoU (t={FIXED_THRESHOLD})'),
                   ('contour_f', 'contour F'), ('contour_p', 'contour P'),
                   ('contour_r', 'contour R'))
FULL_COLUMNS = (('rw_miou', 'RW labels mIoU (train)'),
                ('rw_contour_f', 'RW labels contour F'),
                ('seg_miou', 'stage-3 mIoU (val, last)'),
                ('seg_miou_best', 'stage-3 mIoU (val, best)'),
                ('seg_contour_f', 'stage-3 contour F (val)'))


def save_figure(fig, path: str) -> str:
    """Write a matplotlib figure as PNG through a temporary file."""
    import matplotlib.pyplot as plt

    from hfpl_mm.utils.atomic import atomic_write
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return path


def write_report(results: Dict[Cell, Dict],
                 cells: Sequence[Cell],
                 work_dir: str,
                 settings: dict,
                 planned: Optional[int] = None) -> str:
    """Markdown tables (mean ± std over seeds, and per seed) and plots of
    the finished ``cells``; ``planned``: the grid's size, when larger."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from hfpl_mm.utils.atomic import atomic_write
    from hfpl_mm.utils.environment import environment_info, environment_line
    presets = sorted({c[0] for c in cells}, key=PRESETS.index)
    variants = sorted({c[2] for c in cells}, key=VARIANTS.index)
    seeds = sorted({c[1] for c in cells})
    total = sum(r.get('seconds', 0) for r in results.values())
    lines = [
        '# HFPL ablation on the synthetic presets', '',
        f'Seeds {seeds}; {settings["num_train"]} train / '
        f'{settings["num_val"]} val images; stage 1: '
        f'{settings["iters1"]} iterations; AffinityNet '
        f'{settings["aff_iters"]}; DeepLab-v3+ {settings["seg_iters"]} '
        f'(validated every {settings["val_every"]}). Compute of the cells: '
        f'{total / 60:.0f} min.', '',
        # what the numbers depend on besides code and seed (the CPU's
        # instruction set picks other kernels)
        environment_line(environment_info()), ''
    ]
    if planned is not None and planned > len(cells):
        lines += [
            f'Partial: {len(cells)} of the {planned} planned cells are '
            'finished; the same command continues the grid.', ''
        ]
    for preset in presets:
        for kind, columns in (('stage12', STAGE12_COLUMNS),
                              ('full', FULL_COLUMNS)):
            rows = [v for v in variants if (preset, seeds[0], v, kind) in
                    results]
            if not rows:
                continue
            title = 'stage 1 + 2' if kind == 'stage12' else \
                'full pipeline (AffinityNet, random walk, DeepLab)'
            lines += [f'## {preset} preset: {title}', '',
                      '| variant | ' + ' | '.join(c[1] for c in columns) +
                      ' |', '|---' * (len(columns) + 1) + '|']
            for v in rows:
                vals = [[results[(preset, s, v, kind)][k] for s in seeds
                         if (preset, s, v, kind) in results]
                        for k, _ in columns]
                cells_text = ' | '.join(mean_std(x) for x in vals)
                lines.append(f'| {v} | {cells_text} |')
            lines += ['', 'Per seed:', '',
                      '| variant | seed | ' + ' | '.join(
                          c[1] for c in columns) + ' |',
                      '|---' * (len(columns) + 2) + '|']
            for v in rows:
                for s in seeds:
                    r = results.get((preset, s, v, kind))
                    if r:
                        lines.append(f'| {v} | {s} | ' + ' | '.join(
                            f'{r[k]:.2f}' for k, _ in columns) + ' |')
            lines.append('')
            if kind == 'stage12':
                from hfpl_mm.utils.cam_labels import BG_THRESHOLDS
                edge = sorted({
                    c[2] for c in results if c[0] == preset
                    and c[3] == 'stage12' and results[c]['best_threshold'] >=
                    BG_THRESHOLDS[-1]
                }, key=VARIANTS.index)
                if edge:
                    lines += [
                        f'Best threshold at the upper end of the reference\'s '
                        f'sweep ({BG_THRESHOLDS[-1]}) for {", ".join(edge)} '
                        '(some seed): the best-t mIoU is a lower bound of '
                        'that variant\'s optimum.', ''
                    ]
        # bars: CAM mIoU and contour F, mean and std over seeds
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, (key, name) in zip(axes, (STAGE12_COLUMNS[0],
                                          STAGE12_COLUMNS[3])):
            means, stds = [], []
            for v in variants:
                x = [results[(preset, s, v, 'stage12')][key] for s in seeds
                     if (preset, s, v, 'stage12') in results]
                means.append(np.mean(x) if x else np.nan)
                stds.append(np.std(x, ddof=1) if len(x) > 1 else 0)
            ax.bar(range(len(variants)), means, yerr=stds, capsize=4)
            ax.set_xticks(range(len(variants)), variants, rotation=20)
            ax.set_title(f'{name} ({preset})')
        path = save_figure(fig, osp.join(work_dir, f'bars_{preset}.png'))
        lines += [f'![bars]({osp.basename(path)})', '']
        # stage-3 curves
        full = [v for v in variants if (preset, seeds[0], v, 'full') in
                results]
        if full:
            fig, ax = plt.subplots(figsize=(5, 3.5))
            for v in full:
                rs = [results[(preset, s, v, 'full')] for s in seeds
                      if (preset, s, v, 'full') in results]
                curves = np.array([r['curve_miou'] for r in rs])
                its = rs[0]['curve_iters']
                ax.plot(its, curves.mean(0), marker='o', label=v)
                if len(rs) > 1:
                    ax.fill_between(its, curves.mean(0) - curves.std(0),
                                    curves.mean(0) + curves.std(0),
                                    alpha=0.2)
            ax.set_xlabel('DeepLab iterations')
            ax.set_ylabel('val mIoU (%)')
            ax.set_title(f'stage 3 on random-walk labels ({preset})')
            ax.legend()
            path = save_figure(
                fig, osp.join(work_dir, f'stage3_curves_{preset}.png'))
            lines += [f'![stage-3 curves]({osp.basename(path)})', '']
        lines += analysis_lines(results, preset, seeds, variants)
    text = '\n'.join(lines) + '\n'
    path = osp.join(work_dir, 'ablation.md')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        f.write(text)
    return text


def _run_chain(work_dir: str, settings: dict, chain: List[Cell],
               threads: int) -> Dict[Cell, Dict]:
    """One chain in a worker process (``--jobs``)."""
    import torch
    torch.set_num_threads(threads)
    return run_grid(chain, work_dir, Runner(work_dir, settings))


def run_parallel(cells: Sequence[Cell], work_dir: str, settings: dict,
                 jobs: int) -> Tuple[Dict[Cell, Dict], List[Tuple]]:
    """:func:`run_grid` over ``jobs`` processes (spawned, so each may use
    CUDA), one :func:`chains` chain per task; a progress line per finished
    chain with the ETA. Cells already on disk are read, not recomputed; the
    datasets are rendered first, once. A chain that fails is reported and
    the others go on (its finished cells are kept; a rerun redoes the
    rest). Returns the results and the failed chains' (preset, seed,
    variant)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    runner = Runner(work_dir, settings)
    for preset, seed in sorted({c[:2] for c in cells}):
        runner.data_root(preset, seed)
    todo = chains(cells)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    results: Dict[Cell, Dict] = {}
    failed = []
    on_disk = set(finished_cells(work_dir))
    t0 = time.time()
    # the pool starts the chains in submission order, the next one when a
    # process becomes free: a chain's start is the time that happened
    started = {k: t0 for k in range(min(jobs, len(todo)))}
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context('spawn')) as ex:
        futures = {
            ex.submit(_run_chain, work_dir, settings, chain, threads): k
            for k, chain in enumerate(todo)
        }
        pending = set(futures.values())
        for k, fut in enumerate(as_completed(futures)):
            now = time.time()
            pending.discard(futures[fut])
            if len(started) < len(todo):
                started[len(started)] = now
            chain = todo[futures[fut]]
            try:
                results.update(fut.result())
            except Exception as e:  # reported; the other chains go on
                failed.append(chain[0][:3])
                log(f'chain {" ".join(map(str, chain[0][:3]))} failed: '
                    f'{type(e).__name__}: {e}')
            left = pending_chains_eta(todo, pending, started, on_disk,
                                      finished_cells(work_dir), now, jobs)
            eta = '' if left is None else f', ETA {left / 60:.0f} min'
            log(f'{k + 1}/{len(todo)} chains done in '
                f'{(time.time() - t0) / 60:.1f} min{eta}')
    return results, failed


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float('nan')


def analysis_lines(results: Dict[Cell, Dict], preset: str,
                   seeds: Sequence[int], variants: Sequence[str]) -> List[str]:
    """The stage-3 gap analysis of one preset: label quality along the
    pipeline (stage-2 labels, random-walk labels, stage-3 predictions on
    val) with background precision / recall, per-class IoU, and DeepLab on
    the stage-2 labels at three thresholds (mean over the seeds that have
    the cells)."""
    lines = []
    full = [v for v in variants
            if any((preset, s, v, 'full') in results for s in seeds)]
    if full:
        lines += [f'## {preset} preset: where the labels gain or lose', '',
                  'Mean over seeds; labels on train, predictions on val; '
                  'bg P / R = background precision / recall (%).', '',
                  '| variant | labels | mIoU | bg P | bg R | contour F |',
                  '|---|---|---|---|---|---|']
        stages = (('stage12', 'labels', 'stage-2 labels (best t)'),
                  ('full', 'rw_labels', 'random-walk labels'),
                  ('full', 'seg_val', 'stage-3 predictions (val)'))
        for v in full:
            for kind, key, name in stages:
                rs = [results[(preset, s, v, kind)][key] for s in seeds
                      if (preset, s, v, 'full') in results]
                lines.append(f'| {v} | {name} | ' + ' | '.join(
                    f'{_mean([r[k] for r in rs]):.2f}'
                    for k in ('miou', 'bg_precision', 'bg_recall',
                              'contour_f')) + ' |')
        lines.append('')
        from mmseg.datasets import PascalVOCDataset
        names = PascalVOCDataset.METAINFO['classes']
        head = [(v, name) for v in full for _, _, name in stages]
        lines += ['Per-class IoU (%), mean over seeds:', '',
                  '| class | ' + ' | '.join(f'{v}: {n}' for v, n in head) +
                  ' |', '|---' * (len(head) + 1) + '|']
        per = {}
        for v in full:
            for kind, key, name in stages:
                rs = [results[(preset, s, v, kind)][key]['iou']
                      for s in seeds if (preset, s, v, 'full') in results]
                per[(v, name)] = [_mean(col) for col in zip(*rs)]
        for c, cname in enumerate(names):
            row = [per[h][c] for h in head]
            if all(np.isnan(x) for x in row):
                continue
            lines.append(f'| {cname} | ' + ' | '.join(
                '-' if np.isnan(x) else f'{x:.1f}' for x in row) + ' |')
        lines.append('')
    rows = [(s, v, results[(preset, s, v, 'thresholds')]) for s in seeds
            for v in variants if (preset, s, v, 'thresholds') in results]
    if rows:
        lines += [f'## {preset} preset: which labels train DeepLab best', '',
                  'DeepLab-v3+ on the stage-2 labels at the sweep\'s best '
                  'threshold and 0.1 either side (no random walk), next to '
                  'the full pipeline\'s random-walk labels (same seed).', '',
                  '| seed | variant | labels | labels mIoU | bg P | bg R | '
                  'DeepLab mIoU (last) | DeepLab mIoU (best) |',
                  '|---|---|---|---|---|---|---|---|']
        for s, v, r in rows:
            for row in r['rows']:
                best = ' (best)' if abs(
                    row['threshold'] - r['best_threshold']) < 1e-6 else ''
                lab = row['labels']
                lines.append(
                    f'| {s} | {v} | t = {row["threshold"]:.2f}{best} | '
                    f'{lab["miou"]:.2f} | {lab["bg_precision"]:.1f} | '
                    f'{lab["bg_recall"]:.1f} | {row["seg_miou"]:.2f} | '
                    f'{row["seg_miou_best"]:.2f} |')
            f = results.get((preset, s, v, 'full'))
            if f:
                lab = f['rw_labels']
                lines.append(
                    f'| {s} | {v} | random walk | {lab["miou"]:.2f} | '
                    f'{lab["bg_precision"]:.1f} | {lab["bg_recall"]:.1f} | '
                    f'{f["seg_miou"]:.2f} | {f["seg_miou_best"]:.2f} |')
        lines.append('')
    return lines


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', choices=PRESETS,
                   default=list(PRESETS), help='synthetic presets')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2],
                   help='data and training seeds')
    p.add_argument('--variants', nargs='+', choices=VARIANTS,
                   default=list(VARIANTS), help='stage-1+2 variants')
    p.add_argument('--full-variants', nargs='*', choices=VARIANTS,
                   default=list(FULL_VARIANTS),
                   help='variants that also run AffinityNet, random walk '
                   'and DeepLab (only those also in --variants)')
    p.add_argument('--threshold-seeds', nargs='*', type=int, default=None,
                   help='seeds whose --full-variants also train DeepLab on '
                   'the stage-2 labels (no random walk) at the best '
                   'threshold and 0.1 either side (the thresholds cells); '
                   'default: 0, none with --quick')
    p.add_argument('--jobs', type=int, default=1,
                   help='cells run in this many processes (one '
                   '(preset, seed, variant) chain each; for a GPU machine '
                   'with many cores)')
    p.add_argument('--quick', action='store_true',
                   help='32 / 16 images, 60 stage-1, 40 AffinityNet and '
                   '100 DeepLab iterations, one scale, no thresholds cells: '
                   'a smoke run of the machinery (its numbers mean nothing)')
    p.add_argument('--report-only', action='store_true',
                   help='write the report of the cells finished on disk, '
                   'computing nothing')
    p.add_argument('--work-dir', default='work_dirs/ablation',
                   help='cells, runs, data and the report')
    return p


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    settings = SETTINGS['quick' if args.quick else 'full']
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    stamp = osp.join(work_dir, 'settings.json')
    name = 'quick' if args.quick else 'full'
    if osp.isfile(stamp):
        with open(stamp) as f:
            old = json.load(f)
        if old != name:
            raise SystemExit(f'{work_dir} holds a {old} run; use another '
                             f'--work-dir for a {name} run')
    else:
        with open(stamp, 'w') as f:
            json.dump(name, f)
    threshold_seeds = args.threshold_seeds
    if threshold_seeds is None:
        threshold_seeds = [] if args.quick else [0]
    cells = plan_cells(args.presets, args.seeds, args.variants,
                       [v for v in args.full_variants if v in args.variants],
                       threshold_seeds)
    t0 = time.time()
    failed = []
    if args.report_only:
        results = read_cells(cells, work_dir)
        if not results:
            raise SystemExit(f'no finished cells of this grid in {work_dir}')
    elif args.jobs > 1:
        results, failed = run_parallel(cells, work_dir, settings, args.jobs)
    else:
        results = run_grid(cells, work_dir, Runner(work_dir, settings))
    print(write_report(results, [c for c in cells if c in results],
                       work_dir, settings, len(cells)))
    log(f'done in {(time.time() - t0) / 60:.1f} min; report: '
        f'{osp.join(work_dir, "ablation.md")}')
    if failed:
        raise SystemExit(f'{len(failed)} chains failed: {failed}; rerun to '
                         'redo them (finished cells are kept)')


if __name__ == '__main__':
    main()
