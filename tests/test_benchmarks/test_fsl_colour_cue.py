"""benchmarks/fsl_colour_cue.py: FSL's pulls and pushes against the masks."""
import importlib.util
import math
import os.path as osp

import numpy as np
import pytest
import torch
from helpers import REPO
from PIL import Image

spec = importlib.util.spec_from_file_location(
    'fsl_colour_cue', osp.join(REPO, 'benchmarks', 'fsl_colour_cue.py'))
cue = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cue)

MU, EPS, SIGMA = 2.5, 1e-5, 1.0


def t_of(dx):
    return math.tanh(MU + math.log((dx + EPS) / (1 - dx + EPS)))


def g_of(d):
    return math.exp(-d * d / (2 * SIGMA**2)) / (2 * math.pi * SIGMA**2)


def row(colours, labels):
    """A 1 x n image of grey levels and its labels."""
    img = torch.tensor(colours, dtype=torch.float64).view(1, 1, -1)
    return img.expand(3, 1, len(colours)), torch.tensor([labels])


def test_pairs_are_right_or_wrong_by_the_masks_hand_values():
    # grey 0, 0, 1: the first pair pulls, the other two push
    pull = -2 * g_of(1) * t_of(0.0)  # both orders of pair (0, 1)
    push_near, push_far = 2 * g_of(1) * t_of(1.0), 2 * g_of(2) * t_of(1.0)
    img, seg = row([0., 0., 1.], [0, 0, 3])  # the edge is the label edge
    s = cue.cue_sums(img, seg, MU, SIGMA)
    assert s['pull_right'] == pytest.approx(pull, rel=1e-9)
    assert s['push_right'] == pytest.approx(push_near + push_far, rel=1e-9)
    assert s['pull_wrong'] == s['push_wrong'] == s['bg_push'] == 0
    img, seg = row([0., 0., 1.], [0, 3, 3])  # the edge is one pixel off
    s = cue.cue_sums(img, seg, MU, SIGMA)
    assert s['pull_wrong'] == pytest.approx(pull, rel=1e-9)
    assert s['push_wrong'] == pytest.approx(push_near, rel=1e-9)
    assert s['push_right'] == pytest.approx(push_far, rel=1e-9)
    r = cue.cue_table_row(s)
    assert r['pull_precision'] == 0
    assert r['push_precision'] == pytest.approx(
        push_far / (push_near + push_far), rel=1e-9)
    # a colour edge inside the background is a background push
    img, seg = row([0., 1., 1.], [0, 0, 3])
    s = cue.cue_sums(img, seg, MU, SIGMA)
    assert s['bg_push'] == pytest.approx(push_near, rel=1e-9)


def test_ignored_pixels_take_part_in_no_pair():
    img, seg = row([0., 1., 1.], [0, 255, 3])
    s = cue.cue_sums(img, seg, MU, SIGMA)
    # only the pair (0, 2) at distance 2 remains, a right push
    assert s['push_right'] == pytest.approx(2 * g_of(2) * t_of(1.0))
    assert s['pull_right'] == s['pull_wrong'] == s['push_wrong'] == 0


def test_cue_table_reads_a_voc_tree(tmp_path):
    root = tmp_path / 'voc'
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / d).mkdir(parents=True)
    img = np.zeros((16, 16, 3), np.uint8)
    img[:, 8:] = 255
    seg = np.zeros((16, 16), np.uint8)
    seg[:, 8:] = 1
    Image.fromarray(img).save(root / 'JPEGImages' / 'a.jpg', quality=100)
    Image.fromarray(seg).save(root / 'SegmentationClass' / 'a.png')
    (root / 'ImageSets/Segmentation/train.txt').write_text('a\n')
    text = cue.cue_table(str(root), 'train', 10, 4, MU, SIGMA)
    # a black half and a white half, labelled so: every pair is right
    assert '| 1.000 | 1.000 |' in text
    Image.fromarray(seg[:8]).save(root / 'SegmentationClass' / 'a.png')
    with pytest.raises(ValueError, match='a.png: mask'):
        cue.cue_table(str(root), 'train', 10, 4, MU, SIGMA)
