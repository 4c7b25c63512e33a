"""ISL: the multi-label soft margin loss on importance-sampled logits."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from hfpl_mm.models.losses import (importance_sampling_loss,
                                   multilabel_soft_margin_loss)
from hfpl_mm.models.utils import importance_sample

DEFAULT_ARGS = dict(type='ImportanceSamplingLoss')


def test_multilabel_loss_matches_torch_reference():
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(5, 7, generator=g)
    labels = (torch.rand(5, 7, generator=g) > 0.5).float()
    ref = F.multilabel_soft_margin_loss(logits, labels)
    torch.testing.assert_close(multilabel_soft_margin_loss(logits, labels),
                               ref)
    # (N, C, K): each of the K samples is one prediction with the labels
    samples = torch.randn(5, 7, 3, generator=g)
    flat = samples.permute(0, 2, 1).reshape(15, 7)
    ref = F.multilabel_soft_margin_loss(flat,
                                        labels.repeat_interleave(3, dim=0))
    torch.testing.assert_close(
        multilabel_soft_margin_loss(samples, labels), ref)


def test_isl_value_and_no_positive_class():
    logits = torch.randn(2, 4, 6, 6)
    labels = torch.zeros(2, 4)
    labels[0, 1] = 1  # image 1 has no positive class
    loss = importance_sampling_loss(
        logits, labels, generator=torch.Generator().manual_seed(9))
    samples, _ = importance_sample(
        logits, 10, generator=torch.Generator().manual_seed(9))
    flat = samples.permute(0, 2, 1).reshape(20, 4)
    ref = F.multilabel_soft_margin_loss(flat,
                                        labels.repeat_interleave(10, dim=0))
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, ref)


def test_registered_loss_matches_the_function():
    loss = MODELS.build(DEFAULT_ARGS)
    assert loss.loss_weight == 0.2 and loss.loss_name == 'loss_isl'
    logits = torch.randn(2, 3, 5, 5)
    labels = torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    g1 = torch.Generator().manual_seed(3)
    g2 = torch.Generator().manual_seed(3)
    ref = importance_sampling_loss(logits, labels, 10, 'binomial', 1e-5, g1)
    torch.testing.assert_close(loss(logits, labels, generator=g2), 0.2 * ref)


# ------------------------------------- the predecessor's multinomial form
def test_probs_to_logits_hand_values():
    from hfpl_mm.models.utils import probs_to_logits
    p = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    # log(p (1 - e) + e) - log(1 - p (1 - e)), e = 1e-3
    expected = torch.tensor([math.log(1e-3), 0.0, -math.log(1e-3)],
                            dtype=torch.float64)
    torch.testing.assert_close(probs_to_logits(p), expected)
    assert probs_to_logits(torch.tensor(0.25), eps=0.0).item() == \
        pytest.approx(math.log(0.25 / 0.75))


def test_multinomial_isl_samples_softmax_probabilities():
    from hfpl_mm.models.utils import probs_to_logits
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(2, 4, 5, 5, generator=g)  # background + 3 classes
    labels = torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    loss = importance_sampling_loss(
        logits, labels, 7, 'multinomial', 0.0,
        torch.Generator().manual_seed(2))
    # the same draw, written out: pixels from each channel's softmax
    # probability, the probabilities there as logits, foreground channels
    probs = logits.flatten(2).softmax(1)
    idx = torch.multinomial(
        probs.reshape(8, 25), 7, replacement=True,
        generator=torch.Generator().manual_seed(2)).view(2, 4, 7)
    sampled = probs_to_logits(probs.gather(2, idx))[:, 1:]
    flat = sampled.permute(0, 2, 1).reshape(14, 3)
    ref = F.multilabel_soft_margin_loss(flat,
                                        labels.repeat_interleave(7, dim=0))
    torch.testing.assert_close(loss, ref)
    # gradients reach the background channel through the softmax
    x = logits.clone().requires_grad_(True)
    importance_sampling_loss(x, labels, 7, 'multinomial').backward()
    assert x.grad[:, 0].abs().sum() > 0


def test_posterior_and_background_channel_must_agree():
    logits = torch.randn(1, 3, 4, 4)
    labels = torch.ones(1, 3)
    with pytest.raises(ValueError, match='background_channel=True'):
        importance_sampling_loss(logits, labels, posterior='multinomial')
    with pytest.raises(ValueError, match='multinomial form only'):
        importance_sampling_loss(logits, labels[:, :2])
    with pytest.raises(ValueError, match='posterior'):
        MODELS.build(dict(DEFAULT_ARGS, posterior='softmax'))
