"""The importance sampler behind ISL (models/utils/importance_sampling)."""
import pytest
import torch
import torch.nn.functional as F

from hfpl_mm.models.utils import importance_sample, sampling_distribution


def empirical(logits, posterior, draws=200000, seed=0, eps=1e-5):
    g = torch.Generator().manual_seed(seed)
    _, idx = importance_sample(logits, draws, posterior, eps, g)
    hw = logits.shape[2] * logits.shape[3]
    counts = F.one_hot(idx, hw).sum(2).double()
    return counts / draws


@pytest.mark.parametrize('posterior', ['binomial', 'multinomial'])
def test_frequencies_match_distribution(posterior):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 3, 4, 5, generator=g) * 2
    x = logits.double().flatten(2)
    probs = x.sigmoid() if posterior == 'binomial' else x.softmax(1)
    expected = (probs + 1e-5) / (probs + 1e-5).sum(-1, keepdim=True)
    freq = empirical(logits, posterior)
    # 5 standard deviations of a binomial proportion with 2e5 draws
    tol = 5 * (expected * (1 - expected) / 200000).sqrt() + 1e-9
    assert torch.all((freq - expected).abs() <= tol)


def test_binomial_independent_multinomial_coupled():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(1, 3, 3, 3, generator=g)
    bumped = logits.clone()
    bumped[:, 1] += torch.linspace(-3, 3, 9).view(3, 3)
    b0 = sampling_distribution(logits, 'binomial')
    b1 = sampling_distribution(bumped, 'binomial')
    torch.testing.assert_close(b0[:, [0, 2]], b1[:, [0, 2]], rtol=0, atol=0)
    m0 = sampling_distribution(logits, 'multinomial')
    m1 = sampling_distribution(bumped, 'multinomial')
    assert (m0[:, 0] - m1[:, 0]).abs().max() > 1e-2


def test_all_zero_and_saturated_maps_sample_uniformly():
    zeros = torch.zeros(1, 2, 3, 3)
    freq = empirical(zeros, 'binomial', draws=90000)
    assert (freq - 1 / 9).abs().max() < 0.01
    # sigmoid underflows to 0 in fp32; without eps the fallback is uniform
    g = torch.Generator().manual_seed(0)
    _, idx = importance_sample(
        torch.full((1, 1, 2, 2), -1e4), 40000, eps=0.0, generator=g)
    freq = F.one_hot(idx, 4).sum(2).double() / 40000
    assert (freq - 0.25).abs().max() < 0.02


def test_seeded_generator_reproducible():
    logits = torch.randn(3, 4, 6, 7)
    a = importance_sample(logits, 10,
                          generator=torch.Generator().manual_seed(5))[1]
    b = importance_sample(logits, 10,
                          generator=torch.Generator().manual_seed(5))[1]
    c = importance_sample(logits, 10,
                          generator=torch.Generator().manual_seed(6))[1]
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert a.shape == (3, 4, 10)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_low_precision_inputs_sample_in_fp32(dtype):
    logits = torch.randn(2, 3, 5, 5).to(dtype)
    s_lp, i_lp = importance_sample(
        logits, 10, generator=torch.Generator().manual_seed(3))
    s_32, i_32 = importance_sample(
        logits.float(), 10, generator=torch.Generator().manual_seed(3))
    assert s_lp.dtype == dtype
    assert torch.equal(i_lp, i_32)
    torch.testing.assert_close(s_lp.float(), s_32)


def test_gathered_logits_and_gradient_only_at_samples():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    samples, idx = importance_sample(
        logits, 6, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(samples, logits.flatten(2).gather(2, idx))
    samples.sum().backward()
    hit = torch.zeros(2, 3, 16).scatter_(2, idx, 1.0).view_as(logits)
    assert torch.equal(logits.grad != 0, hit > 0)


def test_multinomial_gradient_through_softmax_at_samples_only():
    # the predecessor's form: gathered softmax probabilities -> logits; the
    # gradient reaches every channel of a drawn pixel (softmax couples them)
    # and no other pixel, and equals the float64 chain written out
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 3, 4, 4, generator=g, requires_grad=True)
    samples, idx = importance_sample(
        logits, 5, 'multinomial', generator=torch.Generator().manual_seed(0))
    samples.sum().backward()
    x = logits.detach().double().requires_grad_()
    p = x.flatten(2).softmax(1).gather(2, idx)
    e = 1e-3
    ((p * (1 - e) + e).log() - (1 - p * (1 - e)).log()).sum().backward()
    torch.testing.assert_close(
        logits.grad.double(), x.grad, rtol=1e-5, atol=1e-6)
    drawn = torch.zeros(2, 16).scatter_(1, idx.flatten(1), 1.0) > 0
    assert torch.equal((logits.grad != 0).any(1).flatten(1), drawn)
    assert torch.equal((logits.grad != 0).all(1).flatten(1), drawn)


def test_bad_input_errors():
    with pytest.raises(ValueError, match='non-finite'):
        importance_sample(torch.full((1, 1, 2, 2), float('nan')))
    with pytest.raises(ValueError, match='posterior'):
        sampling_distribution(torch.zeros(1, 1, 2, 2), 'poisson')
    with pytest.raises(ValueError, match='shape'):
        importance_sample(torch.zeros(2, 3))
    with pytest.raises(ValueError, match='num_samples'):
        importance_sample(torch.zeros(1, 1, 2, 2), 0)
