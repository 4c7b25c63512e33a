# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Pixel-pair bookkeeping of AffinityNet: every pair (i, j) with
``j = i + (a, b)`` for an offset of one half-plane, so each unordered pair
is visited once and vectorised as two shifted slices."""
from typing import List, Tuple

Offset = Tuple[int, int]


def half_disk_offsets(radius: int) -> List[Offset]:
    """Offsets with ``0 < a^2 + b^2 < radius^2`` in one half-plane (a > 0,
    or a == 0 and b > 0); the other half mirrors them."""
    out = []
    for a in range(0, radius):
        for b in range(-radius + 1, radius):
            if (a > 0 or b > 0) and a * a + b * b < radius * radius:
                out.append((a, b))
    return out


def pair_slices(h: int, w: int, a: int, b: int, band: int = 0):
    """Slices ``((rows_i, cols_i), (rows_j, cols_j))`` of the pixel pairs of
    an h x w map with ``j = i + (a, b)``, ``a >= 0``.

    With ``band = 0`` every such pair inside the map. With ``band > 0``
    (PSA's AffinityNet convention, ``band = radius - 1``) only pairs whose
    "from" pixel i lies outside the border band: rows ``[0, h - band)`` and
    columns ``[band, w - band)``, the same set of i for every offset.
    """
    if band:
        if band < a or band < abs(b):
            raise ValueError(f'offset ({a}, {b}) reaches beyond the border '
                             f'band {band}')
        return ((slice(0, max(0, h - band)), slice(band, max(band, w - band))),
                (slice(a, max(a, h - band + a)),
                 slice(band + b, max(band + b, w - band + b))))
    c0, c1 = max(0, -b), min(w, w - b)
    return ((slice(0, h - a), slice(c0, c1)),
            (slice(a, h), slice(c0 + b, c1 + b)))
