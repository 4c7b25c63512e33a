# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Importance sampling of class activation maps, the draw behind ISL
(:class:`ImportanceSamplingLoss`) and :class:`ImportanceSamplingPool`.

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024 (https://arxiv.org/abs/2304.02621).
"""
from typing import Optional, Tuple

import torch
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
