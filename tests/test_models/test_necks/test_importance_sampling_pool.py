"""ImportanceSamplingPool, the mmseg / mmpretrain neck form of the draw."""
import torch
from mmpretrain.registry import MODELS as PRETRAIN
from mmseg.registry import MODELS

from hfpl_mm.models.utils import importance_sample

DEFAULT_ARGS = dict(type='ImportanceSamplingPool', num_samples=4)


def test_pool_returns_the_samplers_draw():
    pool = MODELS.build(DEFAULT_ARGS)
    x = torch.randn(2, 3, 5, 5)
    out = pool([x], generator=torch.Generator().manual_seed(1))
    ref, _ = importance_sample(x, 4, 'binomial', 1e-5,
                               torch.Generator().manual_seed(1))
    assert out.shape == (2, 3, 4)
    torch.testing.assert_close(out, ref)


def test_pool_in_both_registries():
    assert PRETRAIN.get('ImportanceSamplingPool') is MODELS.get(
        'ImportanceSamplingPool')
    pool = PRETRAIN.build(dict(DEFAULT_ARGS, posterior='multinomial'))
    assert pool.posterior == 'multinomial'
