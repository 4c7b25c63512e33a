# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Multi-seed ablation of the HFPL add-on on the synthetic presets.

    python benchmarks/ablation.py                       # the full grid
    python benchmarks/ablation.py --seeds 0 --variants baseline hfpl --quick

The grid: for every preset (``default``, ``hard``; see
``tools/make_synthetic_voc.py``) and data seed (0, 1, 2), and every variant

* ``baseline``: vanilla CAM (``configs/synthetic/cam_r18h-...``),
* ``isl``: + ISL only, ``fsl``: + FSL only,
* ``hfpl``: + ISL + FSL, binomial posteriors (the add-on twin),
* ``hfpl-multinomial``: + ISL + FSL, multinomial posteriors,

a *stage-1+2 cell* trains the CAM network and evaluates its train-split
CAMs: mIoU at the best threshold of the reference's sweep and at the fixed
0.26, and the pseudo-labels' contour F, precision and recall. For the
``--full-variants`` (``baseline`` and ``hfpl``) a *full cell* then runs the
paper's pipeline on those CAMs: AffinityNet labels from the confident
regions (CRF), AffinityNet training, random-walk refinement, and DeepLab-v3+
on the refined labels, validated every ``--val-every`` iterations so the
curve shows where its mIoU stops rising; it reports the refined labels'
mIoU / contour F on train and DeepLab's mIoU / contour F on val.

Every finished cell is kept as ``<work-dir>/cells/<preset>/seed<k>/
<variant>/{stage12,full}.json`` (written atomically); a rerun skips those
and redoes only unfinished cells, so a killed run continues where it
stopped. A progress line per cell gives its ETA. The report goes to
``<work-dir>/ablation.md`` with ``bars_<preset>.png`` (mean and standard
deviation over seeds) and ``stage3_curves_<preset>.png``.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

PRESETS = ('default', 'hard')
VARIANTS = ('baseline', 'isl', 'fsl', 'hfpl', 'hfpl-multinomial')
FULL_VARIANTS = ('baseline', 'hfpl')
CAM_CFG = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
TWIN_CFG = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
AFF_CFG = 'configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py'
SEG_CFG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-'
           'pseudo-128x128.py')
FIXED_THRESHOLD = 0.26

#: (config, cfg-options) of each variant.
VARIANT_CONFIGS = {
    'baseline': (CAM_CFG, {}),
    'isl': (TWIN_CFG, {'model.decode_head.loss_fsl': None}),
    'fsl': (TWIN_CFG, {'model.decode_head.loss_isl': None}),
    'hfpl': (TWIN_CFG, {}),
    'hfpl-multinomial': (TWIN_CFG, {
        'model.decode_head.loss_isl.posterior': 'multinomial',
        'model.decode_head.loss_fsl.posterior': 'multinomial'
    }),
}

#: Schedules of a normal and a --quick run.
SETTINGS = {
    'full': dict(num_train=240, num_val=60, iters1=400, aff_iters=300,
                 seg_iters=1500, val_every=250, scales=(1.0, 0.5, 1.5),
                 flip=True),
    'quick': dict(num_train=64, num_val=24, iters1=150, aff_iters=100,
                  seg_iters=300, val_every=100, scales=(1.0, ), flip=False),
}

Cell = Tuple[str, int, str, str]  # preset, seed, variant, kind


def log(msg: str) -> None:
    print(f'[ablation] {msg}', flush=True)


def cell_path(work_dir: str, cell: Cell) -> str:
    preset, seed, variant, kind = cell
    return osp.join(work_dir, 'cells', preset, f'seed{seed}', variant,
                    f'{kind}.json')


def plan_cells(presets: Sequence[str], seeds: Sequence[int],
               variants: Sequence[str],
               full_variants: Sequence[str]) -> List[Cell]:
    """Every cell of the grid, each full cell after its stage-1+2 cell."""
    cells = []
    for preset in presets:
        for seed in seeds:
            for variant in variants:
                cells.append((preset, seed, variant, 'stage12'))
                if variant in full_variants:
                    cells.append((preset, seed, variant, 'full'))
    return cells


def run_grid(cells: Sequence[Cell], work_dir: str,
             compute: Callable[[Cell], Dict]) -> Dict[Cell, Dict]:
    """Results of every cell: read from disk when finished before,
    computed (and written atomically) otherwise, with a progress line and
    an ETA from the cells computed in this run."""
    from hfpl_mm.utils.atomic import atomic_write
    results, spent, todo = {}, [], []
    for cell in cells:
        path = cell_path(work_dir, cell)
        if osp.isfile(path):
            with open(path) as f:
                results[cell] = json.load(f)
        else:
            todo.append(cell)
    if len(todo) < len(cells):
        log(f'{len(cells) - len(todo)} of {len(cells)} cells on disk, '
            'not recomputed')
    for k, cell in enumerate(todo):
        eta = ''
        if spent:
            left = np.mean(spent) * (len(todo) - k)
            eta = f', ETA {left / 60:.0f} min'
        log(f'cell {k + 1}/{len(todo)}: {" ".join(map(str, cell))}{eta}')
        t0 = time.time()
        res = compute(cell)
        spent.append(time.time() - t0)
        res['seconds'] = spent[-1]
        path = cell_path(work_dir, cell)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, 'w') as f:
            json.dump(res, f, indent=1, default=float)
        results[cell] = res
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
        if cell[3] == 'stage12':
            return self.stage12(cell)
        return self.full(cell)

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
        ckpt = train(cfg)
        res, meta = stage2(cfg, ckpt, layout, osp.join(out, 'pseudo'),
                           self.s['scales'], self.s['flip'])
        # the labels at the fixed threshold, for the fixed-threshold mIoU
        fixed_dir = osp.join(out, 'pseudo', 'labels_fixed')
        write_threshold_labels(res['cam_dir'], fixed_dir, FIXED_THRESHOLD,
                               meta['palette'])
        fixed = evaluate_label_dirs(fixed_dir, layout.gt_dir,
                                    len(meta['classes']),
                                    count_absent=COUNT_ABSENT)
        return dict(
            cam_miou_best=res['best_miou'],
            best_threshold=res['best_threshold'],
            cam_miou_fixed=fixed['mIoU'] * 100,
            contour_f=res['contour_f'],
            contour_p=res['contour_p'],
            contour_r=res['contour_r'],
            mious=res['mious'],
            cam_dir=res['cam_dir'],
            label_dir=res['label_dir'])

    def full(self, cell: Cell) -> Dict:
        from mmengine.runner import Runner as MMRunner

        from hfpl_mm.apis import (init_model, make_affinity_labels,
                                  refine_with_random_walk,
                                  resolve_dataset_meta)
        from hfpl_mm.apis.evaluate import evaluate_label_dirs
        from hfpl_mm.apis.pipeline import (COUNT_ABSENT, DataLayout,
                                           load_config, train)
        from hfpl_mm.utils.config import (iter_schedule_options,
                                          merge_cfg_options)
        preset, seed, variant, _ = cell
        with open(cell_path(self.work_dir,
                            (preset, seed, variant, 'stage12'))) as f:
            s12 = json.load(f)
        out = self.cell_dir(cell)
        root = self.data_root(preset, seed)
        layout = DataLayout(root, out)
        img_dir = osp.join(root, 'JPEGImages')
        aff_dir = osp.join(out, 'affinity_labels')
        make_affinity_labels(s12['cam_dir'], img_dir, aff_dir)
        aff_cfg = load_config(
            osp.join(REPO, AFF_CFG), osp.join(out, 'affnet'), {
                'train_dataloader.dataset.data_root': root,
                'train_dataloader.dataset.ann_file': layout.splits['train'],
                'train_dataloader.dataset.data_prefix.seg_map_path': aff_dir,
                'randomness': dict(seed=seed),
            }, self.s['aff_iters'])
        aff_ckpt = train(aff_cfg)
        model = init_model(aff_cfg, aff_ckpt)
        rw_dir = osp.join(out, 'rw_labels')
        meta = resolve_dataset_meta(model, config=aff_cfg)
        refine_with_random_walk(model, s12['cam_dir'], img_dir, rw_dir,
                                meta['palette'])
        rw = evaluate_label_dirs(rw_dir, layout.gt_dir, len(meta['classes']),
                                 count_absent=COUNT_ABSENT)
        seg_cfg = load_config(
            osp.join(REPO, SEG_CFG), osp.join(out, 'seg'),
            dict(layout.stage3_options(rw_dir), randomness=dict(seed=seed)),
            None)
        merge_cfg_options(
            seg_cfg,
            iter_schedule_options(seg_cfg, self.s['seg_iters'],
                                  val_interval=self.s['val_every']))
        runner = MMRunner.from_cfg(seg_cfg)
        runner.train()
        hub = runner.message_hub
        curve = [float(v) for v in hub.get_scalar('val/mIoU').data[0]]
        contour = [float(v) for v in hub.get_scalar('val/contour/F').data[0]]
        iters = [
            min(self.s['val_every'] * (k + 1), self.s['seg_iters'])
            for k in range(len(curve))
        ]
        return dict(
            rw_miou=rw['mIoU'] * 100,
            rw_contour_f=rw['contour_f'] * 100,
            seg_miou=curve[-1],
            seg_contour_f=contour[-1],
            seg_miou_best=max(curve),
            curve_iters=iters,
            curve_miou=curve)


def mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}'


STAGE12_COLUMNS = (('cam_miou_best', 'CAM mIoU (best t)'),
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


def write_report(results: Dict[Cell, Dict], cells: Sequence[Cell],
                 work_dir: str, settings: dict) -> str:
    """Markdown tables (mean ± std over seeds, and per seed) and plots."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from hfpl_mm.utils.atomic import atomic_write
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
        f'{total / 60:.0f} min.', ''
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
        # bars: CAM mIoU and contour F, mean and std over seeds
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, (key, name) in zip(axes, (STAGE12_COLUMNS[0],
                                          STAGE12_COLUMNS[2])):
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
    text = '\n'.join(lines) + '\n'
    path = osp.join(work_dir, 'ablation.md')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        f.write(text)
    return text


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
    p.add_argument('--quick', action='store_true',
                   help='64 / 24 images, 150 stage-1, 100 AffinityNet and '
                   '300 DeepLab iterations, one scale (a smoke run)')
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
    cells = plan_cells(args.presets, args.seeds, args.variants,
                       [v for v in args.full_variants if v in args.variants])
    t0 = time.time()
    results = run_grid(cells, work_dir, Runner(work_dir, settings))
    print(write_report(results, cells, work_dir, settings))
    log(f'done in {(time.time() - t0) / 60:.1f} min; report: '
        f'{osp.join(work_dir, "ablation.md")}')


if __name__ == '__main__':
    main()
