# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DeepLabV1Head(BaseDecodeHead):
    """DeepLab-v1 LargeFOV classifier (`Chen et al., ICLR 2015
    <https://arxiv.org/abs/1412.7062>`_) in the form of the HFPL / SEAM
    reference's final network (its ``deeplabv1`` on Wide ResNet-38): a 3x3
    convolution of dilation ``fov_dilation`` and a 1x1 convolution, each to
    ``channels`` with BN and ReLU, element-wise dropout, then the classifier
    (``conv_seg``, with a bias).

    Initialisation as the reference: both convolutions and the classifier's
    weight Kaiming normal (fan out, ReLU), BN weight 1 and bias 0, the
    classifier's bias as PyTorch initialises it (``init_weights`` is
    overridden for that; a ``Pretrained`` ``init_cfg`` still loads).

    Args:
        fov_dilation (int): Dilation of the 3x3 convolution. Defaults to 12.
        dropout_ratio (float): Element-wise dropout before the classifier
            (``nn.Dropout``, not mmseg's ``Dropout2d``). Defaults to 0.5.
    """

    def __init__(self,
                 fov_dilation: int = 12,
                 dropout_ratio: float = 0.5,
                 **kwargs) -> None:
        kwargs.setdefault('init_cfg', None)
        super().__init__(dropout_ratio=dropout_ratio, **kwargs)
        self.fov_dilation = fov_dilation
        common = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
            bias=False)
        self.convs = nn.Sequential(
            ConvModule(
                self.in_channels,
                self.channels,
                3,
                padding=fov_dilation,
                dilation=fov_dilation,
                **common),
            ConvModule(self.channels, self.channels, 1, **common))
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 \
            else None

    def init_weights(self) -> None:
        for m in (self.convs, self.conv_seg):
            for mod in m.modules():
                if isinstance(mod, nn.Conv2d):
                    nn.init.kaiming_normal_(
                        mod.weight, mode='fan_out', nonlinearity='relu')
                elif isinstance(mod, nn.modules.batchnorm._BatchNorm):
                    nn.init.constant_(mod.weight, 1)
                    nn.init.constant_(mod.bias, 0)
        super().init_weights()

    def forward(self, inputs: List[Tensor]) -> Tensor:
        return self.cls_seg(self.convs(self._transform_inputs(inputs)))
