# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The ablation's grid: what a cell is, which cells a run plans, where a
finished cell's record lives."""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Sequence

PRESETS = ('default', 'hard')
SYNTH = 'configs/synthetic/'
CAM_CFG = SYNTH + 'cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
TWIN_CFG = SYNTH + 'hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
MULTI_CFG = (SYNTH + 'hfpl-multinomial-cam_r18h-d8_1xb8-400i_synthvoc-'
             '128x128.py')
AFF_CFG = SYNTH + 'affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py'
SEG_CFG = SYNTH + 'deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-128x128.py'
FIXED_THRESHOLD = 0.26

#: (config, cfg-options) of each variant; the vanilla-CAM variants keep
#: their names of the first grids.
VARIANT_CONFIGS = {
    'baseline': (CAM_CFG, {}),
    'isl': (TWIN_CFG, {'model.addon.loss_fsl': None}),
    'fsl': (TWIN_CFG, {'model.addon.loss_isl': None}),
    'hfpl': (TWIN_CFG, {}),
    'hfpl-multinomial': (MULTI_CFG, {}),
    'seam': (SYNTH + 'seam_r18h-d8_1xb8-400i_synthvoc-128x128.py', {}),
    'seam-hfpl': (SYNTH + 'hfpl-seam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
                  {}),
    'seam-hfpl-multinomial':
    (SYNTH + 'hfpl-multinomial-seam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
     {}),
    'puzzlecam': (SYNTH + 'puzzlecam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
                  {}),
    'puzzlecam-hfpl':
    (SYNTH + 'hfpl-puzzlecam_r18h-d8_1xb8-400i_synthvoc-128x128.py', {}),
    # the add-on with FSL's weight ramped up over the first half of
    # training (FeatureSimilarityLoss(warmup=0.5)), for colour edges that
    # are not object contours
    'hfpl-warmup': (TWIN_CFG, {'model.addon.loss_fsl.warmup': 0.5}),
    # ... over the whole of training (warmup=1.0)
    'hfpl-warmup-long': (TWIN_CFG, {'model.addon.loss_fsl.warmup': 1.0}),
    # the first-half ramp at half weight: the trade-off of a weaker FSL
    'hfpl-warmup-halfweight': (TWIN_CFG, {
        'model.addon.loss_fsl.warmup': 0.5,
        'model.addon.loss_fsl.loss_weight': 0.5
    }),
    # the ramp with every pair weighted by the CAMs' certainty
    # (certainty_weighting)
    'hfpl-warmup-certainty': (TWIN_CFG, {
        'model.addon.loss_fsl.warmup': 0.5,
        'model.addon.loss_fsl.certainty_weighting': True
    }),
}
#: Every variant, in report order.
VARIANTS = tuple(VARIANT_CONFIGS)
#: The variants of each baseline (``--baselines``).
BASELINES = {
    'cam': ('baseline', 'isl', 'fsl', 'hfpl', 'hfpl-multinomial'),
    'seam': ('seam', 'seam-hfpl', 'seam-hfpl-multinomial'),
    'puzzlecam': ('puzzlecam', 'puzzlecam-hfpl'),
    'fsl-options': ('baseline', 'hfpl', 'hfpl-warmup', 'hfpl-warmup-long',
                    'hfpl-warmup-halfweight', 'hfpl-warmup-certainty'),
}
#: The FSL options' variants, each judged against the baseline and the
#: reference FSL (``hfpl``) by :func:`~.report.fsl_option_lines`.
FSL_OPTION_VARIANTS = BASELINES['fsl-options'][2:]
#: (baseline, add-on) variant pairs the summary compares, with a name; the
#: last is the paper's binomial-vs-multinomial comparison on SEAM.
ADDON_PAIRS = (
    ('vanilla CAM: + HFPL', 'baseline', 'hfpl'),
    ('SEAM: + HFPL', 'seam', 'seam-hfpl'),
    ('Puzzle-CAM: + HFPL', 'puzzlecam', 'puzzlecam-hfpl'),
    ('SEAM + HFPL: binomial vs multinomial', 'seam-hfpl-multinomial',
     'seam-hfpl'),
)
FULL_VARIANTS = ('baseline', 'hfpl')

#: Schedules of a normal and a --quick run. The full cells' DeepLab is
#: validated on 400 images: the bootstrap of ``benchmarks/
#: val_size_noise.py`` puts one evaluation's spread from the images drawn
#: at 2.2 to 2.5 mIoU on 60 images and under 1 from about 370 on.
SETTINGS = {
    'full': dict(num_train=240, num_val=400, iters1=400, aff_iters=300,
                 seg_iters=1500, val_every=250, scales=(1.0, 0.5, 1.5),
                 flip=True),
    # quick: data loaded in the main process (32 images are 4 batches: the
    # loader would start its worker processes again every 4 iterations)
    'quick': dict(num_train=32, num_val=16, iters1=60, aff_iters=40,
                  seg_iters=100, val_every=50, scales=(1.0, ), flip=False,
                  num_workers=0),
}

#: A thresholds cell trains DeepLab at the sweep's best threshold + these.
THRESHOLD_OFFSETS = (-0.1, 0.0, 0.1)
#: The kinds of cell: stage 1 + 2; AffinityNet, random walk and DeepLab;
#: DeepLab on the stage-2 labels at three thresholds.
KINDS = ('stage12', 'full', 'thresholds')


class Cell(NamedTuple):
    """One cell of the grid (a tuple: ``Cell(*t) == t``)."""
    preset: str
    seed: int
    variant: str
    kind: str

    @property
    def chain(self) -> tuple:
        """(preset, seed, variant): the cells that share a stage-1 run."""
        return (self.preset, self.seed, self.variant)


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
                cells.append(Cell(preset, seed, variant, 'stage12'))
                if variant in full_variants:
                    cells.append(Cell(preset, seed, variant, 'full'))
                    if seed in threshold_seeds:
                        cells.append(
                            Cell(preset, seed, variant, 'thresholds'))
    return cells


def chains(cells: Sequence[Cell]) -> List[List[Cell]]:
    """The cells grouped by (preset, seed, variant), in plan order: a chain
    runs in one process, its later cells reading its stage-1+2 cell's files;
    chains with more cells first (they take longest)."""
    groups: Dict[tuple, List[Cell]] = {}
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
        cell = Cell(preset, int(seed[len('seed'):]), variant,
                    osp.splitext(name)[0])
        with open(path) as f:
            results[cell] = json.load(f)
    return results
