"""benchmarks/synthetic_error_sources.py: wrong labels per kind of region
of the hard synthetic preset."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from helpers import REPO
from PIL import Image

from hfpl_mm.datasets.synthetic import HARD_REGIONS, generate_synthetic_voc
from hfpl_mm.datasets.voc_weak import read_split_file
from hfpl_mm.utils.label_io import save_npz_atomic

spec = importlib.util.spec_from_file_location(
    'synthetic_error_sources',
    osp.join(REPO, 'benchmarks', 'synthetic_error_sources.py'))
sources = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sources)


def test_region_errors_hand_counts():
    gt = np.array([[0, 0, 1], [1, 255, 0]], np.uint8)
    labels = np.array([[0, 1, 1], [0, 1, 0]], np.uint8)
    region = np.array([[0, 1, 2], [3, 3, 1]], np.uint8)
    counts = sources.region_errors(labels, gt, region)
    # background: 1 pixel, right; clutter: 2 pixels, one wrong; object: 1,
    # right; two-tone recoloured: 1 counted (the other is 255), wrong
    want_total = [1, 2, 1, 1, 0, 0]
    want_wrong = [0, 1, 0, 1, 0, 0]
    assert counts.tolist() == [want_wrong, want_total]


@pytest.fixture(scope='module')
def work_dir(tmp_path_factory):
    """A hard dataset of 6 train images and two fake variants' cells: CAMs
    equal to the masks (every label right) and CAMs of zeros (everything
    background)."""
    root = tmp_path_factory.mktemp('errors')
    data = generate_synthetic_voc(
        str(root / 'data' / 'hard-seed4'), 6, 2, seed=4, size=(48, 48),
        preset='hard')
    for variant in ('perfect', 'empty'):
        cam_dir = root / 'runs' / variant
        os.makedirs(cam_dir)
        for stem in read_split_file(
                osp.join(data, 'ImageSets', 'Segmentation', 'train.txt')):
            gt = np.array(
                Image.open(osp.join(data, 'SegmentationClass',
                                    stem + '.png')))
            keys = np.array([c - 1 for c in np.unique(gt) if 0 < c < 255])
            cams = np.stack([(gt == k + 1) for k in keys]).astype(np.float16)
            if variant == 'empty':
                cams[:] = 0
            save_npz_atomic(str(cam_dir / (stem + '.npz')), keys=keys,
                            cams=cams)
        cell = root / 'cells' / 'hard' / 'seed4' / variant
        os.makedirs(cell)
        with open(cell / 'stage12.json', 'w') as f:
            json.dump(dict(cam_dir=str(cam_dir), best_threshold=0.5), f)
    return str(root)


def test_error_table_right_and_all_background(work_dir):
    table = sources.error_table(work_dir, [4], ['perfect', 'empty'])
    rows = {
        line.split(' | ')[0].strip('| '): line.strip('| ').split(' | ')[1:]
        for line in table.splitlines()[2:]
    }
    assert list(rows) == list(HARD_REGIONS)
    shares = [float(r[0]) for r in rows.values()]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    for name, (share, perfect, empty) in rows.items():
        assert float(perfect) == 0.0
        # all-background labels are wrong exactly on the object kinds
        background_kind = HARD_REGIONS.index(name) <= 1
        if float(share) > 0:
            assert float(empty) == (0.0 if background_kind else 100.0)


def test_a_mask_the_seed_does_not_render_is_named(work_dir):
    data = osp.join(work_dir, 'data', 'hard-seed4')
    with pytest.raises(ValueError, match='synth_00000.png: not the mask'):
        sources.hard_regions(data, seed=5)


def test_command_line_prints_the_table(work_dir, capsys, tmp_path):
    sources.main(['--work-dir', work_dir, '--seeds', '4', '--variants',
                  'perfect', 'empty'])
    out = capsys.readouterr().out
    assert 'seeds 4' in out and '| region | share of pixels | perfect | ' \
        'empty |' in out
    with pytest.raises(SystemExit):
        sources.main(['--work-dir', str(tmp_path), '--variants', 'x'])
    assert 'no hard-preset data' in capsys.readouterr().err
