# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Importance-sampling pooling as a neck (mmseg and mmpretrain registries).

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024 (https://arxiv.org/abs/2304.02621).
"""
from typing import Optional

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS
from torch import Tensor

from ..utils.importance_sampling import (POSTERIORS, PROB_EPS,
                                         importance_sample)


@MODELS.register_module()
class ImportanceSamplingPool(nn.Module):
    """Importance-sampling pooling, the ISL substitute for GAP.

    Instead of averaging a class map over all pixels, draw ``num_samples``
    pixels per image and class from the spatial distribution of the class
    posterior (one sigmoid per class for the binomial form; for the
    predecessor's multinomial form a softmax over the channels, background
    first, whose probabilities at the drawn pixels become logits through
    :func:`~hfpl_mm.models.utils.probs_to_logits`) and return the logits
    there (all channels; a multinomial user drops the background). The
    companion :class:`ImportanceSamplingLoss` applies the multi-label soft
    margin loss to them. See `High-fidelity Pseudo-labels for Boosting
    Weakly-Supervised Segmentation <https://arxiv.org/abs/2304.02621>`_.

    Args:
        num_samples (int): Pixels K drawn per image and class, with
            replacement. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Added to the probabilities before sampling.
            Defaults to 1e-5.
        prob_eps (float): Of the multinomial probability-to-logit map.
            Defaults to 1e-3.
    """

    def __init__(self,
                 num_samples: int = 10,
                 posterior: str = 'binomial',
                 eps: float = 1e-5,
                 prob_eps: float = PROB_EPS) -> None:
        super().__init__()
        if posterior not in POSTERIORS:
            raise ValueError(f'posterior must be one of {POSTERIORS}, '
                             f'got {posterior!r}')
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples = num_samples
        self.posterior = posterior
        self.eps = eps
        self.prob_eps = prob_eps

    def forward(self,
                x: Tensor,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Return sampled logits of shape (N, C, K)."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        samples, _ = importance_sample(x, self.num_samples, self.posterior,
                                       self.eps, generator, self.prob_eps)
        return samples

    def extra_repr(self) -> str:
        return (f'num_samples={self.num_samples}, posterior={self.posterior},'
                f' eps={self.eps}')


# mmpretrain users build it as a neck, e.g. type='ImportanceSamplingPool'
# inside an mmpretrain config; same class, registered in that registry too.
PRETRAIN_MODELS.register_module(module=ImportanceSamplingPool)
