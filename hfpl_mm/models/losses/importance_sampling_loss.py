# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from ..utils.importance_sampling import (POSTERIORS, PROB_EPS,
                                         background_channel,
                                         importance_sample)
from .multilabel_soft_margin_loss import multilabel_soft_margin_loss


def importance_sampling_loss(logits: Tensor,
                             labels: Tensor,
                             num_samples: int = 10,
                             posterior: str = 'binomial',
                             eps: float = 1e-5,
                             generator: Optional[torch.Generator] = None,
                             prob_eps: float = PROB_EPS) -> Tensor:
    """ISL: multi-label soft margin loss on importance-sampled logits.

    Binomial (HFPL): K pixels per image and class drawn from the class's
    sigmoid map (+ ``eps``), the class logits gathered there. Multinomial
    (the predecessor, arXiv 2203.12459): the maps carry a learned background
    channel first; pixels are drawn from each channel's softmax probability
    over background + classes, the probabilities gathered there and turned
    into logits (:func:`probs_to_logits`, ``prob_eps``); the loss runs on
    the foreground channels.

    Args:
        logits (Tensor): Class maps (N, C, H, W), or (N, C + 1, H, W) with
            the background first for the multinomial form.
        labels (Tensor): Multi-hot foreground labels (N, C).
        num_samples (int): Pixels per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Sampling epsilon. Defaults to 1e-5.
        generator (torch.Generator, optional): For reproducible draws.
        prob_eps (float): Of the multinomial probability-to-logit map.
            Defaults to 1e-3.

    Returns:
        Tensor: Scalar loss.
    """
    bg = background_channel(logits.shape[1], labels.shape[1], posterior,
                            'ImportanceSamplingLoss')
    samples, _ = importance_sample(logits, num_samples, posterior, eps,
                                   generator, prob_eps)
    return multilabel_soft_margin_loss(samples[:, 1:] if bg else samples,
                                       labels)


@MODELS.register_module()
class ImportanceSamplingLoss(nn.Module):
    """Importance sampling loss (ISL) of `High-fidelity Pseudo-labels for
    Boosting Weakly-Supervised Segmentation
    <https://arxiv.org/abs/2304.02621>`_.

    The paper mixes it with the GAP classification loss as
    ``(1 - w) * GAP + w * ISL`` with ``w = 0.2``: give this loss
    ``loss_weight=w`` and the GAP loss ``loss_weight=1 - w``.

    ``posterior='multinomial'`` is the predecessor's form ("Importance
    sampling CAMs", arXiv 2203.12459; see :func:`importance_sampling_loss`):
    it needs the head's learned background channel, and the predecessor
    trains it with ``num_samples=100``, ``loss_weight=0.8`` and ``eps=0``
    (the ``hfpl_multinomial_*`` settings of ``configs/_base_/hfpl_addon.py``).

    Args:
        num_samples (int): Pixels K per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Sampling epsilon. Defaults to 1e-5.
        prob_eps (float): Of the multinomial probability-to-logit map.
            Defaults to 1e-3.
        loss_weight (float): Weight w. Defaults to 0.2.
        loss_name (str): Name in the loss dict. Defaults to 'loss_isl'.
    """

    def __init__(self,
                 num_samples: int = 10,
                 posterior: str = 'binomial',
                 eps: float = 1e-5,
                 prob_eps: float = PROB_EPS,
                 loss_weight: float = 0.2,
                 loss_name: str = 'loss_isl') -> None:
        super().__init__()
        if posterior not in POSTERIORS:
            raise ValueError(f'posterior must be one of {POSTERIORS}, '
                             f'got {posterior!r}')
        self.num_samples = num_samples
        self.prob_eps = prob_eps
        self.posterior = posterior
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                logits: Tensor,
                labels: Tensor,
                generator: Optional[torch.Generator] = None,
                **kwargs) -> Tensor:
        return self.loss_weight * importance_sampling_loss(
            logits, labels, self.num_samples, self.posterior, self.eps,
            generator, self.prob_eps)

    @property
    def loss_name(self) -> str:
        return self._loss_name
