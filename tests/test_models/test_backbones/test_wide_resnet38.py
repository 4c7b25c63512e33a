import pytest
import torch
from mmseg.registry import MODELS

import hfpl_mm  # noqa: F401


def test_stage_shapes_and_output_stride():
    net = MODELS.build(dict(type='WideResNet38', out_indices=(0, 1, 2, 3,
                                                              4, 5)))
    net.init_weights()
    net.eval()
    with torch.no_grad():
        outs = net(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [128, 256, 512, 1024, 2048, 4096]
    assert [o.shape[-1] for o in outs] == [32, 16, 8, 8, 8, 8]
    assert (outs[-1] >= 0).all()  # final BN-ReLU


def test_frozen_stages():
    net = MODELS.build(dict(type='WideResNet38', frozen_stages=2))
    net.train()
    assert not any(p.requires_grad for p in net.stem.parameters())
    assert not any(p.requires_grad for p in net.stages[0].parameters())
    assert all(p.requires_grad for p in net.stages[1].parameters())
    assert not net.stages[0][0].bn1.training
    assert net.stages[1][0].bn1.training


def test_bad_out_index():
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(dict(type='WideResNet38', out_indices=(6, )))
