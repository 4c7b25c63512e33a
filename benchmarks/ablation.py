# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Multi-seed ablation of the HFPL add-on on the synthetic presets.

    python benchmarks/ablation.py                       # the full grid
    python benchmarks/ablation.py --seeds 0 --variants baseline hfpl --quick
    python benchmarks/ablation.py --baselines cam seam puzzlecam

The grid: for every preset (``default``, ``hard``; see
``tools/make_synthetic_voc.py``) and data seed (0, 1, 2), and every variant
of the ``--baselines`` (vanilla CAM by default)

* ``baseline``: vanilla CAM (``configs/synthetic/cam_r18h-...``),
* ``isl``: + ISL only, ``fsl``: + FSL only,
* ``hfpl``: + ISL + FSL, binomial posteriors (the add-on twin),
* ``hfpl-multinomial``: + ISL + FSL, the multinomial forms of the
  predecessor (learned background channel, its weights; ``configs/
  synthetic/hfpl-multinomial-cam_...``),
* ``seam``, ``seam-hfpl``, ``seam-hfpl-multinomial``: SEAM at the same
  scale, its add-on twin and its multinomial twin (the paper's
  binomial-vs-multinomial comparison on the paper's baseline),
* ``puzzlecam``, ``puzzlecam-hfpl``: Puzzle-CAM and its add-on twin,
* ``hfpl-warmup``, ``hfpl-warmup-long``, ``hfpl-warmup-halfweight``,
  ``hfpl-warmup-certainty`` (``--baselines fsl-options``): the add-on with
  FSL for colour edges that are not object contours: its weight ramped up
  over the first half of training (``warmup=0.5``) or the whole of it
  (``warmup=1.0``), the half ramp to half the weight (``loss_weight=0.5``),
  and the ramp with pairs weighted by the CAMs' certainty
  (``certainty_weighting``, the robust twins' FSL); judged against
  ``baseline`` and ``hfpl`` in a table of their own,

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
and set the thresholded labels' DeepLab next to the random walk's. A summary
table gives, per baseline and preset, the add-on's effect on CAM mIoU and
contour F and whether it lies beyond the seed spread (every seed moves the
same way and the mean difference exceeds both standard deviations).

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

This file is the command line; the grid lives in ``benchmarks/
ablation_grid/``: ``cells.py`` (the :class:`Cell` record, planning),
``compute.py`` (a cell through the pipeline's stage API,
:mod:`hfpl_mm.apis.stages`, whose stage manifests let a stopped cell
continue), ``schedule.py`` (one process or a pool, ETAs) and ``report.py``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Optional, Sequence

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from ablation_grid.cells import (BASELINES, FULL_VARIANTS,  # noqa: E402
                                 PRESETS, SETTINGS, VARIANTS, plan_cells,
                                 read_cells)
from ablation_grid.compute import CellComputer  # noqa: E402
from ablation_grid.report import write_ablation_report  # noqa: E402
from ablation_grid.schedule import (ablation_log, run_grid,  # noqa: E402
                                    run_parallel)


def build_parser() -> argparse.ArgumentParser:
    from hfpl_mm.utils.config import CfgOptionsAction
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', choices=PRESETS,
                   default=list(PRESETS), help='synthetic presets')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2],
                   help='data and training seeds')
    p.add_argument('--baselines', nargs='+', choices=list(BASELINES),
                   default=['cam'],
                   help='baselines whose variants the grid runs: cam '
                   '(baseline, isl, fsl, hfpl, hfpl-multinomial), seam (seam, '
                   'seam-hfpl, seam-hfpl-multinomial), puzzlecam (puzzlecam, '
                   'puzzlecam-hfpl), fsl-options (baseline, hfpl, '
                   'hfpl-warmup, hfpl-warmup-long, hfpl-warmup-halfweight, '
                   'hfpl-warmup-certainty: FSL\'s options); the '
                   'synthetic-scale configs of configs/synthetic/')
    p.add_argument('--variants', nargs='+', choices=VARIANTS,
                   help='stage-1+2 variants (default: every variant of '
                   '--baselines)')
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
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                   help='options of every stage-1 config, key=value (e.g. '
                   'model.train_cfg.log_loss_grad_norms=True to log each '
                   'loss term\'s gradient norm); recorded in the cells, so '
                   'use a --work-dir of their own')
    return p


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    settings = dict(SETTINGS['quick' if args.quick else 'full'])
    if args.cfg_options:
        settings['stage1_options'] = dict(args.cfg_options)
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
    variants = args.variants or list(
        dict.fromkeys(v for b in args.baselines for v in BASELINES[b]))
    cells = plan_cells(args.presets, args.seeds, variants,
                       [v for v in args.full_variants if v in variants],
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
        results = run_grid(cells, work_dir, CellComputer(work_dir, settings))
    print(write_ablation_report(results, [c for c in cells if c in results],
                                work_dir, settings, len(cells)))
    ablation_log(f'done in {(time.time() - t0) / 60:.1f} min; report: '
                 f'{osp.join(work_dir, "ablation.md")}')
    if failed:
        raise SystemExit(f'{len(failed)} chains failed: {failed}; rerun to '
                         'redo them (finished cells are kept)')


if __name__ == '__main__':
    main()
