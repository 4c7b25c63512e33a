# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from hfpl_mm.utils.labels import stack_cls_labels
from ..losses.seam_losses import (equivariant_cross_reg_loss,
                                  equivariant_reg_loss, pcm_min_loss,
                                  with_background)
from ..losses.multilabel_soft_margin_loss import multilabel_soft_margin_loss
from ..utils.cam_norm import normalize_cams
from ..utils.importance_sampling import probs_to_logits
from .cam_segmentor import CAMSegmentor


def _resize(x: Tensor, size) -> Tensor:
    return F.interpolate(x, size, mode='bilinear', align_corners=True)


@MODELS.register_module()
class SEAMSegmentor(CAMSegmentor):
    """SEAM: Self-supervised Equivariant Attention Mechanism
    (`Wang et al., CVPR 2020 <https://arxiv.org/abs/2004.04581>`_).

    Two views (the input and a ``rescale`` down-scaled copy) share the
    network; losses: classification on both views (GAP of each view's CAM
    upsampled to the view's size, ``align_corners=True``), PCM min-pooling,
    equivariant regularisation (ER) between the views' CAMs and equivariant
    cross regularisation (ECR) between one view's CAM and the other's
    PCM-refined map. As in the HFPL reference, the add-on (ISL mixed into
    the classification loss, and FSL) applies to the full-resolution view
    only; the down-scaled view keeps its plain GAP loss at full weight, and
    the views' classification terms are averaged with ISL inside the full
    view's term, ``((1 - w) GAP1 + w ISL1 + GAP2) / 2`` (so ISL's effective
    weight is ``w / 2``), FSL added whole (:meth:`average_views`).

    Args:
        rescale (float): Scale of the second view. Defaults to 0.3.
        ecr_topk (float): Fraction of the largest ECR errors kept.
            Defaults to 0.2.
        loss_weights (dict): Weights of ``er``, ``ecr`` and ``pcm``.
            Defaults to all 1.0.

    At inference the CAMs are the PCM-refined maps (foreground channels), as
    SEAM's reference inference uses; ``test_cfg.use_pcm=False`` gives the
    plain classifier CAMs.

    With a learned background channel (``SEAMHead(background_channel=True)``
    and the multinomial add-on) it trains as the predecessor of HFPL does
    on SEAM ("Importance sampling CAMs", arXiv 2203.12459, github
    arvijj/icam; :meth:`predecessor_loss`) and infers
    ``0.5 * softmax(cam) + 0.5 * softmax(PCM(cam))`` (:meth:`class_probs`).
    """

    supports_background_channel = True
    test_cfg_keys = CAMSegmentor.test_cfg_keys + ('use_pcm', )

    def __init__(self,
                 *args,
                 rescale: float = 0.3,
                 ecr_topk: float = 0.2,
                 loss_weights: dict = dict(er=1.0, ecr=1.0, pcm=1.0),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rescale = rescale
        self.ecr_topk = ecr_topk
        self.loss_weights = dict(er=1.0, ecr=1.0, pcm=1.0)
        self.loss_weights.update(loss_weights)
        if not callable(getattr(self.decode_head, 'refine', None)):
            raise TypeError(
                f'SEAMSegmentor needs a decode head with refine(cams, feats, '
                f'img), the pixel correlation module (SEAMHead); '
                f'{type(self.decode_head).__name__} has none')

    def forward_cams(self, inputs: Tensor) -> Tensor:
        feats = self.extract_feat(inputs)
        cams = self.decode_head(feats)
        if self.background_channel:
            return cams  # the classifier's logits, background first
        if self.test_cfg.get('use_pcm', True):
            return self.decode_head.refine(cams, feats, inputs)[:, 1:]
        return cams

    def class_probs(self, inputs: Tensor) -> Tensor:
        """The predecessor's CAMs: the mean of the softmax of the
        classifier's logits and of their PCM propagation (N, C + 1, h, w)."""
        feats = self.extract_feat(inputs)
        cams = self.decode_head(feats)
        rv = self.decode_head.propagate(cams, feats, inputs)
        return 0.5 * cams.float().softmax(1) + 0.5 * rv.float().softmax(1)

    def average_views(self, full: Dict[str, Tensor],
                      small: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The two views' classification terms averaged as the reference:
        ``((1 - w) * GAP1 + w * ISL1 + GAP2) / 2``.

        ISL belongs to the full view's classification term, so it is halved
        with it; a loss of the full view only that is not ISL (FSL) is kept
        whole, as the reference adds FSL outside the average.

        Args:
            full (dict[str, Tensor]): :meth:`cam_losses` of the full view,
                with the add-on.
            small (dict[str, Tensor]): Those of the down-scaled view,
                without it.

        Returns:
            dict[str, Tensor]: The averaged losses, in ``full``'s order.
        """
        isl = getattr(self.addon, 'loss_isl', None)
        isl_name = isl.loss_name if isl is not None else None
        losses = {}
        for k, v in full.items():
            if k in small:
                losses[k] = (v + small[k]) / 2
            elif k == isl_name:
                losses[k] = v / 2
            else:
                losses[k] = v
        return losses

    def _view(self, img: Tensor) -> Tuple[Tensor, Tensor, list]:
        feats = self.extract_feat(img)
        cams = self.decode_head(feats)
        refined = self.decode_head.refine(cams, feats, img)
        return cams, refined, feats

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        if self.background_channel:
            return self.predecessor_loss(inputs, data_samples)
        labels = stack_cls_labels(data_samples, inputs.device)
        mask = torch.cat([torch.ones_like(labels[:, :1]), labels],
                         1)[:, :, None, None]
        img2 = F.interpolate(
            inputs,
            scale_factor=self.rescale,
            mode='bilinear',
            align_corners=True)
        size1, size2 = inputs.shape[2:], img2.shape[2:]
        images = self.denormalize(inputs) if self.addon_needs_images else None

        cam1, rv1, _ = self._view(inputs)
        cam2, rv2, _ = self._view(img2)
        # the add-on (ISL, FSL) on the full view only; GAP after upsampling
        l1 = self.cam_losses(cam1, data_samples, images, pool_size=size1)
        l2 = self.cam_losses(
            cam2, data_samples, None, with_addon=False, pool_size=size2)
        losses = self.average_views(l1, l2)

        rv1 = _resize(rv1, size1)
        rv2 = _resize(rv2, size2)
        w = self.loss_weights
        losses['loss_pcm'] = w['pcm'] * (
            pcm_min_loss((rv1 * mask)[:, 1:]) +
            pcm_min_loss((rv2 * mask)[:, 1:])) / 2

        # both views compared at the second view's resolution
        c1 = _resize(normalize_cams(_resize(cam1, size1)),
                     size2) * mask[:, 1:]
        r1 = _resize(normalize_cams(rv1), size2) * mask
        c2 = normalize_cams(_resize(cam2, size2)) * mask[:, 1:]
        r2 = normalize_cams(rv2) * mask
        losses['loss_er'] = w['er'] * equivariant_reg_loss(c1, c2)
        losses['loss_ecr'] = w['ecr'] * (
            equivariant_cross_reg_loss(with_background(c2), r1,
                                       self.ecr_topk) +
            equivariant_cross_reg_loss(with_background(c1), r2,
                                       self.ecr_topk))
        return self._add_prefix(losses, 'decode')

    def predecessor_loss(self, inputs: Tensor,
                         data_samples: SampleList) -> dict:
        """The predecessor's SEAM recipe, with a learned background channel
        ("Importance sampling CAMs", arXiv 2203.12459, arvijj/icam).

        Per view v (the input and its ``rescale`` copy), on the classifier's
        logits ``c_v`` and their PCM propagation ``r_v = PCM(c_v)`` (with
        gradient; no seeds), ``p = softmax``:

        - the add-on's mix ``(1 - w) GAP(c_v) + w ISL(c_v)`` on both views,
          FSL on the full view (:meth:`cam_losses`);
        - ``loss_rv``: the multi-label soft margin loss of
          ``probs_to_logits(max_pool(p(r_v)))`` against ``[1, labels]``
          (background included);
        - ``loss_er``: ``|p(c_1) - p(c_2)| + |p(r_1) - p(r_2)| +
          |p(c_1) - p(r_1)| + |p(c_2) - p(r_2)|`` and ``loss_ecr``:
          ``|p(c_1) - p(r_2)| + |p(c_2) - p(r_1)|``, means over all channels,
          the full view's maps resized to the small view
          (``align_corners=True``);

        the views' terms summed, not averaged.
        """
        labels = stack_cls_labels(data_samples, inputs.device)
        target = torch.cat([torch.ones_like(labels[:, :1]), labels], 1)
        img2 = F.interpolate(
            inputs,
            scale_factor=self.rescale,
            mode='bilinear',
            align_corners=True)
        images = self.denormalize(inputs) if self.addon_needs_images else None
        head = self.decode_head
        probs, losses = [], {}
        for k, (img, view_images) in enumerate(((inputs, images),
                                                (img2, None))):
            feats = self.extract_feat(img)
            cams = head(feats)
            rv = head.propagate(cams, feats, img)
            view = self.cam_losses(cams, data_samples, view_images,
                                   with_fsl=k == 0)
            for name, value in view.items():
                losses[name] = losses[name] + value if name in losses \
                    else value
            p_rv = rv.softmax(1)
            rv_logits = probs_to_logits(p_rv.amax(dim=(2, 3)))
            loss_rv = multilabel_soft_margin_loss(rv_logits, target)
            losses['loss_rv'] = losses['loss_rv'] + loss_rv \
                if 'loss_rv' in losses else loss_rv
            probs.append((cams.softmax(1), p_rv))
        losses['acc_cls'] = losses['acc_cls'] / 2
        (c1, r1), (c2, r2) = probs
        size = c2.shape[2:]
        c1, r1 = _resize(c1, size), _resize(r1, size)
        w = self.loss_weights
        losses['loss_er'] = w['er'] * (
            (c1 - c2).abs().mean() + (r1 - r2).abs().mean() +
            (c1 - r1).abs().mean() + (c2 - r2).abs().mean())
        losses['loss_ecr'] = w['ecr'] * (
            (c1 - r2).abs().mean() + (c2 - r1).abs().mean())
        return self._add_prefix(losses, 'decode')
