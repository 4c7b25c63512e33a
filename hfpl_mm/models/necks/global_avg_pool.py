# Copyright (c) hfpl-mm contributors. All rights reserved.
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class GlobalAvgPool(nn.Module):
    """Global average pooling of class maps, (N, C, H, W) -> (N, C)."""

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return x.mean(dim=(2, 3))
