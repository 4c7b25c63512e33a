# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The CAM-to-label rule of the package, written once.

Every path from normalised foreground CAM scores to a label map goes
through this module: the model's ``predict`` (:class:`CAMSegmentor`), the
threshold sweep of :class:`CAMThresholdSweepMetric` and of the CAM archives
(:func:`hfpl_mm.evaluation.sweep_cam_dir`), the pseudo-label folders written
from archives, and the background scores before the CRF and the random walk
(:mod:`hfpl_mm.apis.affinity`).

One rule, one name in each form: :func:`threshold_labels` on foreground
scores, :func:`archive_threshold_labels` on a CAM archive (class ids),
:func:`write_threshold_labels` on a folder of archives.

* ``'threshold'``: the background score is a constant t, so a pixel is
  background unless its best foreground score is **strictly** above t.
* ``'power'``: the background score is ``(1 - max_c fg_c) ** power``.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from .label_io import (list_stems, load_cam_archive, palette_bytes,
                       save_png_atomic)

#: Background score of the threshold rule: the reference writes its SEAM
#: pseudo-label PNGs at 0.26 (``infer_cam_voc.py --out_cam_pred_alpha``).
DEFAULT_BG_THRESHOLD = 0.26

#: Background power of the 'power' rule when a model's ``test_cfg`` does not
#: set one.
DEFAULT_BG_POWER = 16.0

#: The background-threshold grid of the reference's CAM evaluation
#: (0.00, 0.01, ..., 0.59); the one grid of the package.
BG_THRESHOLDS = tuple(round(i / 100, 2) for i in range(60))

BG_MODES = ('threshold', 'power')

ArrayLike = Union[Tensor, np.ndarray]


def _as_tensor(x: ArrayLike) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(
        x, np.ndarray) else x


def background_score(fg: ArrayLike,
                     bg_mode: str = 'threshold',
                     bg_threshold: float = DEFAULT_BG_THRESHOLD,
                     bg_power: float = DEFAULT_BG_POWER,
                     dim: int = 0) -> ArrayLike:
    """The background channel for foreground scores ``fg``.

    Args:
        fg (Tensor | np.ndarray): Foreground scores in [0, 1], classes along
            ``dim`` (the class axis may be empty: no foreground class).
        bg_mode (str): 'threshold' or 'power'. Defaults to 'threshold'.
        bg_threshold (float): The constant of 'threshold'.
            Defaults to :data:`DEFAULT_BG_THRESHOLD`.
        bg_power (float): The exponent of 'power'.
            Defaults to :data:`DEFAULT_BG_POWER`.
        dim (int): The class axis. Defaults to 0.

    Returns:
        Tensor | np.ndarray: Same type and dtype as ``fg``, size 1 along
        ``dim``.
    """
    is_np = isinstance(fg, np.ndarray)
    t = _as_tensor(fg)
    shape = list(t.shape)
    shape[dim] = 1
    if bg_mode == 'threshold':
        bg = t.new_full(shape, bg_threshold)
    elif bg_mode == 'power':
        peak = t.amax(dim, keepdim=True) if t.shape[dim] else t.new_zeros(
            shape)
        bg = (1 - peak).clamp(min=0)**bg_power
    else:
        raise ValueError(f'bg_mode must be one of {BG_MODES}, got '
                         f'{bg_mode!r}')
    return bg.numpy() if is_np else bg


def add_background(fg: ArrayLike,
                   bg_mode: str = 'threshold',
                   bg_threshold: float = DEFAULT_BG_THRESHOLD,
                   bg_power: float = DEFAULT_BG_POWER,
                   dim: int = 0) -> ArrayLike:
    """``fg`` with :func:`background_score` prepended along ``dim``: the
    argmax along ``dim`` is the label (0 background, c + 1 for foreground
    channel c). Arguments as :func:`background_score`."""
    bg = background_score(fg, bg_mode, bg_threshold, bg_power, dim)
    if isinstance(fg, np.ndarray):
        return np.concatenate([bg, fg], axis=dim)
    return torch.cat([bg, fg], dim=dim)


def threshold_labels(fg: ArrayLike,
                     thresholds: Sequence[float]) -> np.ndarray:
    """Label maps of the 'threshold' rule for many thresholds at once.

    Equal, for every t, to the argmax of ``add_background(fg, 'threshold',
    t)``, but with one argmax for the whole sweep.

    Args:
        fg (Tensor | np.ndarray): Foreground scores (C, H, W); C may be 0.
        thresholds (Sequence[float]): Background thresholds.

    Returns:
        np.ndarray: int64 labels (T, H, W): 0 background, c + 1 for
        foreground channel c.
    """
    fg = _as_tensor(fg)
    if fg.shape[0] == 0:
        return np.zeros((len(thresholds), ) + tuple(fg.shape[1:]), np.int64)
    peak, best = fg.max(0)
    peak, best = peak.cpu().numpy(), best.cpu().numpy() + 1
    return np.stack([np.where(peak > t, best, 0) for t in thresholds])


def archive_threshold_labels(archive: Dict[str, np.ndarray],
                             thresholds: Sequence[float]) -> np.ndarray:
    """Label maps (T, H, W) of a CAM archive for every threshold, with
    :func:`threshold_labels` (background unless the best present class
    scores above the threshold); class ids are 1 + the foreground index.

    Args:
        archive (dict): ``keys`` and ``cams`` of
            :func:`hfpl_mm.utils.label_io.load_cam_archive`.
        thresholds (Sequence[float]): Background thresholds.

    Returns:
        np.ndarray: uint8 label maps (T, H, W).
    """
    keys, cams = archive['keys'], archive['cams']
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    return lut[threshold_labels(cams, thresholds)]


def write_threshold_labels(cam_dir: str, label_dir: str, threshold: float,
                           palette: Sequence[Sequence[int]]) -> List[str]:
    """Write the label PNG of every CAM archive of ``cam_dir`` at
    ``threshold`` (:func:`archive_threshold_labels`) into ``label_dir``,
    each file atomically.

    Args:
        cam_dir (str): Folder of CAM archives.
        label_dir (str): Output folder (created).
        threshold (float): Background threshold.
        palette (Sequence): The dataset's palette.

    Returns:
        list[str]: The image stems written.
    """
    os.makedirs(label_dir, exist_ok=True)
    pal = palette_bytes(palette)
    stems = list_stems(cam_dir, '.npz')
    for stem in stems:
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        save_png_atomic(
            archive_threshold_labels(archive, [threshold])[0],
            osp.join(label_dir, stem + '.png'), pal)
    return stems
