"""SEAMHead's pixel correlation module against a hand-derived case."""
import torch
from mmseg.registry import MODELS

DEFAULT_ARGS = dict(
    type='SEAMHead', in_channels=8, channels=8, num_classes=2, num_convs=0,
    pcm_in_channels=(4, 6), pcm_channels=(2, 3), pcm_out_channels=5)


def test_uniform_features_average_the_seeds():
    """With the same feature at every pixel the affinity is uniform, so each
    refined pixel is the spatial mean of the seeds."""
    head = MODELS.build(DEFAULT_ARGS)
    for conv in (head.proj_low, head.proj_mid, head.embed):
        torch.nn.init.constant_(conv.weight, 0.1)
    h = w = 4
    low, mid = torch.ones(1, 4, h, w), torch.ones(1, 6, h, w)
    img = torch.full((1, 3, 8, 8), 0.5)
    cams = torch.zeros(1, 2, h, w)
    cams[0, 0, 0, 0] = 2.0  # class 0 peaks at one pixel
    cams[0, 1, 3, :] = 1.0  # class 1 on the last row
    out = head.refine(cams, [low, mid], img)
    assert out.shape == (1, 3, h, w)
    # seeds: max-normalised fg, bg = 1 - max fg, non-max channels zeroed
    seeds = torch.zeros(1, 3, h, w)
    seeds[0, 0] = 1.0
    seeds[0, 0, 0, 0] = 0.0
    seeds[0, 0, 3, :] = 0.0
    seeds[0, 1, 0, 0] = 1.0
    seeds[0, 2, 3, :] = 1.0
    ref = seeds.mean((2, 3), keepdim=True).expand_as(out)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)


def test_pcm_features_are_detached():
    head = MODELS.build(DEFAULT_ARGS)
    low = torch.randn(1, 4, 4, 4, requires_grad=True)
    mid = torch.randn(1, 6, 4, 4, requires_grad=True)
    out = head.refine(torch.randn(1, 2, 4, 4), [low, mid],
                      torch.rand(1, 3, 8, 8))
    out.sum().backward()
    assert low.grad is None and mid.grad is None
    assert head.embed.weight.grad is not None
