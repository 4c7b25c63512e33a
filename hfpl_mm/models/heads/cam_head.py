# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor

from hfpl_mm.utils.labels import stack_cls_labels


@MODELS.register_module()
class CAMHead(BaseDecodeHead):
    """Class activation map head: optional convs, then a 1x1 classifier.

    The class maps (N, C, h, w) are pooled to image logits with ``pooling``
    (global average pooling by default) and trained with ``loss_decode``
    (multi-label soft margin) against the image-level labels. The HFPL
    add-on switches on through two optional losses: ``loss_isl``
    (importance sampling, replaces part of GAP) and ``loss_fsl`` (feature
    similarity, needs the input image). See `High-fidelity Pseudo-labels
    for Boosting Weakly-Supervised Segmentation
    <https://arxiv.org/abs/2304.02621>`_.

    With ``loss_isl`` of weight ``w`` the classification loss is the
    paper's mix ``(1 - w) * loss_decode + w * ISL``: the head scales the
    GAP loss (logged as ``loss_decode``'s name) by ``1 - w`` itself, so a
    twin config only adds ``loss_isl``. Views trained without the add-on
    (``with_addon=False``, e.g. SEAM's down-scaled view, Puzzle-CAM's tiles)
    keep the plain GAP loss at its full weight, as the reference does.

    ``loss_by_feat`` is overridden because the targets are image-level
    multi-hot labels (``gt_cls_label``), not ``gt_sem_seg`` maps.

    ``background_channel=True`` gives the classifier ``num_classes + 1``
    outputs, a learned background first, as the multinomial predecessor of
    HFPL ("Importance sampling CAMs", arXiv 2203.12459): its ISL and FSL
    (``posterior='multinomial'``) take a softmax over background + classes,
    the GAP loss and the image logits use the foreground channels, and
    :class:`CAMSegmentor` reads label-conditioned softmax CAMs from it.

    Args:
        num_convs (int): 3x3 convs before the classifier; with 0, ``channels``
            must equal ``in_channels``. Defaults to 0.
        pooling (dict): Pooling from class maps to image logits.
            Defaults to ``dict(type='GlobalAvgPool')``.
        loss_isl (dict, optional): ``ImportanceSamplingLoss`` config.
            Defaults to None (off).
        loss_fsl (dict, optional): ``FeatureSimilarityLoss`` config.
            Defaults to None (off).
        bias (bool): Bias of the classifier; CAM classifiers usually have
            none. Defaults to False.
        background_channel (bool): Learn a background channel (first) for
            the multinomial forms; ``loss_isl`` / ``loss_fsl`` must then be
            multinomial, and binomial without it. Defaults to False.
    """

    def __init__(self,
                 num_convs: int = 0,
                 pooling: ConfigType = dict(type='GlobalAvgPool'),
                 loss_decode: ConfigType = dict(
                     type='MultiLabelSoftMarginLoss', loss_weight=1.0),
                 loss_isl: OptConfigType = None,
                 loss_fsl: OptConfigType = None,
                 bias: bool = False,
                 background_channel: bool = False,
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        super().__init__(
            loss_decode=loss_decode, dropout_ratio=dropout_ratio, **kwargs)
        if num_convs == 0 and self.channels != self.in_channels:
            raise ValueError(
                'CAMHead with num_convs=0 needs channels == in_channels, got '
                f'{self.channels} and {self.in_channels}')
        self.convs = nn.Sequential(*[
            ConvModule(
                self.in_channels if i == 0 else self.channels,
                self.channels,
                3,
                padding=1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg) for i in range(num_convs)
        ])
        self.background_channel = background_channel
        self.conv_seg = nn.Conv2d(
            self.channels,
            self.out_channels + int(background_channel),
            1,
            bias=bias)
        self.pooling = MODELS.build(pooling)
        self.loss_isl = MODELS.build(loss_isl) if loss_isl else None
        self.loss_fsl = MODELS.build(loss_fsl) if loss_fsl else None
        want = 'multinomial' if background_channel else 'binomial'
        for loss in (self.loss_isl, self.loss_fsl):
            posterior = getattr(loss, 'posterior', want)
            if posterior != want:
                raise ValueError(
                    f'{type(loss).__name__}(posterior={posterior!r}) in a '
                    f'CAMHead with background_channel={background_channel}:'
                    ' the multinomial forms need the learned background '
                    'channel (background_channel=True), the binomial forms '
                    'one map per class (background_channel=False)')

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Return class activation logits (N, C, h, w), or (N, C + 1, h, w)
        with the background first when ``background_channel``."""
        x = self.convs(self._transform_inputs(inputs))
        return self.cls_seg(x)

    def image_logits(self, seg_logits: Tensor) -> Tensor:
        """Pooled foreground logits of class maps (``pooling``, then the
        background channel dropped when there is one)."""
        logits = self.pooling(seg_logits)
        return logits[:, 1:] if self.background_channel else logits

    def loss(self,
             inputs: List[Tensor],
             batch_data_samples: SampleList,
             train_cfg: ConfigType,
             images: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses from backbone features; ``images`` (RGB in [0, 1]) feed
        the feature-similarity loss."""
        if self.loss_fsl is not None and images is None:
            raise ValueError('loss_fsl needs the input images; call '
                             'CAMHead.loss(..., images=...)')
        return self.loss_by_feat(self.forward(inputs), batch_data_samples,
                                 images)

    @property
    def needs_images(self) -> bool:
        """Whether the losses need the input images (FSL)."""
        return self.loss_fsl is not None

    def loss_by_feat(self,
                     seg_logits: Tensor,
                     batch_data_samples: SampleList,
                     images: Optional[Tensor] = None,
                     with_addon: bool = True,
                     pool_size: Optional[tuple] = None) -> Dict[str, Tensor]:
        """Classification losses of the class maps.

        Args:
            seg_logits (Tensor): Class maps (N, C, h, w).
            batch_data_samples (list[:obj:`SegDataSample`]): With
                ``gt_cls_label``.
            images (Tensor, optional): RGB in [0, 1]; FSL runs when given
                (multi-view models pass it for one view). Defaults to None.
            with_addon (bool): Apply ISL (and FSL) to these maps; False
                gives the plain GAP loss at full weight. Defaults to True.
            pool_size (tuple, optional): Resize the maps to this size
                (bilinear, ``align_corners=True``) before pooling, as SEAM
                averages its upsampled CAM; None pools at feature resolution.
                Defaults to None.

        Returns:
            dict[str, Tensor]: The losses and ``acc_cls`` (logged only).
        """
        labels = stack_cls_labels(batch_data_samples, seg_logits.device)
        num_fg = seg_logits.shape[1] - int(self.background_channel)
        if labels.shape[1] != num_fg:
            raise ValueError(
                f'gt_cls_label has {labels.shape[1]} classes but the head '
                f'predicts {num_fg}')
        pool_in = seg_logits
        if pool_size is not None and tuple(pool_size) != seg_logits.shape[2:]:
            pool_in = F.interpolate(
                seg_logits, pool_size, mode='bilinear', align_corners=True)
        logits = self.image_logits(pool_in)
        losses = {}
        loss_cls = self.loss_decode(logits, labels)
        if self.loss_isl is not None and with_addon:
            loss_cls = (1 - self.loss_isl.loss_weight) * loss_cls
            losses[self.loss_isl.loss_name] = self.loss_isl(seg_logits, labels)
        losses[self.loss_decode.loss_name] = loss_cls
        if self.loss_fsl is not None and images is not None and with_addon:
            losses[self.loss_fsl.loss_name] = self.loss_fsl(
                images, seg_logits, labels)
        with torch.no_grad():
            pred = (logits.detach() > 0).float()
            # logged only: name must not contain 'loss'
            losses['acc_cls'] = (pred == labels).float().mean() * 100
        return losses
