import math

import pytest
import torch
from helpers import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from hfpl_mm.models.utils import half_disk_offsets
from hfpl_mm.models.segmentors.affinity_net import (affinity_labels,
                                                    affinity_loss,
                                                    random_walk,
                                                    transition_matrix)

init_default_scope('mmseg')


@pytest.mark.parametrize('radius', [2, 5])
def test_half_disk_covers_disk_once(radius):
    half = set(half_disk_offsets(radius))
    mirrored = {(-a, -b) for a, b in half}
    full = {(a, b) for a in range(-radius, radius + 1)
            for b in range(-radius, radius + 1)
            if 0 < a * a + b * b < radius * radius}
    assert not half & mirrored
    assert half | mirrored == full


def test_affinity_labels_hand_values():
    label = torch.tensor([[[0, 0, 1, 255]]])
    # radius 2 in a single row: only the offset (0, 1) has pairs
    per = dict(zip(half_disk_offsets(2), affinity_labels(label, 2)))
    bg, fg, neg = per[(0, 1)]
    assert bg.tolist() == [[[True, False, False]]]
    assert fg.tolist() == [[[False, False, False]]]
    assert neg.tolist() == [[[False, True, False]]]  # (1, 255) ignored


def test_affinity_loss_hand_value():
    a = torch.tensor([[0.5, 0.25, 0.8]])
    bg = torch.tensor([[True, False, False]])
    fg = torch.tensor([[False, True, False]])
    neg = torch.tensor([[False, False, True]])
    out = affinity_loss([a], [(bg, fg, neg)])
    eps = 1e-5
    assert out['loss_aff_bg'].item() == pytest.approx(-math.log(0.5 + eps) / 2)
    assert out['loss_aff_fg'].item() == pytest.approx(-math.log(0.25 + eps) / 2)
    assert out['loss_aff_neg'].item() == pytest.approx(-math.log(1 + eps - 0.8))


def test_random_walk_stays_inside_regions():
    # features: left half 0, right half 10 -> affinity ~0 across the edge
    feats = torch.zeros(1, 2, 6, 8)
    feats[:, :, :, 4:] = 10.0
    trans = transition_matrix(feats, radius=3, beta=8.0)
    dense = trans.to_dense()
    torch.testing.assert_close(dense.sum(1), torch.ones(48))
    cams = torch.zeros(2, 6, 8)
    cams[0, 2, 1] = 1.0  # one seed in the left region
    cams[1, 3, 6] = 1.0  # one seed in the right region
    walked = random_walk(cams, trans, 64)
    assert walked[0, :, :4].sum() > 0.99 * walked[0].sum()
    assert walked[1, :, 4:].sum() > 0.99 * walked[1].sum()
    # within a region the walk spreads the seed out towards uniform
    assert walked[0, :, :4].std() < 0.2 * cams[0, :, :4].std()


def test_training_step_and_refine():
    cfg = Config.fromfile(
        f'{REPO}/configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-'
        '128x128.py')
    model = MODELS.build(cfg.model)
    model.init_weights()
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                        ori_shape=(64, 64)))
        lab = torch.full((1, 64, 64), 255, dtype=torch.long)
        lab[:, :20] = 0
        lab[:, 40:, 10:50] = 3
        s.gt_sem_seg = PixelData(data=lab)
        samples.append(s)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                     for _ in range(2)], data_samples=samples), True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_aff_bg', 'loss_aff_fg', 'loss_aff_neg'}
    assert all(math.isfinite(v.item()) and v.item() > 0
               for v in losses.values())
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        refined = model.refine(data['inputs'][:1], torch.rand(3, 64, 64))
    assert refined.shape == (3, 64, 64)
