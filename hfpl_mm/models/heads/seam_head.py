# Copyright (c) hfpl-mm contributors. All rights reserved.
import copy
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor

from ..losses.seam_losses import keep_max_foreground, with_background
from ..utils.cam_norm import normalize_cams
from .cam_head import CAMHead


#: SEAM's initialisation of its head (``fc8``, ``f8_3`` / ``f8_4``, ``f9``
#: of the reference's ``resnet38_SEAM``).
SEAM_HEAD_INIT = [
    dict(type='Xavier', distribution='uniform',
         override=dict(name='conv_seg')),
    dict(type='Kaiming', mode='fan_in', distribution='normal',
         override=[dict(name='proj_low'), dict(name='proj_mid')]),
    dict(type='Xavier', gain=4.0, distribution='uniform',
         override=dict(name='embed')),
]


@MODELS.register_module()
class SEAMHead(CAMHead):
    """CAM head with SEAM's pixel correlation module (PCM).

    Inputs are three backbone levels ``[low, mid, top]`` (ResNet-38: stage 4
    (512), stage 5 (1024) and the final 4096 features); the classifier runs
    on ``top``. :meth:`refine` re-projects the (detached, normalised) CAM
    with a feature affinity built from the image and the detached ``low`` /
    ``mid`` features, as in `SEAM <https://arxiv.org/abs/2004.04581>`_.

    Args:
        pcm_channels (tuple[int, int]): Channels of the 1x1 projections of
            ``low`` and ``mid``. Defaults to (64, 128).
        pcm_out_channels (int): Channels of the affinity embedding.
            Defaults to 192.
        init_cfg (dict | list[dict]): Defaults to :data:`SEAM_HEAD_INIT`,
            the reference's: classifier Xavier (uniform), PCM projections
            Kaiming (normal, fan in), PCM embedding Xavier (uniform, gain 4).
    """

    def __init__(self,
                 pcm_in_channels=(512, 1024),
                 pcm_channels=(64, 128),
                 pcm_out_channels: int = 192,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        super().__init__(
            init_cfg=copy.deepcopy(SEAM_HEAD_INIT)
            if init_cfg is None else init_cfg,
            **kwargs)
        self.proj_low = nn.Conv2d(pcm_in_channels[0], pcm_channels[0], 1,
                                  bias=False)
        self.proj_mid = nn.Conv2d(pcm_in_channels[1], pcm_channels[1], 1,
                                  bias=False)
        self.embed = nn.Conv2d(3 + sum(pcm_channels), pcm_out_channels, 1,
                               bias=False)

    def affinity(self, inputs: List[Tensor], img: Tensor,
                 size: Tuple[int, int]) -> Tensor:
        """PCM's pixel affinity at ``size`` (N, hw, hw): 1x1 projections of
        the detached ``low`` / ``mid`` features and the image (bilinear,
        ``align_corners=True``), embedded, L2-normalised, ReLU'd cosine
        similarities normalised per column."""
        low = F.relu(self.proj_low(inputs[0].detach()))
        mid = F.relu(self.proj_mid(inputs[1].detach()))
        img_s = F.interpolate(
            img, size, mode='bilinear', align_corners=True)
        feat = self.embed(torch.cat([img_s, low, mid], dim=1)).flatten(2)
        feat = feat / (feat.norm(dim=1, keepdim=True) + 1e-5)
        aff = F.relu(feat.transpose(1, 2) @ feat)
        return aff / (aff.sum(dim=1, keepdim=True) + 1e-5)

    def propagate(self, maps: Tensor, inputs: List[Tensor],
                  img: Tensor) -> Tensor:
        """Maps (N, C', h, w) propagated by the PCM affinity, as given (the
        predecessor's PCM propagates the class logits themselves, with
        their gradient)."""
        n, _, h, w = maps.shape
        aff = self.affinity(inputs, img, (h, w))
        return (maps.flatten(2) @ aff).view(n, -1, h, w)

    def refine(self, cams: Tensor, inputs: List[Tensor],
               img: Tensor) -> Tensor:
        """PCM: (N, C + 1, h, w) refined maps, background first.

        The seeds are the detached CAMs normalised by their maximum only
        (``normalize_cams(mode='max')``), as SEAM's PCM does."""
        with torch.no_grad():
            fg = normalize_cams(cams.detach(), 'max')
            seeds = keep_max_foreground(with_background(fg))
        return self.propagate(seeds, inputs, img)
