"""The heads start from the reference's initialisation (SEAM's
``resnet38_SEAM``, PSA's ``resnet38_aff``), checked on the weight
statistics against the initialisers' own formulas."""
import math

import pytest
from mmseg.registry import MODELS


def xavier_uniform_bound(w, gain=1.0):
    fan_out, fan_in = w.shape[0], w.shape[1] * w[0, 0].numel()
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def check_xavier_uniform(w, gain=1.0):
    bound = xavier_uniform_bound(w, gain)
    assert w.abs().max() <= bound
    # uniform on [-b, b]: std b / sqrt(3), and it reaches near the bound
    assert float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert w.abs().max() > 0.95 * bound


def check_kaiming_normal_fan_in(w):
    fan_in = w.shape[1] * w[0, 0].numel()
    assert float(w.mean()) == pytest.approx(0, abs=0.1 * math.sqrt(
        2 / fan_in))
    assert float(w.std()) == pytest.approx(math.sqrt(2.0 / fan_in),
                                           rel=0.05)


def test_seam_head_initialisation_is_the_reference():
    head = MODELS.build(
        dict(type='SEAMHead', in_channels=4096, channels=4096,
             num_classes=20, pcm_in_channels=(512, 1024)))
    head.init_weights()
    check_xavier_uniform(head.conv_seg.weight)  # fc8
    check_kaiming_normal_fan_in(head.proj_low.weight)  # f8_3
    check_kaiming_normal_fan_in(head.proj_mid.weight)  # f8_4
    check_xavier_uniform(head.embed.weight, gain=4.0)  # f9


def test_affinity_head_initialisation_is_psa():
    head = MODELS.build(
        dict(type='AffinityHead', in_channels=(512, 1024, 4096),
             channels=(64, 128, 256)))
    head.init_weights()
    for proj in head.projs:  # f8_3, f8_4, f8_5
        check_kaiming_normal_fan_in(proj.weight)
    check_xavier_uniform(head.mix.weight, gain=4.0)  # f9


def test_affinity_head_with_group_norm_still_initialises():
    head = MODELS.build(
        dict(type='AffinityHead', in_channels=(8, 16), channels=(8, 8),
             norm_cfg=dict(type='GN', num_groups=4)))
    head.init_weights()
    assert float(head.norms[0].weight.mean()) == 1.0
