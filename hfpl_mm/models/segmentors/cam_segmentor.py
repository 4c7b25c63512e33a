# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from hfpl_mm.utils.cam_labels import (DEFAULT_BG_POWER, DEFAULT_BG_THRESHOLD,
                                     add_background)
from hfpl_mm.utils.labels import stack_cls_labels
from ..utils.cam_norm import normalize_cams


def cams_to_scores(cams: Tensor,
                   labels: Optional[Tensor],
                   bg_mode: str = 'threshold',
                   bg_threshold: float = DEFAULT_BG_THRESHOLD,
                   bg_power: float = DEFAULT_BG_POWER,
                   eps: float = 1e-5) -> Tensor:
    """Turn CAM logits into per-pixel scores with a background channel.

    Foreground scores are the CAMs min-max normalised per class by
    :func:`normalize_cams` (the reference's stage-2 rule), restricted to the
    image-level labels when given. Background is the package's one rule
    (:func:`hfpl_mm.utils.cam_labels.add_background`): the constant
    ``bg_threshold`` ('threshold') or ``(1 - max_c fg_c) ** bg_power``
    ('power').

    Args:
        cams (Tensor): CAM logits (N, C, H, W).
        labels (Tensor, optional): Multi-hot labels (N, C).
        bg_mode (str): 'threshold' or 'power'. Defaults to 'threshold'.
        bg_threshold (float): Defaults to 0.26.
        bg_power (float): Defaults to 16.
        eps (float): Of the min-max normalisation. Defaults to 1e-5.

    Returns:
        Tensor: Scores (N, C + 1, H, W), background first; argmax gives the
        pseudo-label.
    """
    fg = normalize_cams(cams.float(), 'minmax', eps)
    if labels is not None:
        fg = fg * labels.float()[:, :, None, None]
    return add_background(fg, bg_mode, bg_threshold, bg_power, dim=1)


def softmax_cams_to_scores(cams: Tensor,
                           bg_mode: str = 'threshold',
                           bg_threshold: float = DEFAULT_BG_THRESHOLD,
                           bg_power: float = DEFAULT_BG_POWER,
                           eps: float = 1e-5) -> Tensor:
    """Scores of a head with a learned background channel (the multinomial
    predecessor, arXiv 2203.12459).

    The CAMs are foreground softmax probabilities, label-conditioned and
    averaged over scales (:meth:`CAMSegmentor.multiscale_cams`). As the
    predecessor's inference, every pixel keeps only its largest class (the
    others are zeroed) and every map is divided by its maximum (+ ``eps``);
    the background then follows the package's one rule
    (:func:`hfpl_mm.utils.cam_labels.add_background`).

    Args:
        cams (Tensor): Foreground probabilities (N, C, H, W), >= 0.
        bg_mode (str): 'threshold' or 'power'. Defaults to 'threshold'.
        bg_threshold (float): Defaults to 0.26.
        bg_power (float): Defaults to 16.
        eps (float): Of the max-normalisation. Defaults to 1e-5.

    Returns:
        Tensor: Scores (N, C + 1, H, W), background first.
    """
    fg = cams.float()
    fg = fg * (fg == fg.amax(dim=1, keepdim=True))
    fg = fg / (fg.flatten(2).amax(-1)[..., None, None] + eps)
    return add_background(fg, bg_mode, bg_threshold, bg_power, dim=1)


@MODELS.register_module()
class CAMSegmentor(BaseSegmentor):
    """Weakly-supervised CAM network: backbone (+neck) and a CAM head.

    Trained on image-level labels (``gt_cls_label``); ``predict`` returns
    CAM-based segmentations (``pred_sem_seg``, background first, plus the
    scores in ``seg_logits``) so mmseg's evaluators and visualisers work.

    Args:
        backbone (dict): Any mmseg or mmpretrain backbone
            (``type='mmpretrain.ResNet'`` for the latter).
        decode_head (dict): A :class:`CAMHead` (or subclass).
        neck (dict, optional): Defaults to None.
        test_cfg (dict, optional): Keys ``bg_mode`` ('threshold' or
            'power'), ``bg_threshold`` (0.26, :data:`DEFAULT_BG_THRESHOLD`),
            ``bg_power`` (16),
            ``use_gt_labels`` (True: restrict CAMs to the image-level labels
            when the samples have them), ``scales`` ((1.0, )) and ``flip``
            (False) for multi-scale / flip CAM aggregation.

    A head with a learned background channel (``background_channel=True``,
    the multinomial predecessor) gives label-conditioned softmax CAMs,
    averaged over scales and flips and scored by
    :func:`softmax_cams_to_scores`, as the predecessor's inference.
    """

    #: Whether the model's losses handle a head with a learned background
    #: channel (multi-view models compare CAMs channel by channel with the
    #: foreground labels and do not).
    supports_background_channel = True

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None:
            backbone.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_head = MODELS.build(decode_head)
        if (getattr(self.decode_head, 'background_channel', False)
                and not self.supports_background_channel):
            raise ValueError(
                f'{type(self).__name__} does not support a decode head '
                'with background_channel=True (the multinomial forms); use '
                'CAMSegmentor')
        self.align_corners = self.decode_head.align_corners
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.num_classes + 1
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(
            bg_mode='threshold',
            bg_threshold=DEFAULT_BG_THRESHOLD,
            bg_power=DEFAULT_BG_POWER,
            use_gt_labels=True,
            scales=(1.0, ),
            flip=False)
        self.test_cfg.update(test_cfg or {})

    # ------------------------------------------------------------------ utils
    def denormalize(self, inputs: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation: RGB in [0, 1]."""
        dp = self.data_preprocessor
        if getattr(dp, '_enable_normalize', False):
            inputs = inputs * dp.std + dp.mean
        return (inputs / 255.0).clamp(0, 1)

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward_cams(self, inputs: Tensor) -> Tensor:
        """CAM logits at feature resolution (N, C, h, w)."""
        return self.decode_head(self.extract_feat(inputs))

    # ---------------------------------------------------------------- train
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(inputs)
        images = None
        if self.decode_head.needs_images:
            images = self.denormalize(inputs)
        losses = self.decode_head.loss(feats, data_samples, self.train_cfg,
                                       images)
        return self._add_prefix(losses, 'decode')

    @staticmethod
    def _add_prefix(losses: Dict[str, Tensor], prefix: str) -> dict:
        return {f'{prefix}.{k}': v for k, v in losses.items()}

    # -------------------------------------------------------------- predict
    def multiscale_cams(self,
                        inputs: Tensor,
                        labels: Optional[Tensor] = None) -> Tensor:
        """CAMs at input resolution aggregated over ``test_cfg.scales`` (and
        flips); a flipped copy shares the forward pass with the original.

        Without a background channel: the sum of ReLU'd CAM logits, as the
        reference's multi-scale inference. With one (the multinomial
        predecessor): the mean over scales and flips of the foreground
        softmax probabilities conditioned on the labels (multiplied by
        ``[1, labels]`` and renormalised over the channels; all classes when
        ``labels`` is None).

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            labels (Tensor, optional): Multi-hot labels (N, C), used by the
                background-channel form only. Defaults to None.

        Returns:
            Tensor: CAMs (N, C, H, W).
        """
        n, _, h, w = inputs.shape
        flip = self.test_cfg['flip']
        softmax = getattr(self.decode_head, 'background_channel', False)
        total, count = 0, 0
        for scale in self.test_cfg['scales']:
            x = inputs if scale == 1.0 else F.interpolate(
                inputs,
                scale_factor=scale,
                mode='bilinear',
                align_corners=False)
            if flip:
                x = torch.cat([x, x.flip(-1)])
            cam = self.forward_cams(x)
            if softmax:
                cam = self._conditioned_probs(cam, labels, 2 if flip else 1)
            else:
                cam = F.relu(cam)
            if flip:
                cam = cam[:n] + cam[n:].flip(-1)
            total = total + F.interpolate(
                cam, size=(h, w), mode='bilinear', align_corners=False)
            count += 2 if flip else 1
        return total / count if softmax else total

    @staticmethod
    def _conditioned_probs(cam: Tensor, labels: Optional[Tensor],
                           copies: int) -> Tensor:
        """Foreground softmax probabilities of background-first logits,
        conditioned on ``[1, labels]`` (renormalised over the channels)."""
        probs = cam.float().softmax(dim=1)
        if labels is not None:
            mask = torch.cat([torch.ones_like(labels[:, :1]), labels], 1)
            probs = probs * mask.float().repeat(copies, 1)[:, :, None, None]
            probs = probs / probs.sum(1, keepdim=True).clamp_min(1e-8)
        return probs[:, 1:]

    def scores_from_cams(self, cams: Tensor,
                         labels: Optional[Tensor]) -> Tensor:
        """Scores (N, C + 1, H, W) of :meth:`multiscale_cams`' output with
        the ``test_cfg`` background rule."""
        cfg = self.test_cfg
        if getattr(self.decode_head, 'background_channel', False):
            return softmax_cams_to_scores(cams, cfg['bg_mode'],
                                          cfg['bg_threshold'],
                                          cfg['bg_power'])
        return cams_to_scores(cams, labels, cfg['bg_mode'],
                              cfg['bg_threshold'], cfg['bg_power'])

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Scores (N, C + 1, H, W) with background first, no labels."""
        return self.scores_from_cams(self.multiscale_cams(inputs), None)

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        labels = None
        if (self.test_cfg['use_gt_labels'] and data_samples is not None
                and all('gt_cls_label' in s for s in data_samples)):
            labels = stack_cls_labels(data_samples, inputs.device)
        scores = self.scores_from_cams(
            self.multiscale_cams(inputs, labels), labels)
        return self.postprocess_result(scores, data_samples)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        return self.forward_cams(inputs)
