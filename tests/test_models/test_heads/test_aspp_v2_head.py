"""ASPPV2Head: the sum of dilated 3x3 classifiers, as DeepLab-v2."""
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

DEFAULT_ARGS = dict(
    type='ASPPV2Head', in_channels=4, channels=4, num_classes=3,
    dilations=(1, 2))


def test_forward_is_the_sum_of_dilated_branches():
    head = MODELS.build(DEFAULT_ARGS)
    head.init_weights()
    head.eval()  # no dropout
    x = torch.randn(2, 4, 9, 9)
    ref = sum(
        F.conv2d(x, b.weight, b.bias, padding=d, dilation=d)
        for b, d in zip(head.branches, (1, 2)))
    torch.testing.assert_close(head([x]), ref)
    assert not hasattr(head, 'conv_seg')


def test_a_dilation_reaches_that_far():
    head = MODELS.build(dict(DEFAULT_ARGS, dilations=(3, )))
    for p in head.branches.parameters():
        torch.nn.init.constant_(p, 0.0)
    head.branches[0].weight.data[:, :, 0, 0] = 1.0  # the top-left tap
    head.eval()
    x = torch.zeros(1, 4, 9, 9)
    x[0, 0, 4, 4] = 1.0
    out = head([x])[0, 0]
    # tap (-1, -1) at dilation 3: output (7, 7) reads input (4, 4)
    assert out[7, 7] == 1.0 and out.sum() == 1.0
