# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Dict, Optional

import torch.nn as nn
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType
from torch import Tensor

#: The guide to the contract between the add-on, the segmentor and a head.
ADDON_GUIDE = 'docs/add_hfpl_to_your_method.md'


@MODELS.register_module()
class HFPLAddon(nn.Module):
    """The HFPL add-on: importance sampling mixed into a CAM method's
    classification loss, and feature similarity.

    `High-fidelity Pseudo-labels for Boosting Weakly-Supervised Segmentation
    <https://arxiv.org/abs/2304.02621>`_ is an add-on to a CAM-based method.
    This module is the one place that does its bookkeeping. A CAM segmentor
    (:class:`~hfpl_mm.models.CAMSegmentor` and its subclasses) builds it from
    ``model.addon`` and, for every view that gets the add-on, hands it the
    view's class maps, the image-level labels, the classification losses of
    the pooled maps and the input image; it returns

    - ``loss_isl``: ``w * ISL`` on the class maps (``w`` is the ISL's
      ``loss_weight``, 0.2 in the paper);
    - every classification loss scaled by ``1 - w``, so the total is the
      paper's ``(1 - w) * GAP + w * ISL``;
    - ``loss_fsl``: FSL of the class maps against the image.

    The head that makes the class maps needs no code for any of this (see
    ``docs/add_hfpl_to_your_method.md``): the add-on reads nothing from it
    but its maps, and whether it has a learned background channel, which
    must match the losses' ``posterior`` (:meth:`check_head`).

    Args:
        loss_isl (dict, optional): An ``ImportanceSamplingLoss`` config.
            Defaults to None (off).
        loss_fsl (dict, optional): A ``FeatureSimilarityLoss`` config.
            Defaults to None (off).
    """

    def __init__(self,
                 loss_isl: OptConfigType = None,
                 loss_fsl: OptConfigType = None) -> None:
        super().__init__()
        self.loss_isl = MODELS.build(loss_isl) if loss_isl else None
        self.loss_fsl = MODELS.build(loss_fsl) if loss_fsl else None
        posteriors = {
            getattr(loss, 'posterior', 'binomial')
            for loss in (self.loss_isl, self.loss_fsl) if loss is not None
        }
        if len(posteriors) > 1:
            raise ValueError(
                'HFPLAddon: loss_isl and loss_fsl have different posteriors '
                f'{sorted(posteriors)}; both binomial (the paper) or both '
                'multinomial (the predecessor)')
        self.posterior = posteriors.pop() if posteriors else 'binomial'

    @property
    def needs_images(self) -> bool:
        """Whether the add-on needs the input images (FSL does)."""
        return self.loss_fsl is not None

    @property
    def isl_weight(self) -> float:
        """The ISL weight ``w`` of the mix (0 without ISL)."""
        return 0.0 if self.loss_isl is None else self.loss_isl.loss_weight

    def check_head(self, head_name: str, background_channel: bool) -> None:
        """Refuse a head whose maps do not fit the losses' posterior.

        Args:
            head_name (str): The head's class name, for the message.
            background_channel (bool): Whether the head's maps carry a
                learned background channel (first).
        """
        want = 'multinomial' if background_channel else 'binomial'
        if self.posterior != want and (self.loss_isl or self.loss_fsl):
            raise ValueError(
                f'HFPLAddon(posterior={self.posterior!r}) on a {head_name} '
                f'with background_channel={background_channel}: the '
                'multinomial forms need the learned background channel '
                '(background_channel=True), the binomial forms one map per '
                f'class (background_channel=False); see {ADDON_GUIDE}')

    def forward(self,
                cams: Tensor,
                labels: Tensor,
                cls_losses: Dict[str, Tensor],
                images: Optional[Tensor] = None,
                with_fsl: bool = True) -> Dict[str, Tensor]:
        """The add-on's losses of one view, with its classification losses
        mixed in.

        Args:
            cams (Tensor): Class maps (N, C, h, w), or (N, C + 1, h, w) with
                a learned background first (multinomial).
            labels (Tensor): Multi-hot image-level labels (N, C).
            cls_losses (dict[str, Tensor]): The view's classification
                losses of the pooled maps (GAP or the head's pooling).
            images (Tensor, optional): RGB in [0, 1], (N, 3, H, W); needed
                with FSL. Defaults to None.
            with_fsl (bool): Add FSL to this view (ISL alone when False, as
                the predecessor's down-scaled SEAM view). Defaults to True.

        Returns:
            dict[str, Tensor]: ``loss_isl``, the classification losses
            scaled by ``1 - w``, ``loss_fsl`` (those that are on), in this
            order.
        """
        with_fsl = with_fsl and self.loss_fsl is not None
        if with_fsl and images is None:
            raise ValueError(
                'HFPLAddon: loss_fsl needs the input images (RGB in [0, 1]); '
                'pass images= to CAMSegmentor.cam_losses for the views that '
                f'get the add-on (see {ADDON_GUIDE})')
        losses = {}
        if self.loss_isl is not None:
            losses[self.loss_isl.loss_name] = self.loss_isl(cams, labels)
            scale = 1 - self.loss_isl.loss_weight
            cls_losses = {k: scale * v for k, v in cls_losses.items()}
        losses.update(cls_losses)
        if with_fsl:
            losses[self.loss_fsl.loss_name] = self.loss_fsl(
                images, cams, labels)
        return losses
