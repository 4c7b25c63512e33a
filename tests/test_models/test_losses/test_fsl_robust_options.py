"""FSL's named options for images whose colour edges are not object
contours: a weaker push across colour edges, a smoothed colour distance and
a ramped-up weight. Each is checked against values derived independently
of the implementation; the paper's defaults leave the loss unchanged."""
import math

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from hfpl_mm.models.losses import (feature_similarity_loss, fsl_dense,
                                   fsl_local, prediction_maps)
from hfpl_mm.models.losses.feature_similarity_loss import smooth_colour
from mmseg.registry import MODELS


def pair_loop(img, y, mu=2.5, sigma=2.0, eps=1e-5, push_weight=1.0):
    """float64 double loop over ordered pairs, the push part scaled."""
    img = img.double().numpy()
    y = y.double().detach().numpy()
    n, _, h, w = y.shape
    total = 0.0
    for b in range(n):
        for i in range(h * w):
            ri, ci = divmod(i, w)
            for j in range(h * w):
                rj, cj = divmod(j, w)
                dx = np.abs(img[b, :, ri, ci] - img[b, :, rj, cj]).sum() / 3
                dx = min(max(dx, 0.0), 1.0)
                t = math.tanh(mu + math.log((dx + eps) / (1 - dx + eps)))
                if t > 0:
                    t *= push_weight
                dy = 0.5 * ((y[b, :, ri, ci] - y[b, :, rj, cj])**2).sum()
                d2 = (ri - rj)**2 + (ci - cj)**2
                wgt = math.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**2)
                total += wgt * dy * t
    return -total / (n * h * w)


def inputs(n=2, c=3, h=5, w=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(n, 3, h, w, generator=g, dtype=torch.float64)
    cams = torch.randn(n, c, h, w, generator=g, dtype=torch.float64) * 2
    labels = (torch.rand(n, c, generator=g) > 0.4).double()
    labels[:, 0] = 1
    return img, cams, labels


@pytest.mark.parametrize('push_weight', [0.0, 0.3])
def test_push_weight_scales_only_the_push_across_colour_edges(push_weight):
    img, cams, labels = inputs()
    y = prediction_maps(cams, labels)
    ref = pair_loop(img, y, push_weight=push_weight)
    dense = fsl_dense(img, y, sigma=2.0, push_weight=push_weight)
    local = fsl_local(img, y, sigma=2.0, radius=6, push_weight=push_weight)
    assert dense.item() == pytest.approx(ref, rel=1e-9)
    assert local.item() == pytest.approx(ref, rel=1e-9)
    # the paper's loss differs: these images have both kinds of pair
    assert abs(pair_loop(img, y) - ref) > 1e-3 * abs(ref)


def test_push_weight_on_two_pixels_hand_value():
    # black next to white: t > 0, the loss scales by push_weight; two
    # pixels of one colour: t < 0, unchanged
    img = torch.tensor([[[[0., 1.]]] * 3], dtype=torch.float64).view(
        1, 3, 1, 2)
    cams = torch.tensor([[[[0., 2.]]]], dtype=torch.float64)
    labels = torch.ones(1, 1, dtype=torch.float64)
    for impl in ('dense', 'local'):
        full = feature_similarity_loss(img, cams, labels, impl=impl)
        half = feature_similarity_loss(
            img, cams, labels, impl=impl, push_weight=0.5)
        assert half.item() == pytest.approx(0.5 * full.item(), rel=1e-12)
        same = torch.zeros_like(img)
        assert feature_similarity_loss(
            same, cams, labels, impl=impl, push_weight=0.0).item() == \
            feature_similarity_loss(same, cams, labels, impl=impl).item()


def test_push_weight_gradients_of_local_and_dense_agree():
    img, cams, labels = inputs(n=2, c=3, h=6, w=7, seed=3)
    grads = []
    for impl in ('dense', 'local'):
        x = cams.clone().requires_grad_(True)
        feature_similarity_loss(img, x, labels, impl=impl, sigma=2.0,
                                radius=6, push_weight=0.25).backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-9, atol=1e-12)


def gaussian_blur_loop(img, sigma):
    """Independent 2-D Gaussian smoothing: the full kernel over offsets of
    radius ceil(3 sigma), coordinates clamped to the image (replicated
    border), normalised per axis as the separable filter is."""
    r = int(math.ceil(3 * sigma))
    k = np.exp(-np.arange(-r, r + 1)**2 / (2 * sigma**2))
    k /= k.sum()
    x = img.numpy()
    n, c, h, w = x.shape
    out = np.zeros_like(x)
    for a in range(-r, r + 1):
        for b in range(-r, r + 1):
            rows = np.clip(np.arange(h) + a, 0, h - 1)
            cols = np.clip(np.arange(w) + b, 0, w - 1)
            out += k[a + r] * k[b + r] * x[:, :, rows][:, :, :, cols]
    return torch.from_numpy(out)


def test_smooth_colour_is_a_gaussian_with_replicated_border():
    img, _, _ = inputs(n=2, h=7, w=9, seed=4)
    for sigma in (0.6, 1.5):
        torch.testing.assert_close(
            smooth_colour(img, sigma), gaussian_blur_loop(img, sigma),
            rtol=1e-12, atol=1e-12)
    flat = torch.full((1, 3, 4, 5), 0.3, dtype=torch.float64)
    torch.testing.assert_close(smooth_colour(flat, 1.0), flat)
    assert smooth_colour(img, 0.0) is img


def test_colour_sigma_measures_colour_on_the_smoothed_image():
    img, cams, labels = inputs(n=1, c=2, h=6, w=6, seed=5)
    for impl in ('dense', 'local'):
        got = feature_similarity_loss(img, cams, labels, sigma=2.0,
                                      impl=impl, colour_sigma=1.0)
        ref = feature_similarity_loss(gaussian_blur_loop(img, 1.0), cams,
                                      labels, sigma=2.0, impl=impl)
        plain = feature_similarity_loss(img, cams, labels, sigma=2.0,
                                        impl=impl)
        assert got.item() == pytest.approx(ref.item(), rel=1e-10)
        assert abs(got.item() - plain.item()) > 1e-4 * abs(plain.item())


def test_warmup_ramps_the_weight_over_the_first_share_of_training():
    loss = MODELS.build(
        dict(type='FeatureSimilarityLoss', loss_weight=2.0, warmup=0.5))
    img, cams, labels = inputs(n=1, c=2, h=4, w=4)
    plain = feature_similarity_loss(img, cams, labels).item()
    hub = MessageHub.get_instance('fsl-warmup-test')
    hub.update_info('max_iters', 100)
    # iteration 9 (0-based) of 100, ramp over 50: weight 2 * 10 / 50
    for it, weight in ((9, 0.4), (49, 2.0), (80, 2.0)):
        hub.update_info('iter', it)
        assert loss.current_weight() == pytest.approx(weight)
        assert loss(img, cams, labels).item() == pytest.approx(
            weight * plain, rel=1e-12)
    # without a training schedule the full weight applies
    MessageHub.get_instance('fsl-warmup-no-schedule')
    assert loss.current_weight() == 2.0
    # warmup 0 is the paper's constant weight, whatever the iteration
    hub = MessageHub.get_instance('fsl-warmup-test-2')
    hub.update_info('max_iters', 100)
    hub.update_info('iter', 0)
    assert MODELS.build(dict(type='FeatureSimilarityLoss',
                             loss_weight=2.0)).current_weight() == 2.0


def test_defaults_are_the_papers_loss_bit_for_bit():
    img, cams, labels = inputs(n=2, c=3, h=6, w=7, seed=8)
    for impl in ('dense', 'local'):
        a = feature_similarity_loss(img, cams, labels, impl=impl, sigma=2.0)
        b = feature_similarity_loss(img, cams, labels, impl=impl, sigma=2.0,
                                    push_weight=1.0, colour_sigma=0.0)
        assert a.item() == b.item()


@pytest.mark.parametrize('option,value', [('push_weight', -0.1),
                                          ('push_weight', 1.5),
                                          ('colour_sigma', -1.0),
                                          ('warmup', 2.0)])
def test_out_of_range_options_are_refused(option, value):
    with pytest.raises(ValueError, match=option):
        MODELS.build(dict(type='FeatureSimilarityLoss', **{option: value}))
