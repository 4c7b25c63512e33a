# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Reading and writing the package's label files: label PNGs (palette or
grey), CAM archives (``.npz`` of ``keys`` and ``cams``), each written
through a temporary file renamed into place. Nothing is unpickled."""
import glob
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from PIL import Image

from .atomic import atomic_write


def load_label_png(path: str) -> np.ndarray:
    """A label map from a palette (P) or grey (L) PNG, with clear errors."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    try:
        img = Image.open(path)
        img.load()
    except Exception as e:
        raise IOError(f'{path}: cannot read PNG ({e})') from e
    if img.mode not in ('P', 'L', 'I;16', 'I'):
        raise ValueError(f'{path}: mode {img.mode} is not a label map '
                         '(expected a palette or greyscale PNG)')
    return np.array(img).astype(np.int64)


def list_stems(folder: str, ext: str) -> List[str]:
    """Sorted file stems of ``folder/*<ext>``; an error when there are
    none."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: no such folder')
    stems = sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(folder, '*' + ext)))
    if not stems:
        raise ValueError(f'{folder}: no *{ext} files')
    return stems


def palette_bytes(palette: Sequence[Sequence[int]]) -> list:
    flat = [int(v) for rgb in palette for v in rgb]
    return flat + [224, 224, 192] * (256 - len(palette))


def save_png_atomic(label: np.ndarray, path: str, palette: list) -> None:
    """Write a palette PNG through a hidden temporary file renamed into
    place (:func:`atomic_write`).

    Args:
        label (np.ndarray): Label map (H, W), values 0..255.
        path (str): The PNG to write.
        palette (list): Flat 768-value palette (:func:`palette_bytes`).
    """
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(palette)
    with atomic_write(path) as tmp:
        img.save(tmp, format='PNG')


def save_npz_atomic(path: str, **arrays) -> None:
    """Write a compressed ``.npz`` through a hidden temporary file."""
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        np.savez_compressed(f, **arrays)


def load_cam_archive(path: str) -> Dict[str, np.ndarray]:
    """``keys`` (foreground class indices, 0-based) and ``cams`` (K, H, W)
    from a ``.npz`` written by ``make_pseudo_labels.py --save-cams``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            keys, cams = z['keys'], z['cams'].astype(np.float32)
    except Exception as e:
        raise IOError(f'{path}: not a CAM archive ({e})') from e
    if cams.ndim != 3 or len(keys) != len(cams):
        raise ValueError(f'{path}: cams {cams.shape} do not match keys '
                         f'{keys.shape}')
    return dict(keys=keys, cams=cams)
