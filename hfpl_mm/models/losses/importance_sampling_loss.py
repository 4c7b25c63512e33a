# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from ..utils.importance_sampling import importance_sample
from .multilabel_soft_margin_loss import multilabel_soft_margin_loss


def importance_sampling_loss(logits: Tensor,
                             labels: Tensor,
                             num_samples: int = 10,
                             posterior: str = 'binomial',
                             eps: float = 1e-5,
                             generator: Optional[torch.Generator] = None
                             ) -> Tensor:
    """ISL: multi-label soft margin loss on importance-sampled logits.

    Args:
        logits (Tensor): Class maps (N, C, H, W).
        labels (Tensor): Multi-hot image labels (N, C).
        num_samples (int): Pixels per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Sampling epsilon. Defaults to 1e-5.
        generator (torch.Generator, optional): For reproducible draws.

    Returns:
        Tensor: Scalar loss.
    """
    samples, _ = importance_sample(logits, num_samples, posterior, eps,
                                   generator)
    return multilabel_soft_margin_loss(samples, labels)


@MODELS.register_module()
class ImportanceSamplingLoss(nn.Module):
    """Importance sampling loss (ISL) of `High-fidelity Pseudo-labels for
    Boosting Weakly-Supervised Segmentation
    <https://arxiv.org/abs/2304.02621>`_.

    The paper mixes it with the GAP classification loss as
    ``(1 - w) * GAP + w * ISL`` with ``w = 0.2``: give this loss
    ``loss_weight=w`` and the GAP loss ``loss_weight=1 - w``.

    Args:
        num_samples (int): Pixels K per image and class. Defaults to 10.
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Sampling epsilon. Defaults to 1e-5.
        loss_weight (float): Weight w. Defaults to 0.2.
        loss_name (str): Name in the loss dict. Defaults to 'loss_isl'.
    """

    def __init__(self,
                 num_samples: int = 10,
                 posterior: str = 'binomial',
                 eps: float = 1e-5,
                 loss_weight: float = 0.2,
                 loss_name: str = 'loss_isl') -> None:
        super().__init__()
        self.num_samples = num_samples
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
            generator)

    @property
    def loss_name(self) -> str:
        return self._loss_name
