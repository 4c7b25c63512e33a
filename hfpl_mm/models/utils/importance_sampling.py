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

#: Epsilon of :func:`probs_to_logits`, the predecessor's 1e-3.
PROB_EPS = 1e-3


def probs_to_logits(probs: Tensor, eps: float = PROB_EPS) -> Tensor:
    """Logits of probabilities squeezed into ``[eps, 1)``:
    ``log(p (1 - eps) + eps) - log(1 - p (1 - eps))``.

    The multinomial ISL of the predecessor ("Importance sampling CAMs",
    Jonnarth et al., arXiv 2203.12459) turns its sampled softmax
    probabilities into logits with this map before the multi-label soft
    margin loss; ``eps`` keeps both logarithms finite at p = 0 and p = 1.

    Args:
        probs (Tensor): Probabilities in [0, 1].
        eps (float): Defaults to 1e-3.

    Returns:
        Tensor: Logits, finite for every p in [0, 1].
    """
    q = probs * (1.0 - eps)
    return torch.log(q + eps) - torch.log(1.0 - q)


def background_channel(channels: int, num_labels: int, posterior: str,
                       name: str) -> bool:
    """Whether class maps carry a learned background channel (first).

    The binomial forms (HFPL) use one map per foreground class; the
    multinomial forms (the predecessor) need the background as a learned
    channel, so that the softmax runs over background + classes.

    Args:
        channels (int): Channels of the class maps.
        num_labels (int): Foreground classes of the image-level labels.
        posterior (str): 'binomial' or 'multinomial'.
        name (str): The caller, named in errors.

    Returns:
        bool: True for ``num_labels + 1`` channels (multinomial), False for
        ``num_labels`` (binomial).

    Raises:
        ValueError: Any other combination.
    """
    if posterior not in POSTERIORS:
        raise ValueError(f'posterior must be one of {POSTERIORS}, '
                         f'got {posterior!r}')
    if posterior == 'multinomial' and channels == num_labels + 1:
        return True
    if posterior == 'binomial' and channels == num_labels:
        return False
    if posterior == 'multinomial' and channels == num_labels:
        raise ValueError(
            f"{name}(posterior='multinomial') needs a learned background "
            'channel (a softmax over background + classes, as the '
            'predecessor): build the CAMHead with background_channel=True; '
            f'got {channels} maps for {num_labels} classes')
    if posterior == 'binomial' and channels == num_labels + 1:
        raise ValueError(
            f"{name}(posterior='binomial') takes one map per foreground "
            f'class, got {channels} maps for {num_labels} classes (a '
            'background channel is for the multinomial form only)')
    raise ValueError(f'{name}: {channels} class maps do not match '
                     f'{num_labels} image-level classes')


def sampling_distribution(logits: Tensor,
                          posterior: str = 'binomial',
                          eps: float = 1e-5) -> Tensor:
    """Un-normalised spatial sampling weights for every image and class.

    Args:
        logits (Tensor): Class activation logits of shape (N, C, H, W).
        posterior (str): ``'binomial'`` uses one sigmoid per class (classes
            are independent); ``'multinomial'`` uses a softmax over the
            channels (classes are mutually exclusive; with the predecessor's
            learned background channel first, the softmax runs over
            background + classes). Defaults to 'binomial'.
        eps (float): Added to every probability so that all-zero maps still
            give a valid (uniform) distribution. Defaults to 1e-5.

    Returns:
        Tensor: Float32 weights of shape (N, C, H*W), each row strictly
        positive when ``eps > 0``.
    """
    probs = _posterior_probs(logits.detach(), posterior)
    return probs + eps


def _posterior_probs(logits: Tensor, posterior: str) -> Tensor:
    """Checked float32 posterior of ``logits`` (N, C, H, W) as (N, C, H*W):
    sigmoid (binomial) or softmax over the channels (multinomial); keeps
    the graph when ``logits`` has one."""
    if posterior not in POSTERIORS:
        raise ValueError(f'posterior must be one of {POSTERIORS}, '
                         f'got {posterior!r}')
    if logits.dim() != 4:
        raise ValueError('importance sampling expects logits of shape '
                         f'(N, C, H, W), got {tuple(logits.shape)}')
    x = logits.float().flatten(2)
    if not torch.isfinite(x.detach()).all():
        raise ValueError('importance sampling got non-finite logits '
                         '(NaN or Inf); check the learning rate / AMP scale')
    return x.sigmoid() if posterior == 'binomial' else x.softmax(dim=1)


def importance_sample(logits: Tensor,
                      num_samples: int = 10,
                      posterior: str = 'binomial',
                      eps: float = 1e-5,
                      generator: Optional[torch.Generator] = None,
                      prob_eps: float = PROB_EPS) -> Tuple[Tensor, Tensor]:
    """Draw ``num_samples`` pixels per image and class and gather logits.

    Pixels are drawn with replacement from the spatial distribution
    proportional to :func:`sampling_distribution`; the draw runs in float32
    without gradient, and gradients flow through the gathered values only.

    * ``'binomial'`` (HFPL): the class logits at the drawn pixels.
    * ``'multinomial'`` (the predecessor, arXiv 2203.12459): the softmax
      probabilities (over all channels, background first when the head has
      one) at the drawn pixels, turned into logits by
      :func:`probs_to_logits` with ``prob_eps``.

    Args:
        logits (Tensor): Logits of shape (N, C, H, W), any float dtype.
        num_samples (int): Samples K per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): See :func:`sampling_distribution`. Defaults to 1e-5.
        generator (torch.Generator, optional): Seeded generator on the
            logits' device for reproducible draws. Defaults to None.
        prob_eps (float): Epsilon of :func:`probs_to_logits` (multinomial
            only). Defaults to 1e-3.

    Returns:
        tuple[Tensor, Tensor]: Sampled logits (N, C, K) (float32 for the
        multinomial form, else the input dtype) and the flat pixel indices
        (N, C, K).
    """
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    n, c = logits.shape[:2]
    if posterior == 'multinomial':
        # one softmax serves both the draw (detached) and the gather
        probs = _posterior_probs(logits, posterior)
        weights = probs.detach() + eps
    else:
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
    if posterior == 'binomial':
        return logits.flatten(2).gather(2, idx), idx
    return probs_to_logits(probs.gather(2, idx), prob_eps), idx
