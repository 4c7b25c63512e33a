"""AffinityHead: PSA's embedding head and its pairwise affinities."""
import math

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from hfpl_mm.models.heads.affinity_head import pairwise_affinity
from hfpl_mm.models.utils import half_disk_offsets

DEFAULT_ARGS = dict(type='AffinityHead', in_channels=(4, 6), channels=(2, 3))


def test_forward_hand_formula_without_norm():
    head = MODELS.build(DEFAULT_ARGS)
    head.init_weights()
    fine, coarse = torch.randn(1, 4, 8, 8), torch.randn(1, 6, 4, 4)
    a = F.elu(F.conv2d(fine, head.projs[0].weight))
    b = F.interpolate(F.elu(F.conv2d(coarse, head.projs[1].weight)), (8, 8),
                      mode='bilinear', align_corners=False)
    ref = F.elu(F.conv2d(torch.cat([a, b], 1), head.mix.weight))
    torch.testing.assert_close(head([fine, coarse]), ref)
    assert all(isinstance(n, torch.nn.Identity) for n in head.norms)


def test_norm_option_adds_a_norm_per_level():
    head = MODELS.build(
        dict(DEFAULT_ARGS, norm_cfg=dict(type='GN', num_groups=1)))
    assert [type(n).__name__ for n in head.norms] == ['GroupNorm'] * 2


def test_pairwise_affinity_hand_values():
    feats = torch.zeros(1, 2, 1, 3)
    feats[0, :, 0, 2] = torch.tensor([1.0, 3.0])  # mean |diff| 2 to the rest
    offsets = half_disk_offsets(2)
    affs = pairwise_affinity(feats, 2)
    assert len(affs) == len(offsets)
    k = offsets.index((0, 1))  # right neighbour
    torch.testing.assert_close(
        affs[k][0], torch.tensor([[1.0, math.exp(-2.0)]]))
