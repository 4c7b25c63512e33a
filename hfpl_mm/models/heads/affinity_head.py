# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils.pairs import half_disk_offsets, pair_slices


def pairwise_affinity(feats: Tensor,
                      radius: int,
                      band: int = 0) -> List[Tensor]:
    """``exp(-mean_c |f_i - f_j|)`` for every half-disk offset: a list of
    maps over the pairs of :func:`pair_slices` (with ``band``), in the order
    of :func:`half_disk_offsets`."""
    _, _, h, w = feats.shape
    out = []
    for a, b in half_disk_offsets(radius):
        (ri, ci), (rj, cj) = pair_slices(h, w, a, b, band)
        out.append(
            torch.exp(-(feats[:, :, ri, ci] - feats[:, :, rj, cj]).abs().mean(1)))
    return out


@MODELS.register_module()
class AffinityHead(BaseModule):
    """Pixel-embedding head of AffinityNet (`Ahn and Kwak, CVPR 2018
    <https://arxiv.org/abs/1803.10464>`_): 1x1 projections of several
    backbone levels (ELU), resized to the finest of them, concatenated and
    mixed by a 1x1 conv (ELU); affinities are ``exp(-mean |f_i - f_j|)``
    within ``radius``. Without ``norm_cfg`` this is PSA's head exactly.

    Args:
        in_channels (Sequence[int]): Channels of the input levels.
        channels (Sequence[int]): Projection channels per level.
            Defaults to (64, 128, 256).
        radius (int): Pair radius at feature resolution. Defaults to 5.
        norm_cfg (dict, optional): A norm after each projection, e.g.
            ``dict(type='GN', num_groups=4)`` (our earlier variant); None as
            the reference. Defaults to None.
        init_cfg (dict | list[dict]): Defaults to PSA's initialisation:
            the projections Kaiming (normal, fan in), the mix Xavier
            (uniform, gain 4).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: Sequence[int] = (64, 128, 256),
                 radius: int = 5,
                 norm_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = dict(
                     type='Kaiming',
                     layer='Conv2d',
                     mode='fan_in',
                     distribution='normal',
                     override=dict(
                         name='mix',
                         type='Xavier',
                         gain=4.0,
                         distribution='uniform'))) -> None:
        super().__init__(init_cfg)
        if len(in_channels) != len(channels):
            raise ValueError('in_channels and channels differ in length: '
                             f'{in_channels} vs {channels}')
        self.radius = radius
        self.projs = nn.ModuleList(
            nn.Conv2d(i, c, 1, bias=False)
            for i, c in zip(in_channels, channels))
        self.norms = nn.ModuleList(
            build_norm_layer(norm_cfg, c)[1] if norm_cfg else nn.Identity()
            for c in channels)
        self.mix = nn.Conv2d(sum(channels), sum(channels), 1, bias=False)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        size = max((x.shape[2:] for x in inputs), key=lambda s: s[0] * s[1])
        outs = []
        for x, proj, norm in zip(inputs, self.projs, self.norms):
            y = F.elu(norm(proj(x)))
            if y.shape[2:] != size:
                y = F.interpolate(y, size, mode='bilinear',
                                  align_corners=False)
            outs.append(y)
        return F.elu(self.mix(torch.cat(outs, dim=1)))
