# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple

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
from ..utils.cam_contract import (check_cam_head, loss_modules,
                                  refuse_addon_keys_in_head)
from ..utils.cam_norm import normalize_cams
from ..utils.test_cfg import check_range, check_test_cfg_keys


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


#: The values of the ``test_cfg`` keys that choose how stage 2 computes CAMs.
TEST_CFG_CHOICES = dict(
    resize=('pil_bicubic', 'bilinear'),
    cam_upsample=('two_step', 'one_step'),
    cam_dtype=('float32', 'float16'))


def resize_like_pil_bicubic(inputs: Tensor, size: Tuple[int, int],
                            mean: Optional[Tensor],
                            std: Optional[Tensor]) -> Tensor:
    """Resize normalised images as the reference resizes its 8-bit PIL
    images (bicubic, a = -0.5, with PIL's antialiasing support when
    shrinking), then normalise them again.

    PIL resizes separably, the width first, and stores the intermediate
    image in 8 bits; so does this (``antialias=True`` is PIL's kernel), with
    the rounding and clipping in between. On random 8-bit images it equals
    PIL exactly when shrinking and to 1 or 2 grey levels on under 1 % of the
    pixels when enlarging (PIL's fixed-point arithmetic).

    Args:
        inputs (Tensor): Images (N, 3, H, W), normalised with ``mean`` and
            ``std`` (None: raw 0..255).
        size (tuple[int, int]): (h, w) out.
        mean (Tensor, optional): (3, 1, 1) of the normalisation.
        std (Tensor, optional): (3, 1, 1) of the normalisation.

    Returns:
        Tensor: (N, 3, h, w), normalised as ``inputs``.
    """
    raw = inputs if mean is None else inputs * std + mean
    out = raw.float().round().clamp(0, 255)
    for step in ((out.shape[2], size[1]), tuple(size)):
        if tuple(out.shape[2:]) != step:
            out = F.interpolate(out, step, mode='bicubic',
                                align_corners=False, antialias=True)
            out = out.round().clamp(0, 255)
    return out if mean is None else (out - mean) / std


@MODELS.register_module()
class CAMSegmentor(BaseSegmentor):
    """Weakly-supervised CAM network: backbone (+neck), a CAM head and,
    optionally, the HFPL add-on.

    Trained on image-level labels (``gt_cls_label``); ``predict`` returns
    CAM-based segmentations (``pred_sem_seg``, background first, plus the
    scores in ``seg_logits``) so mmseg's evaluators and visualisers work.

    The head is any decode head that returns class maps and has an
    image-level ``loss_decode`` (the contract of
    :mod:`hfpl_mm.models.utils.cam_contract`, checked when the model is
    built): :class:`CAMHead`, mmseg's ``FCNHead``, or a user's own. The
    segmentor pools the maps to image logits (the head's ``image_logits``,
    else global average pooling), applies the head's ``loss_decode`` and
    hands the maps to the add-on (:class:`~hfpl_mm.models.HFPLAddon`) in
    :meth:`cam_losses`, the one place multi-view subclasses call for each
    view. See `High-fidelity Pseudo-labels for Boosting Weakly-Supervised
    Segmentation <https://arxiv.org/abs/2304.02621>`_ and
    ``docs/add_hfpl_to_your_method.md``.

    Args:
        backbone (dict): Any mmseg or mmpretrain backbone
            (``type='mmpretrain.ResNet'`` for the latter).
        decode_head (dict): A CAM head (see above).
        neck (dict, optional): Defaults to None.
        addon (dict, optional): The HFPL add-on,
            ``dict(type='HFPLAddon', loss_isl=..., loss_fsl=...)``
            (``configs/_base_/hfpl_addon.py``). Defaults to None (off).
        test_cfg (dict, optional): Keys ``bg_mode`` ('threshold' or
            'power'), ``bg_threshold`` (0.26, :data:`DEFAULT_BG_THRESHOLD`),
            ``bg_power`` (16),
            ``use_gt_labels`` (True: restrict CAMs to the image-level labels
            when the samples have them), ``scales`` ((1.0, )) and ``flip``
            (False) for multi-scale / flip CAM aggregation, and how, as
            the reference's stage 2 by default: ``resize`` ('pil_bicubic':
            each scale of the image resized as PIL's bicubic filter does,
            sizes ``round(s * H)`` x ``round(s * W)``, on the uint8-rounded
            image; 'bilinear': bilinear on the normalised tensor, floor
            sizes, our earlier rule), ``cam_upsample`` ('two_step': the CAMs
            to the scaled input (``align_corners=True``), then to the image
            (``align_corners=False``); 'one_step': straight to the image,
            ``align_corners=False``) and ``cam_dtype`` ('float32' or
            'float16', the CAM archives of stage 2).

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
                 addon: OptConfigType = None,
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
        refuse_addon_keys_in_head(decode_head)
        self.decode_head = MODELS.build(decode_head)
        self.addon = MODELS.build(addon) if addon else None
        check_cam_head(self.decode_head, type(self).__name__, self.addon)
        if self.background_channel and not self.supports_background_channel:
            raise ValueError(
                f'{type(self).__name__} does not support a decode head '
                'with background_channel=True (the multinomial forms); use '
                'CAMSegmentor')
        self.align_corners = getattr(self.decode_head, 'align_corners',
                                     False)
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.num_classes + 1
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(
            bg_mode='threshold',
            bg_threshold=DEFAULT_BG_THRESHOLD,
            bg_power=DEFAULT_BG_POWER,
            use_gt_labels=True,
            scales=(1.0, ),
            flip=False,
            resize='pil_bicubic',
            cam_upsample='two_step',
            cam_dtype='float32')
        self.test_cfg.update(test_cfg or {})
        self.check_test_cfg()

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """mmengine's training step; with ``train_cfg.log_loss_grad_norms``
        also the gradient norm of every loss term on its own
        (``gradnorm.<loss name>`` in the log), to tell which term spikes,
        and the diagnostics of every loss that records them
        (``diag.<name>``: the binomial FSL's smallest labelled CAM range,
        :func:`~hfpl_mm.models.losses.feature_similarity_loss.
        cam_range_diagnostics`).

        The norms come from :func:`torch.autograd.grad` on the retained
        graph: nothing else changes (no ``.grad`` written, no extra forward,
        no random numbers drawn), so a run with the option trains
        bit-identically to one without.
        """
        if not self.train_cfg.get('log_loss_grad_norms', False):
            return super().train_step(data, optim_wrapper)
        recorders = [m for m in self.modules()
                     if hasattr(m, 'start_diagnostics')]
        for m in recorders:
            m.start_diagnostics()
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed_losses, log_vars = self.parse_losses(losses)
        log_vars.update(self.loss_grad_norms(losses))
        for m in recorders:
            log_vars.update(
                (f'diag.{k}', v) for k, v in m.diagnostics().items())
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    def loss_grad_norms(self, losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The L2 norm of the gradient of each loss term (keys holding
        'loss', as :meth:`parse_losses` sums them) over the trainable
        parameters, computed on the retained graph."""
        params = [p for p in self.parameters() if p.requires_grad]
        out = {}
        for name, value in losses.items():
            if 'loss' not in name:
                continue
            terms = value if isinstance(value, (list, tuple)) else [value]
            total = sum(t.mean() for t in terms)
            if not total.requires_grad:
                continue
            grads = torch.autograd.grad(total, params, retain_graph=True,
                                        allow_unused=True)
            sq = sum((g.detach().float()**2).sum() for g in grads
                     if g is not None)
            out[f'gradnorm.{name}'] = torch.as_tensor(sq).sqrt()
        return out

    #: The ``test_cfg`` keys the model reads (a subclass adds its own).
    test_cfg_keys = ('bg_mode', 'bg_threshold', 'bg_power', 'use_gt_labels',
                     'scales', 'flip', 'resize', 'cam_upsample', 'cam_dtype')

    def check_test_cfg(self) -> None:
        """Refuse unknown keys (a misspelt one would be ignored), values
        outside their choices, a background threshold outside [0, 1] (the
        CAM scores are min-max normalised: 26 makes every pixel background,
        -0.5 none), a power or scale <= 0."""
        cfg = self.test_cfg
        check_test_cfg_keys(cfg, self.test_cfg_keys, type(self).__name__)
        for key, allowed in TEST_CFG_CHOICES.items():
            if cfg[key] not in allowed:
                raise ValueError(f'model.test_cfg.{key} must be one of '
                                 f'{allowed}, got {cfg[key]!r}')
        if cfg['bg_mode'] not in ('threshold', 'power'):
            raise ValueError("model.test_cfg.bg_mode must be 'threshold' or "
                             f"'power', got {cfg['bg_mode']!r}")
        check_range('model.test_cfg.bg_threshold', cfg['bg_threshold'], 0,
                    1)
        check_range('model.test_cfg.bg_power', cfg['bg_power'], 0,
                    float('inf'), low_open=True)
        if not cfg['scales']:
            raise ValueError('model.test_cfg.scales is empty')
        for scale in cfg['scales']:
            check_range('model.test_cfg.scales', scale, 0, float('inf'),
                        low_open=True)

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

    @property
    def background_channel(self) -> bool:
        """Whether the head's maps carry a learned background (first)."""
        return bool(getattr(self.decode_head, 'background_channel', False))

    @property
    def addon_needs_images(self) -> bool:
        """Whether the add-on needs the input images (FSL)."""
        return self.addon is not None and self.addon.needs_images

    def image_logits(self, cams: Tensor) -> Tensor:
        """Foreground image logits (N, C) of class maps: the head's
        ``image_logits`` when it has one, else global average pooling (the
        background channel dropped when there is one)."""
        pool = getattr(self.decode_head, 'image_logits', None)
        if pool is not None:
            return pool(cams)
        logits = cams.mean(dim=(2, 3))
        return logits[:, 1:] if self.background_channel else logits

    # ---------------------------------------------------------------- train
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        cams = self.decode_head(self.extract_feat(inputs))
        images = self.denormalize(inputs) if self.addon_needs_images else None
        losses = self.cam_losses(cams, data_samples, images)
        return self._add_prefix(losses, 'decode')

    def cam_losses(self,
                   cams: Tensor,
                   data_samples: SampleList,
                   images: Optional[Tensor] = None,
                   with_addon: bool = True,
                   pool_size: Optional[tuple] = None,
                   with_fsl: bool = True) -> Dict[str, Tensor]:
        """Classification losses of one view's class maps, with the add-on.

        The maps are pooled to image logits (:meth:`image_logits`) and
        scored by the head's ``loss_decode`` against ``gt_cls_label``; when
        the model has an add-on and ``with_addon``, the add-on mixes ISL
        into them and adds FSL (:class:`~hfpl_mm.models.HFPLAddon`).

        Args:
            cams (Tensor): Class maps of the view (N, C, h, w), or
                (N, C + 1, h, w) with a learned background first.
            data_samples (list[:obj:`SegDataSample`]): With
                ``gt_cls_label``.
            images (Tensor, optional): The view's image, RGB in [0, 1]
                (:meth:`denormalize`); needed when the add-on has FSL and
                ``with_addon``. Defaults to None.
            with_addon (bool): Apply the add-on to this view; False gives
                the plain classification loss at full weight (SEAM's
                down-scaled view, Puzzle-CAM's tiles, as the reference).
                Defaults to True.
            pool_size (tuple, optional): Resize the maps to this size
                (bilinear, ``align_corners=True``) before pooling, as SEAM
                pools its upsampled CAM; None pools at feature resolution.
                Defaults to None.
            with_fsl (bool): With the add-on, add its FSL to this view;
                False applies its ISL mix only. Defaults to True.

        Returns:
            dict[str, Tensor]: The losses and ``acc_cls`` (logged only).
        """
        head = self.decode_head
        labels = stack_cls_labels(data_samples, cams.device)
        if cams.dim() != 4:
            raise ValueError(
                f'{type(head).__name__} returned maps of shape '
                f'{tuple(cams.shape)}; a CAM head returns class maps '
                '(N, C, h, w)')
        num_fg = cams.shape[1] - int(self.background_channel)
        if labels.shape[1] != num_fg:
            raise ValueError(
                f'gt_cls_label has {labels.shape[1]} classes but the head '
                f'predicts {num_fg}')
        pool_in = cams
        if pool_size is not None and tuple(pool_size) != cams.shape[2:]:
            pool_in = F.interpolate(
                cams, pool_size, mode='bilinear', align_corners=True)
        logits = self.image_logits(pool_in)
        losses = {}
        for loss in loss_modules(head.loss_decode):
            value = loss(logits, labels)
            name = loss.loss_name
            losses[name] = losses[name] + value if name in losses else value
        if self.addon is not None and with_addon:
            losses = self.addon(cams, labels, losses, images, with_fsl)
        with torch.no_grad():
            pred = (logits.detach() > 0).float()
            # logged only: name must not contain 'loss'
            losses['acc_cls'] = (pred == labels).float().mean() * 100
        return losses

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
        cfg = self.test_cfg
        flip = cfg['flip']
        softmax = self.background_channel
        total, count = 0, 0
        for scale in cfg['scales']:
            x = self._scaled_input(inputs, scale)
            if flip:
                x = torch.cat([x, x.flip(-1)])
            if softmax:
                cam = self._conditioned(self.class_probs(x), labels,
                                        2 if flip else 1)
            else:
                cam = F.relu(self.forward_cams(x))
            if flip:
                cam = cam[:n] + cam[n:].flip(-1)
            if cfg['cam_upsample'] == 'two_step':
                cam = F.interpolate(
                    cam, size=x.shape[2:], mode='bilinear',
                    align_corners=True)
            total = total + F.interpolate(
                cam, size=(h, w), mode='bilinear', align_corners=False)
            count += 2 if flip else 1
        return total / count if softmax else total

    def _scaled_input(self, inputs: Tensor, scale: float) -> Tensor:
        """The input at one inference scale (``test_cfg.resize``)."""
        if scale == 1.0:
            return inputs
        h, w = inputs.shape[2:]
        if self.test_cfg['resize'] == 'bilinear':
            return F.interpolate(
                inputs,
                scale_factor=scale,
                mode='bilinear',
                align_corners=False)
        dp = self.data_preprocessor
        normalised = getattr(dp, '_enable_normalize', False)
        # Python's round, as the reference's sizes
        size = (int(round(h * scale)), int(round(w * scale)))
        return resize_like_pil_bicubic(inputs, size,
                                       dp.mean if normalised else None,
                                       dp.std if normalised else None)

    def class_probs(self, inputs: Tensor) -> Tensor:
        """Softmax probabilities (N, C + 1, h, w) over the learned
        background and the classes (heads with a background channel)."""
        return self.forward_cams(inputs).float().softmax(dim=1)

    @staticmethod
    def _conditioned(probs: Tensor, labels: Optional[Tensor],
                     copies: int) -> Tensor:
        """Foreground probabilities of background-first ``probs``,
        conditioned on ``[1, labels]`` (renormalised over the channels)."""
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
        if self.background_channel:
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
