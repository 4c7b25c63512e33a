# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List, Sequence

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """DeepLab-v2 ASPP classifier (`Chen et al., TPAMI 2018
    <https://arxiv.org/abs/1606.00915>`_): parallel 3x3 convolutions with
    dilations (6, 12, 18, 24), each predicting the classes directly, summed.

    ``channels`` is unused by the branches (they map ``in_channels`` to the
    classes) but kept for the base-class interface; ``conv_seg`` of the base
    class is replaced by the branches.

    Args:
        dilations (Sequence[int]): Defaults to (6, 12, 18, 24).
    """

    def __init__(self,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 **kwargs) -> None:
        kwargs.setdefault(
            'init_cfg',
            dict(type='Normal', std=0.01, override=dict(name='branches')))
        super().__init__(**kwargs)
        self.dilations = tuple(dilations)
        self.branches = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                3,
                padding=d,
                dilation=d,
                bias=True) for d in self.dilations)
        del self.conv_seg

    def forward(self, inputs: List[Tensor]) -> Tensor:
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        return sum(branch(x) for branch in self.branches)
