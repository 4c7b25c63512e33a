"""Where the pseudo-labels go wrong on the hard synthetic preset.

The hard preset (``hfpl_mm.datasets.synthetic``) builds its images from
named effects: clutter shapes of no class, two-tone objects, objects that
take on the background's colours. This script renders an ablation's hard
train images again from their seed (every mask is checked against the one on
disk), marks each pixel with the effect that made it
(:data:`~hfpl_mm.datasets.synthetic.HARD_REGIONS`), and prints for each
variant the share of each kind's pixels whose stage-2 label (the variant's
CAMs at its best threshold of the sweep) is wrong, over the seeds given.
Nothing is trained: it reads the cells that ``benchmarks/ablation.py`` left.

    python benchmarks/synthetic_error_sources.py --work-dir work_dirs/grid3 \\
        --seeds 0 1 2 --variants baseline hfpl hfpl-warmup
"""
import argparse
import glob
import json
import os.path as osp
import sys
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from ablation_grid.cells import Cell, cell_path  # noqa: E402

from hfpl_mm.datasets.synthetic import (HARD_REGIONS,  # noqa: E402
                                        render_hard_sample)
from hfpl_mm.datasets.voc_weak import read_split_file  # noqa: E402
from hfpl_mm.utils.cam_labels import archive_threshold_labels  # noqa: E402
from hfpl_mm.utils.label_io import (load_cam_archive,  # noqa: E402
                                    load_label_png)


def hard_regions(data_root: str,
                 seed: int) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """The mask and region map of every train image of a hard-preset
    dataset made by ``generate_synthetic_voc(..., seed=seed,
    preset='hard')``, the regions rendered again from the seed.

    Raises:
        ValueError: A rendered mask differs from the one on disk (another
            seed, size or renderer), naming the file.
    """
    stems = read_split_file(
        osp.join(data_root, 'ImageSets', 'Segmentation', 'train.txt'))
    first = osp.join(data_root, 'JPEGImages', stems[0] + '.jpg')
    with Image.open(first) as im:
        size = (im.height, im.width)
    rng = np.random.default_rng(seed)
    regions = {}
    for stem in stems:
        _, seg, region = render_hard_sample(rng, size, regions=True)
        path = osp.join(data_root, 'SegmentationClass', stem + '.png')
        gt = load_label_png(path)
        if gt.shape != seg.shape or (gt != seg).any():
            raise ValueError(f'{path}: not the mask the hard preset renders '
                             f'for seed {seed} at {size} (another seed, '
                             'size or renderer version?)')
        regions[stem] = (gt, region)
    return regions


def region_errors(labels: np.ndarray, gt: np.ndarray,
                  region: np.ndarray) -> np.ndarray:
    """(2, K) counts of the K :data:`HARD_REGIONS`: wrong labels, pixels
    (those labelled 255 in ``gt`` left out)."""
    valid = gt != 255
    k = len(HARD_REGIONS)
    wrong = np.bincount(region[valid & (labels != gt)].ravel(), minlength=k)
    total = np.bincount(region[valid].ravel(), minlength=k)
    return np.stack([wrong, total])


def variant_errors(
        record: Dict,
        regions: Dict[str, Tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """:func:`region_errors` summed over the train images of one stage-1+2
    cell's record (its ``cam_dir`` and ``best_threshold``), given their
    masks and regions (:func:`hard_regions`)."""
    counts = np.zeros((2, len(HARD_REGIONS)), np.int64)
    for stem, (gt, region) in regions.items():
        path = osp.join(record['cam_dir'], stem + '.npz')
        if not osp.exists(path):
            raise FileNotFoundError(f'{path}: no CAMs of a train image')
        labels = archive_threshold_labels(
            load_cam_archive(path), [record['best_threshold']])[0]
        if labels.shape != gt.shape:
            raise ValueError(f'{path}: CAMs of {labels.shape} for a mask of '
                             f'{gt.shape}')
        counts += region_errors(labels, gt, region)
    return counts


def error_table(work_dir: str, seeds: Sequence[int],
                variants: Sequence[str]) -> str:
    """The markdown table: per region kind, its share of the pixels and
    each variant's error rate, over ``seeds``."""
    if not variants:
        raise ValueError('no variants to compare')
    totals = {v: np.zeros((2, len(HARD_REGIONS)), np.int64) for v in variants}
    for seed in seeds:
        data_root = osp.join(work_dir, 'data', f'hard-seed{seed}')
        regions = hard_regions(data_root, seed)
        for v in variants:
            path = cell_path(work_dir, Cell('hard', seed, v, 'stage12'))
            if not osp.exists(path):
                raise FileNotFoundError(f'{path}: the cell has not run')
            with open(path) as f:
                counts = variant_errors(json.load(f), regions)
            totals[v] += counts
    pixels = totals[variants[0]][1]  # the same valid pixels for every one
    share = pixels / max(int(pixels.sum()), 1)
    lines = [
        '| region | share of pixels | ' + ' | '.join(variants) + ' |',
        '|---|---|' + '---|' * len(variants)
    ]
    for k, name in enumerate(HARD_REGIONS):
        cells = [
            f'{100 * totals[v][0, k] / max(totals[v][1, k], 1):.1f}'
            for v in variants
        ]
        lines.append(f'| {name} | {100 * share[k]:.1f} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--work-dir', required=True,
                   help='an ablation work dir (its data/ and cells/)')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--variants', nargs='+', required=True)
    args = p.parse_args(argv)
    if not glob.glob(osp.join(args.work_dir, 'data', 'hard-seed*')):
        p.error(f'{args.work_dir}: no hard-preset data (data/hard-seed*)')
    print(f'Wrong stage-2 labels (%) per region of the hard preset, seeds '
          f'{" ".join(map(str, args.seeds))} (each variant at its best '
          'threshold)\n')
    print(error_table(args.work_dir, args.seeds, args.variants))


if __name__ == '__main__':
    main()
