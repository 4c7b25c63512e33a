# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Losses of SEAM: Wang et al., "Self-supervised Equivariant Attention
Mechanism for Weakly Supervised Semantic Segmentation", CVPR 2020
(https://arxiv.org/abs/2004.04581)."""
import torch
import torch.nn.functional as F
from torch import Tensor


def with_background(fg: Tensor) -> Tensor:
    """Prepend the background channel ``1 - max_c fg_c``."""
    return torch.cat([1 - fg.amax(1, keepdim=True), fg], dim=1)


def keep_max_foreground(scores: Tensor) -> Tensor:
    """Zero every foreground channel (1:) that is not the per-pixel maximum
    over the foreground channels; the background channel (0) is kept."""
    fg = scores[:, 1:]
    keep = fg >= fg.amax(1, keepdim=True)
    return torch.cat([scores[:, :1], fg * keep], dim=1)


def pcm_min_loss(cams_rv: Tensor) -> Tensor:
    """SEAM's adaptive min-pooling loss: the lowest quarter of the per-pixel
    maxima of the (label-masked, foreground) refined maps is pushed to 0."""
    n, _, h, w = cams_rv.shape
    k = max(1, h * w // 4)
    peak = cams_rv.amax(1).flatten(1)
    low = torch.topk(peak, k, dim=-1, largest=False)[0]
    return F.relu(low).sum() / (k * n)


def equivariant_reg_loss(cams_a: Tensor, cams_b: Tensor) -> Tensor:
    """ER: mean absolute difference of two views' normalised CAMs."""
    return (cams_a - cams_b).abs().mean()


def equivariant_cross_reg_loss(target: Tensor,
                               refined: Tensor,
                               topk_ratio: float = 0.2) -> Tensor:
    """ECR: mean of the largest ``topk_ratio`` of |target - refined| per
    image, target being the other view's CAM (detached) with only its
    per-pixel maximum foreground kept."""
    n = refined.shape[0]
    diff = (keep_max_foreground(target.detach()) - refined).abs().view(n, -1)
    k = max(1, int(diff.shape[1] * topk_ratio))
    return torch.topk(diff, k, dim=-1)[0].mean()
