# Copyright (c) hfpl-mm contributors. All rights reserved.
"""What a decode head must provide to serve as the CAM head of a
:class:`~hfpl_mm.models.CAMSegmentor` (and so to take the HFPL add-on).

The contract (``docs/add_hfpl_to_your_method.md``):

- ``forward(feats)`` returns class maps (logits), (N, C, h, w), or
  (N, C + 1, h, w) with a learned background first when the head has
  ``background_channel = True``;
- ``num_classes``: the C foreground classes;
- ``loss_decode``: an image-level multi-label loss (or a list of them) on
  the pooled logits (N, C) and the multi-hot labels, e.g.
  ``MultiLabelSoftMarginLoss``, or mmseg's ``CrossEntropyLoss`` with
  ``use_sigmoid=True``; every mmseg decode head has one;
- optionally ``image_logits(maps)``: the foreground image logits (N, C) of
  class maps (the head's pooling); global average pooling without it.

Everything else (the classification losses, the add-on's ISL / GAP mix and
FSL, the input image) is the segmentor's, so mmseg's ``FCNHead`` qualifies
as it is. :func:`check_cam_head` checks all of it when the model is built.
"""
from typing import List, Optional

import torch.nn as nn

from ..losses.hfpl_addon import ADDON_GUIDE

#: Keys of the add-on that belong to ``model.addon``, not to the head.
ADDON_KEYS = ('loss_isl', 'loss_fsl')


def refuse_addon_keys_in_head(head_cfg: dict) -> None:
    """Refuse add-on losses merged into a decode head's config.

    The add-on is a part of the segmentor (``model.addon``), so a head need
    not (and should not) take its losses.

    Args:
        head_cfg (dict): The ``decode_head`` config.
    """
    found = [k for k in ADDON_KEYS if k in head_cfg]
    if found:
        raise ValueError(
            f'decode_head ({head_cfg.get("type")}) sets {", ".join(found)}: '
            'the HFPL add-on belongs to the segmentor, not to the head. Set '
            "model.addon=dict(type='HFPLAddon', loss_isl=..., loss_fsl=...) "
            '(inherit configs/_base_/hfpl_addon.py and write '
            'model = dict(addon=_base_.hfpl_addon)); see ' + ADDON_GUIDE)


def loss_modules(loss_decode: nn.Module) -> List[nn.Module]:
    """The losses of a head's ``loss_decode`` (one, or a ModuleList)."""
    if isinstance(loss_decode, nn.ModuleList):
        return list(loss_decode)
    return [loss_decode]


def check_cam_head(head: nn.Module,
                   owner: str,
                   addon: Optional[nn.Module] = None) -> None:
    """Check that ``head`` meets the CAM-head contract (module docstring).

    Args:
        head (nn.Module): The built decode head.
        owner (str): The segmentor's class name, for the messages.
        addon (nn.Module, optional): The built add-on; its posterior must
            match the head's background channel. Defaults to None.

    Raises:
        TypeError: A piece of the contract is missing; the message names it
            and points to the guide.
        ValueError: A piece is there but cannot work (a softmax pixel loss,
            class maps of the wrong channel count, a posterior that does not
            fit the background channel).
    """
    name = type(head).__name__
    where = f'{owner} needs a decode head that'
    guide = f'see {ADDON_GUIDE}'
    num_classes = getattr(head, 'num_classes', None)
    if not isinstance(num_classes, int) or num_classes < 1:
        raise TypeError(
            f'{where} has num_classes (the foreground classes); {name} has '
            f'{num_classes!r}; {guide}')
    loss_decode = getattr(head, 'loss_decode', None)
    if not isinstance(loss_decode, nn.Module):
        raise TypeError(
            f'{where} has loss_decode, an image-level multi-label loss '
            "(e.g. loss_decode=dict(type='MultiLabelSoftMarginLoss')); "
            f'{name} has none; {guide}')
    for loss in loss_modules(loss_decode):
        if not hasattr(loss, 'loss_name'):
            raise TypeError(
                f'{name}.loss_decode {type(loss).__name__} has no loss_name '
                '(the name of its value in the loss dict, starting with '
                f"'loss_'); {guide}")
        if (type(loss).__name__ == 'CrossEntropyLoss'
                and not getattr(loss, 'use_sigmoid', False)):
            raise ValueError(
                f'{name}.loss_decode is a softmax CrossEntropyLoss (one class '
                'per pixel): a CAM head is trained on image-level labels '
                'with a multi-label loss of its pooled logits; set '
                "loss_decode=dict(type='MultiLabelSoftMarginLoss') (or "
                f'CrossEntropyLoss with use_sigmoid=True); {guide}')
    image_logits = getattr(head, 'image_logits', None)
    if image_logits is not None and not callable(image_logits):
        raise TypeError(f'{name}.image_logits must be a method mapping '
                        f'class maps to image logits (N, C); {guide}')
    background = bool(getattr(head, 'background_channel', False))
    conv_seg = getattr(head, 'conv_seg', None)
    if isinstance(conv_seg, nn.Conv2d):
        want = num_classes + int(background)
        if conv_seg.out_channels != want:
            raise ValueError(
                f'{name}.conv_seg gives {conv_seg.out_channels} class maps, '
                f'a CAM head {want} (num_classes={num_classes}'
                f'{" + background" if background else ""}); {guide}')
    if addon is not None:
        addon.check_head(name, background)
