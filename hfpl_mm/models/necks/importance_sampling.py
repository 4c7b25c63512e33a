# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Importance sampling of class activation maps (ISL pooling).

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024 (https://arxiv.org/abs/2304.02621).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS
from torch import Tensor

POSTERIORS = ('binomial', 'multinomial')


def sampling_distribution(logits: Tensor,
                          posterior: str = 'binomial',
                          eps: float = 1e-5) -> Tensor:
    """Un-normalised spatial sampling weights for every image and class.

    Args:
        logits (Tensor): Class activation logits of shape (N, C, H, W).
        posterior (str): ``'binomial'`` uses one sigmoid per class (classes
            are independent); ``'multinomial'`` uses a softmax over classes
            (classes are mutually exclusive). Defaults to 'binomial'.
        eps (float): Added to every probability so that all-zero maps still
            give a valid (uniform) distribution. Defaults to 1e-5.

    Returns:
        Tensor: Float32 weights of shape (N, C, H*W), each row strictly
        positive when ``eps > 0``.
    """
    if posterior not in POSTERIORS:
        raise ValueError(f'posterior must be one of {POSTERIORS}, '
                         f'got {posterior!r}')
    if logits.dim() != 4:
        raise ValueError('importance sampling expects logits of shape '
                         f'(N, C, H, W), got {tuple(logits.shape)}')
    x = logits.detach().float().flatten(2)
    if not torch.isfinite(x).all():
        raise ValueError('importance sampling got non-finite logits '
                         '(NaN or Inf); check the learning rate / AMP scale')
    probs = x.sigmoid() if posterior == 'binomial' else x.softmax(dim=1)
    return probs + eps


def importance_sample(logits: Tensor,
                      num_samples: int = 10,
                      posterior: str = 'binomial',
                      eps: float = 1e-5,
                      generator: Optional[torch.Generator] = None
                      ) -> Tuple[Tensor, Tensor]:
    """Draw ``num_samples`` pixels per image and class and gather logits.

    Pixels are drawn with replacement from the spatial distribution
    proportional to :func:`sampling_distribution`. Sampling runs in float32
    without gradient; gradients flow through the gathered logits only.

    Args:
        logits (Tensor): Logits of shape (N, C, H, W), any float dtype.
        num_samples (int): Samples K per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): See :func:`sampling_distribution`. Defaults to 1e-5.
        generator (torch.Generator, optional): Seeded generator on the
            logits' device for reproducible draws. Defaults to None.

    Returns:
        tuple[Tensor, Tensor]: Sampled logits (N, C, K) in the input dtype
        and the flat pixel indices (N, C, K).
    """
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    n, c = logits.shape[:2]
    weights = sampling_distribution(logits, posterior, eps)
    if eps <= 0:
        # rows that sum to zero (possible only without eps) fall back to
        # uniform instead of making torch.multinomial raise
        empty = weights.sum(-1, keepdim=True) <= 0
        weights = torch.where(empty, torch.ones_like(weights), weights)
    idx = torch.multinomial(
        weights.reshape(n * c, -1),
        num_samples,
        replacement=True,
        generator=generator).view(n, c, num_samples)
    samples = logits.flatten(2).gather(2, idx)
    return samples, idx


@MODELS.register_module()
class ImportanceSamplingPool(nn.Module):
    """Importance-sampling pooling, the ISL substitute for GAP.

    Instead of averaging a class map over all pixels, draw ``num_samples``
    pixels per image and class from the spatial distribution of the class
    posterior (one sigmoid per class for the binomial form, a softmax over
    classes for the multinomial ablation) and return the logits there. The
    companion :class:`ImportanceSamplingLoss` applies the multi-label soft
    margin loss to them. See `High-fidelity Pseudo-labels for Boosting
    Weakly-Supervised Segmentation <https://arxiv.org/abs/2304.02621>`_.

    Args:
        num_samples (int): Pixels K drawn per image and class, with
            replacement. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Added to the probabilities before sampling.
            Defaults to 1e-5.
    """

    def __init__(self,
                 num_samples: int = 10,
                 posterior: str = 'binomial',
                 eps: float = 1e-5) -> None:
        super().__init__()
        if posterior not in POSTERIORS:
            raise ValueError(f'posterior must be one of {POSTERIORS}, '
                             f'got {posterior!r}')
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples = num_samples
        self.posterior = posterior
        self.eps = eps

    def forward(self,
                x: Tensor,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Return sampled logits of shape (N, C, K)."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        samples, _ = importance_sample(x, self.num_samples, self.posterior,
                                       self.eps, generator)
        return samples

    def extra_repr(self) -> str:
        return (f'num_samples={self.num_samples}, posterior={self.posterior},'
                f' eps={self.eps}')


# mmpretrain users build it as a neck, e.g. type='ImportanceSamplingPool'
# inside an mmpretrain config; same class, registered in that registry too.
PRETRAIN_MODELS.register_module(module=ImportanceSamplingPool)
