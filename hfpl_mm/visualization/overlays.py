# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Overlays of images with CAMs and label maps."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from ..utils.atomic import atomic_write


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


def label_overlay(image: np.ndarray, label: np.ndarray,
                  palette: Sequence[Sequence[int]],
                  alpha: float = 0.5) -> np.ndarray:
    """RGB image blended with the palette colours of ``label``.

    Args:
        image (np.ndarray): RGB uint8 (H, W, 3).
        label (np.ndarray): Label map (H, W); 0 (background) is left
            unblended, 255 (ignore) is drawn white.
        palette (Sequence): RGB colour per class.
        alpha (float): Weight of the colours. Defaults to 0.5.

    Returns:
        np.ndarray: RGB uint8 (H, W, 3).
    """
    pal = np.zeros((256, 3), np.uint8)
    pal[:len(palette)] = np.asarray(palette, np.uint8)
    pal[255] = 255
    colour = pal[label]
    out = image.astype(np.float32)
    fg = label > 0
    out[fg] = out[fg] * (1 - alpha) + colour[fg] * alpha
    return out.astype(np.uint8)


def save_panel(tiles: Sequence[np.ndarray],
               path: str,
               titles: Optional[Sequence[str]] = None) -> str:
    """Write tiles side by side as one PNG (through a temporary file).

    Args:
        tiles (Sequence[np.ndarray]): RGB uint8 images, resized to the
            tallest one's height.
        path (str): The PNG to write.
        titles (Sequence[str], optional): A title drawn on each tile.

    Returns:
        str: ``path``.
    """
    h = max(t.shape[0] for t in tiles)
    row = []
    for i, t in enumerate(tiles):
        t = cv2.resize(t, (int(t.shape[1] * h / t.shape[0]), h))
        if titles:
            t = t.copy()
            cv2.putText(t, titles[i], (3, 14), cv2.FONT_HERSHEY_SIMPLEX,
                        0.45, (255, 255, 255), 1, cv2.LINE_AA)
        row.append(t)
    panel = np.concatenate(row, 1)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(panel[..., ::-1]))
    if not ok:
        raise IOError(f'{path}: PNG encoding failed')
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        f.write(buf.tobytes())
    return path
