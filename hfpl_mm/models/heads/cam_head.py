# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor


@MODELS.register_module()
class CAMHead(BaseDecodeHead):
    """Class activation map head: optional convs, then a 1x1 classifier.

    The class maps (N, C, h, w) are pooled to image logits with ``pooling``
    (global average pooling by default, :meth:`image_logits`); the
    segmentor (:class:`~hfpl_mm.models.CAMSegmentor`) trains them with
    ``loss_decode`` (multi-label soft margin) against the image-level
    labels and hands them to the HFPL add-on when the model has one
    (``model.addon``, `High-fidelity Pseudo-labels for Boosting
    Weakly-Supervised Segmentation <https://arxiv.org/abs/2304.02621>`_).
    The head itself knows nothing of the add-on: any decode head that
    returns class maps serves (``docs/add_hfpl_to_your_method.md``); this
    one adds the pooling choice, a bias-free classifier and the learned
    background channel.

    ``loss_by_feat`` is overridden to refuse pixel-level training: a CAM
    head's losses are the segmentor's (:meth:`CAMSegmentor.cam_losses`).

    ``background_channel=True`` gives the classifier ``num_classes + 1``
    outputs, a learned background first, as the multinomial predecessor of
    HFPL ("Importance sampling CAMs", arXiv 2203.12459): its ISL and FSL
    (``posterior='multinomial'`` in the add-on) take a softmax over
    background + classes, the image logits use the foreground channels, and
    :class:`CAMSegmentor` reads label-conditioned softmax CAMs from it.

    Args:
        num_convs (int): 3x3 convs before the classifier; with 0, ``channels``
            must equal ``in_channels``. Defaults to 0.
        pooling (dict): Pooling from class maps to image logits.
            Defaults to ``dict(type='GlobalAvgPool')``.
        loss_decode (dict): The image-level classification loss.
            Defaults to ``dict(type='MultiLabelSoftMarginLoss')``.
        bias (bool): Bias of the classifier; CAM classifiers usually have
            none. Defaults to False.
        background_channel (bool): Learn a background channel (first) for
            the multinomial forms; the add-on must then be multinomial, and
            binomial without it. Defaults to False.
        dropout_ratio (float): Dropout before the classifier.
            Defaults to 0.0.
    """

    def __init__(self,
                 num_convs: int = 0,
                 pooling: ConfigType = dict(type='GlobalAvgPool'),
                 loss_decode: ConfigType = dict(
                     type='MultiLabelSoftMarginLoss', loss_weight=1.0),
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

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        raise NotImplementedError(
            'CAMHead is trained on image-level labels through its segmentor '
            '(CAMSegmentor.cam_losses), not with pixel labels')
