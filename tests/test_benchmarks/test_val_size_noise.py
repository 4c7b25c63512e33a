"""benchmarks/val_size_noise.py: the mIoU of a drawn val subset and the
bootstrap spread by val-set size."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from helpers import REPO

spec = importlib.util.spec_from_file_location(
    'val_size_noise', osp.join(REPO, 'benchmarks', 'val_size_noise.py'))
noise = importlib.util.module_from_spec(spec)
spec.loader.exec_module(noise)


def test_subset_miou_sums_the_drawn_images():
    a = np.array([[3, 1, 0], [0, 4, 0], [0, 0, 0]])
    b = np.array([[2, 0, 0], [2, 0, 0], [0, 0, 0]])
    conf = np.stack([a, b])
    # a + b = [[5, 1], [2, 4]]: IoU 5 / 8 and 4 / 7; class 2 in neither
    # GT nor prediction is left out (mmseg's IoUMetric)
    assert noise.subset_miou(conf, np.array([0, 1])) == pytest.approx(
        100 * (5 / 8 + 4 / 7) / 2)
    # a drawn twice: [[6, 2], [0, 8]]: IoU 6 / 8 and 8 / 10
    assert noise.subset_miou(conf, np.array([0, 0])) == pytest.approx(
        100 * (6 / 8 + 8 / 10) / 2)


def random_pool(rng, images=400):
    """Per-image confusions of a 2-class task whose per-image accuracy
    varies: each image has 100 GT-background and 100 GT-object pixels."""
    conf = np.zeros((images, 2, 2), dtype=np.int64)
    right_bg = rng.integers(50, 100, images)
    right_fg = rng.integers(20, 100, images)
    conf[:, 0, 0], conf[:, 0, 1] = right_bg, 100 - right_bg
    conf[:, 1, 1], conf[:, 1, 0] = right_fg, 100 - right_fg
    return conf


def test_bootstrap_spread_falls_with_the_square_root_of_the_size():
    pool = random_pool(np.random.default_rng(0))
    rows = noise.bootstrap_spread([pool], [25, 100, 400], draws=600)
    std = [row['std'][0] for row in rows]
    assert std[0] > std[1] > std[2] > 0
    # four times the images: half the spread (bootstrap error ~ 6 %)
    assert std[0] / std[1] == pytest.approx(2, rel=0.2)
    assert std[1] / std[2] == pytest.approx(2, rel=0.2)
    assert rows[0]['diff_std'] is None
    # 95 % of a normal spread lies within 1.96 standard deviations
    assert rows[1]['p95'] == pytest.approx(1.96 * std[1], rel=0.2)


def test_bootstrap_spread_of_a_difference_on_the_same_draws():
    rng = np.random.default_rng(1)
    pool = random_pool(rng)
    rows = noise.bootstrap_spread([pool, pool], [50], draws=200)
    # the same checkpoint twice: every draw scores both alike
    assert rows[0]['std'][0] == rows[0]['std'][1] > 0
    assert rows[0]['diff_std'] == 0
    # identical images: nothing to draw differently
    same = np.repeat(pool[:1], 30, axis=0)
    assert noise.bootstrap_spread([same], [10], draws=50)[0]['std'] == [0]
    with pytest.raises(ValueError, match='same images'):
        noise.bootstrap_spread([pool, pool[:10]], [5], draws=2)
