# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Overlays of images with CAMs and label maps, and panels of titled tiles
with a colour legend, readable at a glance: the photo is muted so the class
colours stand out, labels get an outline, titles sit on a banner above each
tile (not on the busy image), small tiles are enlarged."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..utils.atomic import atomic_write

#: The banner and text colours of titles and the legend (RGB).
BANNER = (245, 245, 245)
INK = (20, 20, 20)
#: Colour of the ignore value (255) in label overlays.
IGNORE_COLOUR = (255, 255, 255)
#: Tiles lower than this are enlarged for a panel (nearest neighbour).
MIN_TILE_HEIGHT = 192

LegendItem = Tuple[str, Sequence[int]]


def muted(image: np.ndarray, amount: float = 0.5) -> np.ndarray:
    """``image`` blended towards its grey version and lightened, so that
    colours drawn over it stand out.

    Args:
        image (np.ndarray): RGB uint8 (H, W, 3).
        amount (float): 0 keeps the image, 1 gives the light grey version.
            Defaults to 0.5.

    Returns:
        np.ndarray: float32 RGB (H, W, 3).
    """
    img = image.astype(np.float32)
    grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
    light = 0.6 * grey[..., None] + 0.4 * 255
    return img * (1 - amount) + light * amount


def cam_heatmap(image: np.ndarray, cam: np.ndarray,
                alpha: float = 0.5) -> np.ndarray:
    """RGB image blended with a JET heat-map of ``cam``.

    Args:
        image (np.ndarray): RGB uint8 (H, W, 3).
        cam (np.ndarray): Scores (H, W), clipped to [0, 1].
        alpha (float): Weight of the heat-map. Defaults to 0.5.

    Returns:
        np.ndarray: RGB uint8 (H, W, 3).
    """
    heat = cv2.applyColorMap((np.clip(cam, 0, 1) * 255).astype(np.uint8),
                             cv2.COLORMAP_JET)[..., ::-1]
    return (image * (1 - alpha) + heat * alpha).astype(np.uint8)


def label_overlay(image: np.ndarray,
                  label: np.ndarray,
                  palette: Sequence[Sequence[int]],
                  alpha: float = 0.6,
                  outline: bool = True) -> np.ndarray:
    """The palette colours of ``label`` over a muted copy of ``image``.

    Args:
        image (np.ndarray): RGB uint8 (H, W, 3).
        label (np.ndarray): Label map (H, W); 0 (background) shows the muted
            image, 255 (ignore) is drawn white.
        palette (Sequence): RGB colour per class.
        alpha (float): Weight of the colours. Defaults to 0.6.
        outline (bool): Draw each region's boundary in its full colour.
            Defaults to True.

    Returns:
        np.ndarray: RGB uint8 (H, W, 3).
    """
    pal = np.zeros((256, 3), np.uint8)
    pal[:len(palette)] = np.asarray(palette, np.uint8)
    pal[255] = IGNORE_COLOUR
    colour = pal[label].astype(np.float32)
    out = muted(image)
    fg = label > 0
    out[fg] = out[fg] * (1 - alpha) + colour[fg] * alpha
    if outline:
        # a pixel whose 4-neighbour has another label lies on a boundary
        edge = np.zeros(label.shape, bool)
        edge[:-1] |= label[:-1] != label[1:]
        edge[1:] |= label[1:] != label[:-1]
        edge[:, :-1] |= label[:, :-1] != label[:, 1:]
        edge[:, 1:] |= label[:, 1:] != label[:, :-1]
        edge &= fg
        out[edge] = colour[edge]
    return np.clip(out, 0, 255).astype(np.uint8)


def legend_items(labels: Sequence[int], classes: Sequence[str],
                 palette: Sequence[Sequence[int]]) -> List[LegendItem]:
    """(name, colour) of the foreground classes among ``labels`` (and
    'ignore' for 255), in class order.

    Args:
        labels (Sequence[int]): Label values shown (e.g. ``np.unique`` of
            the label maps).
        classes (Sequence[str]): Class names, background first.
        palette (Sequence): RGB colour per class.

    Returns:
        list[tuple]: Legend items for :func:`compose_panel`.
    """
    values = sorted({int(v) for v in labels})
    items = [(classes[v], tuple(palette[v])) for v in values
             if 0 < v < len(classes)]
    if 255 in values:
        items.append(('ignore', IGNORE_COLOUR))
    return items


def _font(height: int) -> Tuple[float, int, int]:
    """(font scale, thickness, banner height) for tiles of ``height``."""
    scale = float(np.clip(height / 360, 0.5, 1.2))
    thickness = 1 if scale < 0.9 else 2
    (_, text_h), base = cv2.getTextSize('Ag', cv2.FONT_HERSHEY_SIMPLEX,
                                        scale, thickness)
    return scale, thickness, text_h + base + 10


def _fit(text: str, width: int, scale: float, thickness: int) -> str:
    """``text`` shortened with '...' to fit ``width`` pixels."""
    def w(t):
        return cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale,
                               thickness)[0][0]

    if w(text) <= width:
        return text
    while len(text) > 1 and w(text + '...') > width:
        text = text[:-1]
    return text + '...'


def _banner(width: int, height: int, text: str, scale: float,
            thickness: int) -> np.ndarray:
    bar = np.full((height, width, 3), BANNER, np.uint8)
    # a long title is set smaller (down to 60 %) before it is shortened
    small = scale
    while small > 0.6 * scale and cv2.getTextSize(
            text, cv2.FONT_HERSHEY_SIMPLEX, small,
            thickness)[0][0] > width - 8:
        small *= 0.9
    scale = small
    text = _fit(text, width - 8, scale, thickness)
    (_, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                        scale, thickness)
    cv2.putText(bar, text, (4, (height + text_h) // 2 - base // 2 + 1),
                cv2.FONT_HERSHEY_SIMPLEX, scale, INK, thickness, cv2.LINE_AA)
    return bar


def _legend(width: int, items: Sequence[LegendItem], scale: float,
            thickness: int, line_h: int) -> np.ndarray:
    """Rows of colour squares with their names, wrapped to ``width``."""
    box = line_h - 10
    rows, row, x = [], [], 6
    for name, colour in items:
        text_w = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale,
                                 thickness)[0][0]
        need = box + 6 + text_w + 16
        if row and x + need > width:
            rows.append(row)
            row, x = [], 6
        row.append((x, name, colour))
        x += need
    if row:
        rows.append(row)
    out = np.full((line_h * len(rows) + 4, width, 3), BANNER, np.uint8)
    for r, entries in enumerate(rows):
        top = r * line_h + 5
        for x, name, colour in entries:
            cv2.rectangle(out, (x, top), (x + box, top + box),
                          tuple(int(c) for c in colour), -1)
            cv2.rectangle(out, (x, top), (x + box, top + box), INK, 1)
            cv2.putText(out, _fit(name, width - x - box - 8, scale,
                                  thickness), (x + box + 6, top + box - 1),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, INK, thickness,
                        cv2.LINE_AA)
    return out


def compose_panel(tiles: Sequence[np.ndarray],
                  titles: Optional[Sequence[str]] = None,
                  legend: Optional[Sequence[LegendItem]] = None,
                  min_height: int = MIN_TILE_HEIGHT) -> np.ndarray:
    """Tiles side by side, each under a title banner, with an optional
    colour legend below.

    Tiles are brought to one height, at least ``min_height`` (an integer
    factor with nearest-neighbour sampling where a tile is enlarged, so
    pixels stay sharp), and separated by a 4-pixel light gap.

    Args:
        tiles (Sequence[np.ndarray]): RGB uint8 images.
        titles (Sequence[str], optional): One per tile.
        legend (Sequence[tuple], optional): (name, RGB colour) items
            (:func:`legend_items`).
        min_height (int): Smallest tile height. Defaults to
            :data:`MIN_TILE_HEIGHT`.

    Returns:
        np.ndarray: RGB uint8 panel.
    """
    if titles is not None and len(titles) != len(tiles):
        raise ValueError(f'{len(titles)} titles for {len(tiles)} tiles')
    h = max(t.shape[0] for t in tiles)
    if h < min_height:
        h *= int(np.ceil(min_height / h))
    scale, thickness, bar_h = _font(h)
    gap = np.full((h + (bar_h if titles else 0), 4, 3), BANNER, np.uint8)
    row = []
    for i, t in enumerate(tiles):
        w = int(round(t.shape[1] * h / t.shape[0]))
        interp = cv2.INTER_NEAREST if h > t.shape[0] else cv2.INTER_AREA
        t = cv2.resize(t, (w, h), interpolation=interp)
        if titles:
            t = np.concatenate(
                [_banner(w, bar_h, titles[i], scale, thickness), t], 0)
        row += [gap, t] if row else [t]
    panel = np.concatenate(row, 1)
    if legend:
        panel = np.concatenate(
            [panel, _legend(panel.shape[1], legend, scale, thickness,
                            bar_h)], 0)
    return panel


def save_panel(tiles: Sequence[np.ndarray],
               path: str,
               titles: Optional[Sequence[str]] = None,
               legend: Optional[Sequence[LegendItem]] = None) -> str:
    """Write :func:`compose_panel` as one PNG (through a temporary file).

    Args:
        tiles (Sequence[np.ndarray]): RGB uint8 images.
        path (str): The PNG to write.
        titles (Sequence[str], optional): A title per tile.
        legend (Sequence[tuple], optional): (name, RGB colour) items.

    Returns:
        str: ``path``.
    """
    panel = compose_panel(tiles, titles, legend)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(panel[..., ::-1]))
    if not ok:
        raise IOError(f'{path}: PNG encoding failed')
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        f.write(buf.tobytes())
    return path
