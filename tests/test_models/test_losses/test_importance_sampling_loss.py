"""ISL: the multi-label soft margin loss on importance-sampled logits."""
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
