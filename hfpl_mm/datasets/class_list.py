# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Datasets for any class list, with mmseg's convention
``metainfo=dict(classes=..., palette=...)``."""
from typing import List, Optional

from mmengine.logging import print_log


def voc_colour_map(n: int) -> List[List[int]]:
    """The VOC bit-interleaving colour map of ``n`` colours (background
    black, then VOC's colours; distinct for up to 256 classes)."""
    palette = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette.append([r, g, b])
    return palette


def _own_classes(cls, metainfo) -> Optional[tuple]:
    """The class list of ``metainfo`` when it is not a subset of the
    dataset's own (mmseg remaps a subset; another list stands alone)."""
    own = metainfo.get('classes') if isinstance(metainfo, dict) else None
    if own is None:
        return None
    base = (cls.METAINFO or {}).get('classes')
    if base is not None and set(own) <= set(base):
        return None
    return tuple(own)


class ClassListMixin:
    """Lets a dataset take any class list through ``metainfo``.

    mmseg accepts only a subset of a dataset's own classes (and remaps the
    GT to it). With this mixin a list that is not a subset stands alone:
    the label values are indices into it, background first; ``palette``
    defaults to the VOC colour map of its length. A subset keeps mmseg's
    behaviour.
    """

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        own = _own_classes(cls, metainfo)
        if own is None:
            return super()._load_metainfo(metainfo)
        name = cls.__name__
        if len(own) < 2 or len(set(own)) != len(own):
            raise ValueError(f'{name}: metainfo classes {list(own)} must be '
                             'distinct names, background first, then at '
                             'least one foreground class')
        if own[0].lower() not in ('background', 'bg', '_background_'):
            raise ValueError(
                f'{name}: metainfo classes must list the background first '
                f"(label 0), e.g. ('background', {own[0]!r}, ...); got "
                f'{list(own)}')
        meta = dict(metainfo)
        palette = meta.get('palette')
        if palette is None:
            palette = voc_colour_map(len(own))
            print_log(f'{name}: no palette in metainfo; the VOC colour map '
                      f'of {len(own)} classes is used', logger='current')
        if len(palette) != len(own) or any(
                len(c) != 3 or not all(0 <= int(v) <= 255 for v in c)
                for c in palette):
            raise ValueError(f'{name}: metainfo palette must hold one RGB '
                             f'triple in 0..255 per class ({len(own)}), got '
                             f'{len(palette)} entries')
        meta.update(classes=own, palette=[[int(v) for v in c]
                                          for c in palette])
        return meta

    @classmethod
    def get_label_map(cls, new_classes=None):
        base = (cls.METAINFO or {}).get('classes')
        if new_classes is not None and (
                base is None or not set(new_classes) <= set(base)):
            return None  # a class list of its own: no remapping
        return super().get_label_map(new_classes)
