import math
import os

import pytest
import torch
import torch.nn.functional as F
from helpers import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from hfpl_mm.models.utils import half_disk_offsets, pair_slices
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
    # the reference weights bg/4 + fg/4 + neg/2
    assert out['loss_aff_bg'].item() == pytest.approx(-math.log(0.5 + eps) / 4)
    assert out['loss_aff_fg'].item() == pytest.approx(-math.log(0.25 + eps) / 4)
    assert out['loss_aff_neg'].item() == pytest.approx(
        -math.log(1 + eps - 0.8) / 2)


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


# ------------------------- the AffinityNet recipe, pairs and random walk
AFF_CONFIGS = sorted(
    f'configs/affinity/{n}' for n in os.listdir(f'{REPO}/configs/affinity')
    if n.endswith('.py'))


@pytest.mark.parametrize('path', AFF_CONFIGS)
def test_affinity_recipe_follows_psa(path):
    cfg = Config.fromfile(f'{REPO}/{path}')
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.model.test_cfg == dict(beta=8.0, logt=6)
    assert cfg.model.head.get('norm_cfg') is None
    model = MODELS.build(dict(cfg.model, backbone=dict(
        type='ResNetV1c', depth=18, out_indices=(1, 2, 3), strides=(1, 2, 1,
                                                                    1),
        dilations=(1, 1, 2, 4)), head=dict(cfg.model.head, in_channels=(
            128, 256, 512))))
    # PSA's head: projections and a mixing conv, no normalisation layer
    assert not [m for m in model.head.modules()
                if isinstance(m, (torch.nn.GroupNorm, torch.nn.BatchNorm2d))]


def test_affinity_tool_defaults_follow_psa():
    from hfpl_mm.apis.affinity import AFFINITY_ALPHAS, RANDOM_WALK_BG_POWER
    assert AFFINITY_ALPHAS == (1.0, 24.0)
    assert RANDOM_WALK_BG_POWER == 6.0
    net = MODELS.build(dict(
        type='AffinityNet',
        backbone=dict(type='ResNetV1c', depth=18, out_indices=(1, 2, 3)),
        head=dict(type='AffinityHead', in_channels=(128, 256, 512))))
    assert net.test_cfg == dict(beta=8.0, logt=6)
    assert net.band == 4  # radius 5


def test_border_band_pairs():
    # 6x6 map, radius 3 -> band 2: "from" pixels are rows 0..3, cols 2..3
    (ri, ci), (rj, cj) = pair_slices(6, 6, 1, -2, band=2)
    idx = torch.arange(36).view(6, 6)
    assert idx[ri, ci].flatten().tolist() == [2, 3, 8, 9, 14, 15, 20, 21]
    assert idx[rj, cj].flatten().tolist() == [6, 7, 12, 13, 18, 19, 24, 25]
    # every offset uses the same "from" set
    for a, b in half_disk_offsets(3):
        (ri2, ci2), _ = pair_slices(6, 6, a, b, band=2)
        assert (ri2, ci2) == (ri, ci)
    # the random walk's matrix: a pixel of the band gets affinities only as
    # the "to" end of pairs; the top-left one is the "to" end of none
    # (offsets (0, b) have b > 0, other offsets move down)
    feats = torch.zeros(1, 1, 6, 6)
    dense = transition_matrix(feats, 3, 1.0, band=2).to_dense()
    full = transition_matrix(feats, 3, 1.0).to_dense()
    corner = 0
    assert (dense[corner] > 0).sum() == 1  # itself only
    assert (full[corner] > 0).sum() > 1
    # training labels over the same pairs
    label = torch.zeros(1, 6, 6, dtype=torch.long)
    per = affinity_labels(label, 3, band=2)
    assert all(bg.sum() == 8 for bg, _, _ in per)


def test_random_walk_input_is_avg_pooled(monkeypatch):
    import hfpl_mm.models.segmentors.affinity_net as mod
    cfg = Config.fromfile(
        f'{REPO}/configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-'
        '128x128.py')
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    seen = {}

    def spy(cams, trans, steps):
        seen['cams'], seen['steps'] = cams.clone(), steps
        return cams

    monkeypatch.setattr(mod, 'random_walk', spy)
    cams = torch.rand(2, 20, 27)  # 20 x 27: padded to 24 x 32
    with torch.no_grad():
        out = model.refine(torch.randn(1, 3, 20, 27), cams)
    padded = torch.zeros(2, 24, 32)
    padded[:, :20, :27] = cams
    want = F.avg_pool2d(padded[None], 8, 8)[0]
    torch.testing.assert_close(seen['cams'], want)
    assert seen['steps'] == 2**6
    assert out.shape == (2, 20, 27)
    # identity walk: upsampling the pooled map to 24 x 32 and cropping
    up = F.interpolate(want[None], (24, 32), mode='bilinear',
                       align_corners=False)[0, :, :20, :27]
    torch.testing.assert_close(out, up)
