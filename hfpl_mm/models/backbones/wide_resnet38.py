# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List, Sequence

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch.nn.modules.batchnorm import _BatchNorm
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor


class PreActBlock(BaseModule):
    """Pre-activation basic block: BN-ReLU-conv3x3, BN-ReLU-conv3x3.

    The projection shortcut (1x1 conv) takes the pre-activated input, as in
    the ResNet-38 of Wu et al.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 first_dilation: int = 1,
                 dilation: int = 1,
                 norm_cfg: ConfigType = dict(type='BN'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(
            in_channels,
            mid_channels,
            3,
            stride,
            padding=first_dilation,
            dilation=first_dilation,
            bias=False)
        self.bn2 = build_norm_layer(norm_cfg, mid_channels)[1]
        self.conv2 = nn.Conv2d(
            mid_channels,
            out_channels,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.shortcut = None
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, return_preact: bool = False):
        """Block output; with ``return_preact`` also the pre-activated input
        ``relu(bn1(x))``."""
        pre = self.relu(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(pre)
        out = self.conv2(self.relu(self.bn2(self.conv1(pre)))) + identity
        return (out, pre) if return_preact else out


class PreActBottleneck(BaseModule):
    """Pre-activation bottleneck (1x1, dilated 3x3, 1x1) with dropout before
    the last two convolutions, as in ResNet-38's blocks 6 and 7."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 dropout: float = 0.0,
                 norm_cfg: ConfigType = dict(type='BN'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(
            in_channels, out_channels // 4, 1, stride, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels // 4)[1]
        self.drop2 = nn.Dropout2d(dropout)
        self.conv2 = nn.Conv2d(
            out_channels // 4,
            out_channels // 2,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.bn3 = build_norm_layer(norm_cfg, out_channels // 2)[1]
        self.drop3 = nn.Dropout2d(dropout)
        self.conv3 = nn.Conv2d(
            out_channels // 2, out_channels, 1, bias=False)
        self.shortcut = None
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, return_preact: bool = False):
        """Block output; with ``return_preact`` also the pre-activated input
        ``relu(bn1(x))``."""
        pre = self.relu(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(pre)
        out = self.conv1(pre)
        out = self.conv2(self.drop2(self.relu(self.bn2(out))))
        out = self.conv3(self.drop3(self.relu(self.bn3(out)))) + identity
        return (out, pre) if return_preact else out


@MODELS.register_module()
class WideResNet38(BaseModule):
    """Wide ResNet-38 (model A of Wu, Shen, van den Hengel, "Wider or Deeper:
    Revisiting the ResNet Model for Visual Recognition", Pattern
    Recognition 2019), the output-stride-8 backbone of PSA, SEAM and HFPL.

    Stages (channels, stride, dilation): stem 64 /1; 2: 128 /2; 3: 256 /2;
    4: 512 /2; 5: 1024 dilation 2; 6: 2048 bottleneck dilation 4; 7: 4096
    bottleneck dilation 4, then BN-ReLU. Output stride 8.

    Args:
        out_indices (Sequence[int]): Which of the outputs to return, indexed
            0..5 for stages 2..7 (the last one after the final BN-ReLU).
            Defaults to (5, ).
        preact_outs (bool): Return stages 2..6 (indices 0..4) pre-activated,
            i.e. the next block's BN + ReLU of the stage output, as the
            reference's ``get_x_bn_relu`` taps that feed SEAM's PCM and
            AffinityNet. False returns the raw residual sums.
            Defaults to True.
        norm_eval (bool): Keep every BN layer in eval mode (running
            statistics frozen) during training, as the reference does for
            CAM / SEAM / AffinityNet training with batches of 8; combine
            with ``norm_cfg=dict(type='BN', requires_grad=False)`` to freeze
            the affine parameters too. Defaults to False.
        dropouts (Sequence[float]): Dropout of stages 6 and 7.
            Defaults to (0.3, 0.5).
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        frozen_stages (int): Stages (stem counts as 1, then 2..7 as 2..7)
            whose parameters are frozen and BN kept in eval mode, as the
            reference freezes the stem and first block. Defaults to -1.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint=...)``. Defaults to Kaiming init.
    """
    arch = [
        # (num_blocks, mid, out, stride, first_dilation, dilation)
        (3, 128, 128, 2, 1, 1),
        (3, 256, 256, 2, 1, 1),
        (6, 512, 512, 2, 1, 1),
        (3, 512, 1024, 1, 1, 2),
    ]

    def __init__(self,
                 out_indices: Sequence[int] = (5, ),
                 dropouts: Sequence[float] = (0.3, 0.5),
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 frozen_stages: int = -1,
                 preact_outs: bool = True,
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = dict(
                     type='Kaiming', layer='Conv2d')) -> None:
        super().__init__(init_cfg)
        for i in out_indices:
            if not 0 <= i <= 5:
                raise ValueError(f'out_indices must be in 0..5, got {i}')
        if list(out_indices) != sorted(set(out_indices)):
            raise ValueError('out_indices must be increasing, got '
                             f'{tuple(out_indices)}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.preact_outs = preact_outs
        self.norm_eval = norm_eval
        self.stem = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.stages = nn.ModuleList()
        in_ch = 64
        for num, mid, out, stride, first_dil, dil in self.arch:
            blocks = [
                PreActBlock(in_ch, mid, out, stride, first_dil, dil, norm_cfg)
            ]
            blocks += [
                PreActBlock(out, mid, out, 1, dil, dil, norm_cfg)
                for _ in range(num - 1)
            ]
            self.stages.append(nn.Sequential(*blocks))
            in_ch = out
        self.stages.append(
            PreActBottleneck(1024, 2048, 1, 4, dropouts[0], norm_cfg))
        self.stages.append(
            PreActBottleneck(2048, 4096, 1, 4, dropouts[1], norm_cfg))
        self.final_norm = build_norm_layer(norm_cfg, 4096)[1]
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> List[Tensor]:
        x = self.stem(x)
        outs = []
        tap = False  # the previous stage's output is wanted pre-activated
        for i, stage in enumerate(self.stages):
            blocks = stage if isinstance(stage, nn.Sequential) else [stage]
            for j, block in enumerate(blocks):
                if j == 0 and tap:
                    x, pre = block(x, return_preact=True)
                    outs.append(pre)
                else:
                    x = block(x)
            tap = False
            if i == 5:
                x = self.relu(self.final_norm(x))
            if i in self.out_indices:
                if i < 5 and self.preact_outs:
                    tap = True
                else:
                    outs.append(x)
        return outs

    def _frozen_modules(self) -> List[nn.Module]:
        mods = []
        if self.frozen_stages >= 1:
            mods.append(self.stem)
        mods += list(self.stages)[:max(0, self.frozen_stages - 1)]
        return mods

    def train(self, mode: bool = True) -> 'WideResNet38':
        super().train(mode)
        for m in self._frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad = False
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
