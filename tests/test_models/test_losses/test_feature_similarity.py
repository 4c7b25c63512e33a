import math

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from hfpl_mm.models.losses import (feature_similarity_loss, fsl_dense,
                                   fsl_local, gaussian_tail_mass,
                                   max_prediction_distance, prediction_maps)
from mmseg.registry import MODELS


def loop_reference(img, y, mu=2.5, sigma=5.0, eps=1e-5, half=True):
    """Independent float64 reference: explicit double loop over pairs
    (``half=False``: the predecessor's dy without the factor 0.5)."""
    img = img.double().numpy()
    y = y.double().detach().numpy()
    n, c, h, w = y.shape
    total = 0.0
    for b in range(n):
        for i in range(h * w):
            ri, ci = divmod(i, w)
            for j in range(h * w):
                rj, cj = divmod(j, w)
                dx = np.abs(img[b, :, ri, ci] - img[b, :, rj, cj]).sum() / 3
                dx = min(max(dx, 0.0), 1.0)
                t = math.tanh(mu + math.log((dx + eps) / (1 - dx + eps)))
                dy = ((y[b, :, ri, ci] - y[b, :, rj, cj])**2).sum()
                dy = 0.5 * dy if half else dy
                d2 = (ri - rj)**2 + (ci - cj)**2
                wgt = math.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**2)
                total += wgt * dy * t
    return -total / (n * h * w)


def make_inputs(n=2, c=3, h=5, w=6, seed=0, dtype=torch.float64,
                posterior='binomial'):
    """Image, CAM logits and labels; the multinomial form's CAMs carry the
    learned background channel first (c + 1 maps)."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(n, 3, h, w, generator=g, dtype=dtype)
    extra = int(posterior == 'multinomial')
    cams = torch.randn(n, c + extra, h, w, generator=g, dtype=dtype) * 2
    labels = (torch.rand(n, c, generator=g) > 0.4).to(dtype)
    labels[:, 0] = 1
    return img, cams, labels


@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
@pytest.mark.parametrize('sigma', [1.0, 5.0])
def test_dense_matches_pair_loop(posterior, sigma):
    img, cams, labels = make_inputs(posterior=posterior)
    y = prediction_maps(cams, labels, posterior).double()
    ref = loop_reference(img, y, sigma=sigma)
    got = fsl_dense(img, y, sigma=sigma).item()
    assert got == pytest.approx(ref, rel=1e-6)


def test_two_pixel_hand_value():
    # black and white pixel side by side; one class present, cam = [0, 2]
    img = torch.tensor([[[[0., 1.]], [[0., 1.]], [[0., 1.]]]],
                       dtype=torch.float64)
    cams = torch.tensor([[[[0., 2.]]]], dtype=torch.float64)
    labels = torch.ones(1, 1, dtype=torch.float64)
    eps, mu, sigma = 1e-5, 2.5, 5.0
    # min-max normalisation of relu(cam): relu(2 - 0 - eps) / (2 - 0 + eps)
    fg1 = (2 - eps) / (2 + eps)
    # y = [bg, fg] per pixel: pixel0 = [1, 0], pixel1 = [1 - fg1, fg1]
    dy = 0.5 * (fg1**2 + fg1**2)
    t = math.tanh(mu + math.log((1 + eps) / eps))
    wgt = math.exp(-1 / (2 * sigma**2)) / (2 * math.pi * sigma**2)
    expected = -(2 * wgt * dy * t) / 2  # two ordered pairs, N*H*W = 2
    for impl in ('dense', 'local'):
        got = feature_similarity_loss(img, cams, labels, impl=impl).item()
        assert got == pytest.approx(expected, rel=1e-9)
    # same colours attract: the sign flips
    img_same = torch.zeros_like(img)
    got = feature_similarity_loss(img_same, cams, labels).item()
    t_same = math.tanh(mu + math.log(eps / (1 + eps)))
    assert got == pytest.approx(-(2 * wgt * dy * t_same) / 2, rel=1e-9)
    assert got > 0 > expected


@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_local_equals_dense_when_window_covers_image(posterior):
    img, cams, labels = make_inputs(h=7, w=9, posterior=posterior)
    y = prediction_maps(cams, labels, posterior).double()
    dense = fsl_dense(img, y, sigma=3.0)
    local = fsl_local(img, y, sigma=3.0, radius=8)
    assert local.item() == pytest.approx(dense.item(), rel=1e-10)


@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_local_within_documented_bound(posterior):
    img, cams, labels = make_inputs(n=2, c=4, h=40, w=44, seed=3,
                                    posterior=posterior)
    y = prediction_maps(cams, labels, posterior).double()
    dense = fsl_dense(img, y).item()
    local = fsl_local(img, y).item()  # radius ceil(3 * 5) = 15
    bound = max_prediction_distance(y) * gaussian_tail_mass(5.0, 15)
    assert 0 < abs(local - dense) <= bound


def test_gaussian_tail_mass_independent_sum():
    sigma, r = 5.0, 15
    a = np.arange(-300, 301)
    aa, bb = np.meshgrid(a, a, indexing='ij')
    wgt = np.exp(-(aa**2 + bb**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    outside = np.maximum(np.abs(aa), np.abs(bb)) > r
    assert gaussian_tail_mass(sigma, r) == pytest.approx(
        wgt[outside].sum(), rel=1e-9)
    # continuous approximation: 1 - P(|Z| <= (r + 1/2) / sigma)^2 = 0.38%
    approx = 1 - math.erf((r + 0.5) / (sigma * math.sqrt(2)))**2
    assert gaussian_tail_mass(sigma, r) == pytest.approx(approx, rel=0.02)


@pytest.mark.parametrize('impl', ['dense', 'local'])
@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_gradcheck(impl, posterior):
    img, cams, labels = make_inputs(n=1, c=2, h=4, w=5, seed=7,
                                    posterior=posterior)
    cams.requires_grad_(True)

    def fn(x):
        return feature_similarity_loss(
            img, x, labels, posterior, sigma=2.0, impl=impl, radius=2)

    assert torch.autograd.gradcheck(fn, (cams, ), eps=1e-6, atol=1e-7)


def test_local_gradient_matches_dense_gradient():
    img, cams, labels = make_inputs(n=2, c=3, h=6, w=7, seed=11)
    grads = []
    for impl in ('dense', 'local'):
        x = cams.clone().requires_grad_(True)
        feature_similarity_loss(
            img, x, labels, impl=impl, sigma=2.0, radius=6).backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-9, atol=1e-12)


def test_binomial_classes_independent_multinomial_exclusive():
    _, cams, labels = make_inputs(n=1, c=3, h=4, w=4, seed=5)
    labels[:] = 1
    bumped = cams.clone()
    bumped[:, 2] += 1.5 * bumped[:, 2].abs() + 0.1  # change class 2 only
    yb0 = prediction_maps(cams, labels, 'binomial')
    yb1 = prediction_maps(bumped, labels, 'binomial')
    # binomial: class 0 and 1 maps (channels 1, 2) do not depend on class 2
    torch.testing.assert_close(yb0[:, 1:3], yb1[:, 1:3], rtol=0, atol=0)
    # multinomial: the softmax over [learned background, classes]
    bg = torch.randn(1, 1, 4, 4, dtype=cams.dtype)
    ym0 = prediction_maps(torch.cat([bg, cams], 1), labels, 'multinomial')
    ym1 = prediction_maps(torch.cat([bg, bumped], 1), labels, 'multinomial')
    assert (ym0[:, 1:3] - ym1[:, 1:3]).abs().max() > 1e-3
    torch.testing.assert_close(
        ym0, torch.cat([bg, cams], 1).softmax(1), rtol=0, atol=0)
    # multinomial posteriors sum to one (mutually exclusive); binomial need not
    torch.testing.assert_close(ym0.sum(1), torch.ones_like(ym0[:, 0]))
    assert (yb0.sum(1) - 1).abs().max() > 1e-2


def test_absent_classes_masked_in_binomial_form_only():
    # the reference masks absent classes; the predecessor's softmax does not
    _, cams, labels = make_inputs(n=1, c=3, h=4, w=4)
    labels[:] = torch.tensor([[1., 0., 1.]], dtype=labels.dtype)
    y = prediction_maps(cams, labels, 'binomial')
    assert torch.all(y[:, 2] == 0)
    assert y[:, 1].max() > 0
    _, cams, _ = make_inputs(n=1, c=3, h=4, w=4, posterior='multinomial')
    y = prediction_maps(cams, labels, 'multinomial')
    assert torch.all(y[:, 2] > 0)


def test_multinomial_is_the_predecessors_formula():
    # arXiv 2203.12459 / arvijj/icam: y = softmax over background + classes,
    # dy = ||y_i - y_j||^2 (no 0.5): twice the binomial formula's dy
    img, cams, labels = make_inputs(n=1, c=2, h=4, w=5, seed=9,
                                    posterior='multinomial')
    ref = loop_reference(img, cams.softmax(1), sigma=2.0, half=False)
    for impl in ('dense', 'local'):
        got = feature_similarity_loss(img, cams, labels, 'multinomial',
                                      sigma=2.0, impl=impl, radius=5)
        assert got.item() == pytest.approx(ref, rel=1e-9)


def test_registered_module_and_resizing():
    loss = MODELS.build(
        dict(type='FeatureSimilarityLoss', loss_weight=0.5, sigma=2.0))
    img, cams, labels = make_inputs(n=2, c=3, h=6, w=6, dtype=torch.float32)
    big = torch.nn.functional.interpolate(
        img, size=(12, 12), mode='bilinear', align_corners=False)
    val = loss(big, cams, labels)
    # the image is resized to the CAMs as the reference does it
    expected = 0.5 * feature_similarity_loss(
        torch.nn.functional.interpolate(
            big, size=(6, 6), mode='bilinear', align_corners=True), cams,
        labels, sigma=2.0)
    assert val.item() == pytest.approx(expected.item(), rel=1e-6)
    assert loss.loss_name == 'loss_fsl'


def test_bad_inputs():
    img, cams, labels = make_inputs()
    with pytest.raises(ValueError, match='posterior'):
        prediction_maps(cams, labels, 'softmax')
    with pytest.raises(ValueError, match='do not match'):
        prediction_maps(cams, labels[:, :1])
    # the multinomial form needs the learned background channel, and the
    # binomial one has none
    with pytest.raises(ValueError, match='background_channel=True'):
        prediction_maps(cams, labels, 'multinomial')
    with pytest.raises(ValueError, match='multinomial form only'):
        prediction_maps(cams, labels[:, :2], 'binomial')
    with pytest.raises(ValueError, match='impl'):
        feature_similarity_loss(img, cams, labels, impl='fast')
    with pytest.raises(ValueError, match='CAM resolution'):
        fsl_dense(img[..., :3], prediction_maps(cams, labels))


# ----------------------------------- vectorised local: equals the offset loop
def offset_loop_reference(img, y, mu=2.5, sigma=5.0, radius=15, eps=1e-5):
    """The previous local implementation's formula, with autograd: one
    shifted-slice term per offset of the half window (both orders of every
    pair, so 2 * 0.5 * ||y_i - y_j||^2)."""
    n, _, h, w = y.shape
    total = y.new_zeros(())
    for a in range(0, min(radius, h - 1) + 1):
        for b in range(-min(radius, w - 1), min(radius, w - 1) + 1):
            if a == 0 and b <= 0:
                continue
            yi = y[:, :, :h - a, max(0, -b):w - max(0, b)]
            yj = y[:, :, a:, max(0, b):w - max(0, -b)]
            xi = img[:, :, :h - a, max(0, -b):w - max(0, b)]
            xj = img[:, :, a:, max(0, b):w - max(0, -b)]
            dx = ((xi - xj).abs().sum(1) / 3).clamp(0, 1)
            t = torch.tanh(mu + torch.log((dx + eps) / (1 - dx + eps)))
            wgt = math.exp(-(a * a + b * b) /
                           (2 * sigma**2)) / (2 * math.pi * sigma**2)
            total = total + (wgt * t * (yi - yj).pow(2).sum(1)).sum()
    return -total / (n * h * w)


@pytest.mark.parametrize('chunk_mib', [1e-6, 0.05, 1e3])
@pytest.mark.parametrize('shape', [(2, 4, 9, 13, 3), (1, 3, 20, 17, 15),
                                   (2, 2, 5, 30, 4)])
def test_local_equals_offset_loop_float64(shape, chunk_mib):
    """Loss and gradient equal the per-offset formula within 1e-6 relative
    for every chunking (one window row per chunk up to all rows at once)."""
    n, c, h, w, r = shape
    g = torch.Generator().manual_seed(h * w)
    img = torch.rand(n, 3, h, w, generator=g, dtype=torch.float64)
    y0 = torch.rand(n, c, h, w, generator=g, dtype=torch.float64)
    y1 = y0.clone().requires_grad_(True)
    y2 = y0.clone().requires_grad_(True)
    ref = offset_loop_reference(img, y1, sigma=2.0, radius=r)
    got = fsl_local(img, y2, sigma=2.0, radius=r, chunk_mib=chunk_mib)
    ref.backward()
    got.backward()
    assert got.item() == pytest.approx(ref.item(), rel=1e-6)
    scale = y1.grad.abs().max()
    assert ((y2.grad - y1.grad).abs().max() / scale).item() < 1e-6


def test_local_chunk_rows_follow_the_budget():
    from hfpl_mm.models.losses.feature_similarity_loss import (
        column_tiles, local_chunk_rows)
    # 56 columns, r 15, 22 channels, values per image row and window row:
    # 1 tile of 56: band 86*56 + scratch max(2*56*31, 22*86) = 8288
    # 2 tiles of 28: 2*58*28 + max(2*56*31, 2*22*58) = 6720
    # 3 tiles of 19: 3*49*19 + max(2*57*31, 3*22*49) = 6327 (fewest)
    # 4 tiles of 14: 4*44*14 + max(2*56*31, 4*22*44) = 6336
    assert column_tiles(56, 15, 22) == (3, 19)
    per_row = 8 * 56 * 6327 * 4
    assert local_chunk_rows((8, 21, 56, 56), 15, per_row * 4 / 2**20) == 4
    assert local_chunk_rows((8, 21, 56, 56), 15, 1e-3) == 1
    # the window is clipped to the image: r 15 on 4 columns -> 3;
    # 1 tile of 4: 10*4 + max(2*4*7, 3*10) = 96; 2 of 2: 2*8*2 + 56 = 88
    assert column_tiles(4, 3, 3) == (2, 2)
    assert local_chunk_rows((1, 2, 4, 4), 15, 1 * 4 * 88 * 4 * 5 /
                            2**20) == 5


def test_auto_picks_dense_when_small_local_when_large(caplog):
    from hfpl_mm.models.losses.feature_similarity_loss import choose_impl
    # 16x16 CAMs, r 5 (the bundled default): 5 * 8 * 256^2 * 4 = 10 MiB
    assert choose_impl((8, 21, 16, 16), 5) == 'dense'
    # 56x56, r 15: dense would need 1.5 GiB
    assert choose_impl((8, 21, 56, 56), 15) == 'local'
    # fits, but the window is small against the image: local
    assert choose_impl((1, 21, 40, 40), 2, dense_mib=1e4) == 'local'
    # a larger budget lets dense take 28x28 (r 15 covers it)
    assert choose_impl((8, 21, 28, 28), 15, dense_mib=64) == 'local'
    assert choose_impl((8, 21, 28, 28), 15, dense_mib=128) == 'dense'


def test_auto_gives_the_chosen_implementations_value():
    img, cams, labels = make_inputs(n=2, c=3, h=6, w=7, seed=2)
    auto = feature_similarity_loss(img, cams, labels, sigma=1.0)
    dense = feature_similarity_loss(img, cams, labels, sigma=1.0,
                                    impl='dense')
    assert auto.item() == dense.item()
    auto = feature_similarity_loss(img, cams, labels, sigma=1.0,
                                   dense_mib=0)
    local = feature_similarity_loss(img, cams, labels, sigma=1.0,
                                    impl='local')
    assert auto.item() == local.item()


def test_cam_range_diagnostics_of_the_labelled_maps():
    from hfpl_mm.models.losses.feature_similarity_loss import \
        cam_range_diagnostics
    cams = torch.full((1, 4, 2, 2), -1.0)
    cams[0, 0] = torch.tensor([[-1.0, 0.5], [0.2, -3.0]])  # range 0.5
    cams[0, 2] = torch.tensor([[0.001, 0.0], [0.0, 0.0]])  # unlabelled
    cams[0, 3] = torch.tensor([[0.004, 0.0], [-2.0, 0.0]])  # range 0.004
    labels = torch.tensor([[1.0, 1.0, 0.0, 0.0]])  # class 1: all negative
    d = cam_range_diagnostics(cams, labels)
    assert float(d['fsl_min_cam_range']) == pytest.approx(0.5)
    assert float(d['fsl_small_range_maps']) == 0
    labels[0, 3] = 1
    d = cam_range_diagnostics(cams, labels)
    assert float(d['fsl_min_cam_range']) == pytest.approx(0.004)
    assert float(d['fsl_small_range_maps']) == 1
    # no labelled map with a positive pixel: nothing small
    d = cam_range_diagnostics(cams, torch.tensor([[0.0, 1.0, 0.0, 0.0]]))
    assert float(d['fsl_min_cam_range']) == 1
    assert float(d['fsl_small_range_maps']) == 0


def test_fsl_gradient_grows_as_one_over_the_cam_range():
    """Why a labelled map that is barely positive makes FSL spike: the
    min-max normalisation divides by its range, so shrinking the range
    tenfold multiplies the gradient by about ten."""
    torch.manual_seed(0)
    img = torch.rand(1, 3, 12, 12)
    labels = torch.zeros(1, 2)
    labels[0, 0] = 1
    blob = torch.rand(3, 3)
    norms = []
    for r in (1e-1, 1e-2, 1e-3):
        cams = torch.full((1, 2, 12, 12), -1.0, dtype=torch.float64)
        cams[0, 0, 4:7, 4:7] = blob * r
        cams.requires_grad_(True)
        loss = feature_similarity_loss(img.double(), cams, labels)
        grad, = torch.autograd.grad(loss, cams)
        norms.append(float(grad.norm()))
    # the normalised map, hence the loss, is nearly the same for every r
    # (eps = 1e-5 in the normalisation shifts it by a few % at r = 1e-3)
    assert norms[1] / norms[0] == pytest.approx(10, rel=0.01)
    assert norms[2] / norms[1] == pytest.approx(10, rel=0.1)


def test_fsl_records_diagnostics_over_the_views_of_a_step():
    fsl = MODELS.build(dict(type='FeatureSimilarityLoss'))
    img = torch.rand(1, 3, 4, 4)
    labels = torch.tensor([[1.0, 0.0]])
    a = torch.full((1, 2, 4, 4), -1.0)
    a[0, 0, 0, 0] = 0.3
    b = torch.full((1, 2, 4, 4), -1.0)
    b[0, 0, 1, 1] = 0.005
    fsl(img, a, labels)
    assert fsl.diagnostics() == {}  # off unless started
    fsl.start_diagnostics()
    fsl(img, a, labels)
    fsl(img, b, labels)
    d = fsl.diagnostics()
    assert float(d['fsl_min_cam_range']) == pytest.approx(0.005)
    assert float(d['fsl_small_range_maps']) == 1
    fsl.start_diagnostics()
    assert fsl.diagnostics() == {}


# ---------------------------------------- the weight ramped up over training
def test_warmup_ramps_the_weight_over_the_first_share_of_training():
    loss = MODELS.build(
        dict(type='FeatureSimilarityLoss', loss_weight=2.0, warmup=0.5))
    img, cams, labels = make_inputs(n=1, c=2, h=4, w=4)
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


@pytest.mark.parametrize('warmup', [-0.1, 1.5])
def test_warmup_outside_zero_to_one_is_refused(warmup):
    with pytest.raises(ValueError, match='warmup'):
        MODELS.build(dict(type='FeatureSimilarityLoss', warmup=warmup))


def certainty_loop_reference(img, y, mu=2.5, sigma=5.0, eps=1e-5):
    """Independent float64 reference of ``certainty_weighting``: the pair
    loop with every pair scaled by ``(c_i + c_j) / 2``, ``c = |2 y_0 - 1|``
    (y_0 the background prediction)."""
    img = img.double().numpy()
    y = y.double().detach().numpy()
    n, _, h, w = y.shape
    total = 0.0
    for b in range(n):
        cert = np.abs(2 * y[b, 0] - 1).ravel()
        px = [(i // w, i % w) for i in range(h * w)]
        for i, (ri, ci) in enumerate(px):
            for j, (rj, cj) in enumerate(px):
                dx = np.abs(img[b, :, ri, ci] - img[b, :, rj, cj]).sum() / 3
                dx = min(max(dx, 0.0), 1.0)
                t = math.tanh(mu + math.log((dx + eps) / (1 - dx + eps)))
                dy = 0.5 * ((y[b, :, ri, ci] - y[b, :, rj, cj])**2).sum()
                d2 = (ri - rj)**2 + (ci - cj)**2
                wgt = math.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**2)
                total += wgt * dy * t * 0.5 * (cert[i] + cert[j])
    return -total / (n * h * w)


@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_certainty_weighting_matches_pair_loop(posterior):
    img, cams, labels = make_inputs(posterior=posterior, seed=2)
    y = prediction_maps(cams, labels, posterior).double()
    ref = certainty_loop_reference(img, y, sigma=2.0)
    got = fsl_dense(img, y, sigma=2.0, certainty_weighting=True).item()
    assert got == pytest.approx(ref, rel=1e-9)
    # the weights lie in [0, 1] and are not all 1: the loss differs from
    # the unweighted one
    assert abs(got - fsl_dense(img, y, sigma=2.0).item()) > 1e-6


def test_certainty_weighting_two_pixel_hand_value():
    # the black and white pixels of test_two_pixel_hand_value
    img = torch.tensor([[[[0., 1.]], [[0., 1.]], [[0., 1.]]]],
                       dtype=torch.float64)
    labels = torch.ones(1, 1, dtype=torch.float64)
    eps, mu, sigma = 1e-5, 2.5, 5.0
    t = math.tanh(mu + math.log((1 + eps) / eps))
    wgt = math.exp(-1 / (2 * sigma**2)) / (2 * math.pi * sigma**2)
    # the multinomial form (y a softmax over background + class) gives an
    # undecided pixel with two pixels: logits [bg, class] = [2, 0], [0, 0]
    cams = torch.tensor([[[[2., 0.]], [[0., 0.]]]], dtype=torch.float64)
    y1 = 1 / (1 + math.exp(2))
    # pixel 0: y = [1 - y1, y1], c0 = 1 - 2 y1; pixel 1: y = [0.5, 0.5],
    # c1 = 0
    dy = 0.5 * (2 * (0.5 - y1)**2)
    c0, c1 = 1 - 2 * y1, 0.0
    # two ordered pairs, the multinomial's dy factor 2, N * H * W = 2
    expected = -(2 * wgt * dy * t * 0.5 * (c0 + c1)) * 2 / 2
    for impl in ('dense', 'local'):
        got = feature_similarity_loss(
            img, cams, labels, 'multinomial', impl=impl,
            certainty_weighting=True).item()
        assert got == pytest.approx(expected, rel=1e-9)
    # two undecided pixels (both backgrounds at 0.5): no pair acts
    even = torch.zeros_like(cams)
    assert feature_similarity_loss(
        img, even, labels, 'multinomial',
        certainty_weighting=True).item() == 0.0


@pytest.mark.parametrize('chunk_mib', [48.0, 1e-4])
@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_certainty_weighting_local_equals_dense(posterior, chunk_mib):
    img, cams, labels = make_inputs(n=2, c=3, h=7, w=9, seed=4,
                                    posterior=posterior)
    out = {}
    for impl in ('dense', 'local'):
        x = cams.clone().requires_grad_(True)
        if impl == 'dense':
            loss = feature_similarity_loss(
                img, x, labels, posterior, sigma=3.0, impl='dense',
                certainty_weighting=True)
        else:
            loss = fsl_local(
                img, prediction_maps(x, labels, posterior), sigma=3.0,
                radius=8, chunk_mib=chunk_mib, certainty_weighting=True)
            loss = loss * (2.0 if posterior == 'multinomial' else 1.0)
        loss.backward()
        out[impl] = (loss.item(), x.grad)
    assert out['local'][0] == pytest.approx(out['dense'][0], rel=1e-10)
    torch.testing.assert_close(out['local'][1], out['dense'][1], rtol=1e-9,
                               atol=1e-12)


def test_certainty_weighting_option_of_the_module():
    img, cams, labels = make_inputs(n=1, c=2, h=6, w=6, seed=9)
    plain = MODELS.build(dict(type='FeatureSimilarityLoss'))
    weighted = MODELS.build(
        dict(type='FeatureSimilarityLoss', certainty_weighting=True))
    assert weighted(img, cams, labels).item() == pytest.approx(
        feature_similarity_loss(img, cams, labels,
                                certainty_weighting=True).item(), rel=1e-12)
    assert weighted(img, cams, labels).item() != pytest.approx(
        plain(img, cams, labels).item(), rel=1e-3)

