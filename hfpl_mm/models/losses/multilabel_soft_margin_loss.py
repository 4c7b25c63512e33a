# Copyright (c) hfpl-mm contributors. All rights reserved.
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


def multilabel_soft_margin_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Multi-label soft margin loss, computed in float32.

    Same value as :func:`torch.nn.functional.multilabel_soft_margin_loss`
    (mean over classes, then over the batch) for logits of shape (N, C). For
    logits of shape (N, C, K) -- K sampled pixels per class -- every sample
    is one multi-label prediction with the image's labels, and the mean runs
    over all N*K of them.

    Args:
        logits (Tensor): (N, C) or (N, C, K) logits.
        labels (Tensor): (N, C) multi-hot labels in {0, 1}.

    Returns:
        Tensor: Scalar loss.
    """
    if labels.shape != logits.shape[:2]:
        raise ValueError(f'labels of shape {tuple(labels.shape)} do not '
                         f'match logits of shape {tuple(logits.shape)}')
    target = labels.float()
    if logits.dim() == 3:
        target = target[..., None].expand_as(logits)
    return F.binary_cross_entropy_with_logits(logits.float(), target)


@MODELS.register_module()
class MultiLabelSoftMarginLoss(nn.Module):
    """Multi-label soft margin loss on pooled class logits.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name in the loss dict. Defaults to 'loss_cls'.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cls') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, logits: Tensor, labels: Tensor, **kwargs) -> Tensor:
        return self.loss_weight * multilabel_soft_margin_loss(logits, labels)

    @property
    def loss_name(self) -> str:
        return self._loss_name
