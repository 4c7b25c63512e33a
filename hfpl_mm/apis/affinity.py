# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet stage 2: affinity training labels from CAMs, and random-walk
refinement of CAMs with a trained AffinityNet."""
import os
import os.path as osp
from typing import Dict, Optional

import mmcv
import numpy as np
import torch
from mmengine.utils import ProgressBar

from ..utils.crf import dense_crf
from .evaluate import list_stems, load_cam_archive
from .pseudo_labels import palette_bytes, save_png_atomic


def power_scores(archive: Dict[str, np.ndarray], alpha: float) -> np.ndarray:
    """(K + 1, H, W) scores: background ``(1 - max fg) ** alpha`` first,
    then the archive's present classes."""
    cams = archive['cams']
    peak = cams.max(0, keepdims=True) if len(cams) else np.zeros(
        (1, ) + cams.shape[1:], np.float32)
    return np.concatenate([(1 - peak).clip(0)**alpha, cams], 0)


def confident_labels(archive: Dict[str, np.ndarray],
                     image: Optional[np.ndarray],
                     alpha_low: float = 4.0,
                     alpha_high: float = 32.0,
                     crf: bool = True) -> np.ndarray:
    """Affinity training label: foreground where the background-heavy
    ``alpha_low`` scores still pick a class, background where the
    background-light ``alpha_high`` scores still pick background, 255
    (ignore) in between. Class ids are 1 + the foreground index."""
    keys = archive['keys']
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)

    def labels(alpha):
        scores = power_scores(archive, alpha)
        if crf and image is not None and len(keys):
            return dense_crf(image, scores)
        return scores.argmax(0).astype(np.uint8)

    low, high = labels(alpha_low), labels(alpha_high)
    out = np.full(low.shape, 255, np.uint8)
    out[low > 0] = lut[low[low > 0]]
    out[high == 0] = 0
    return out


def make_affinity_labels(cam_dir: str,
                         img_dir: str,
                         out_dir: str,
                         palette,
                         alpha_low: float = 4.0,
                         alpha_high: float = 32.0,
                         crf: bool = True,
                         img_suffix: str = '.jpg') -> int:
    """Write one affinity label PNG per CAM archive; return the count."""
    os.makedirs(out_dir, exist_ok=True)
    pal = palette_bytes(palette)
    stems = list_stems(cam_dir, '.npz')
    bar = ProgressBar(len(stems))
    for stem in stems:
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        image = None
        if crf:
            path = osp.join(img_dir, stem + img_suffix)
            image = mmcv.imread(path, channel_order='rgb')
            if image is None:
                raise IOError(f'{path}: cannot read image')
        save_png_atomic(
            confident_labels(archive, image, alpha_low, alpha_high, crf),
            osp.join(out_dir, stem + '.png'), pal)
        bar.update()
    return len(stems)


@torch.no_grad()
def refine_with_random_walk(model,
                            cam_dir: str,
                            img_dir: str,
                            out_dir: str,
                            palette,
                            bg_power: float = 16.0,
                            img_suffix: str = '.jpg',
                            resume: bool = False) -> Dict[str, int]:
    """Random-walk refinement of every CAM archive in ``cam_dir``; writes
    label PNGs to ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    pal = palette_bytes(palette)
    device = next(model.parameters()).device
    counts = dict(written=0, skipped=0)
    stems = list_stems(cam_dir, '.npz')
    bar = ProgressBar(len(stems))
    for stem in stems:
        out = osp.join(out_dir, stem + '.png')
        if resume and osp.exists(out):
            counts['skipped'] += 1
            bar.update()
            continue
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        path = osp.join(img_dir, stem + img_suffix)
        image = mmcv.imread(path)  # BGR, as the data preprocessor expects
        if image is None:
            raise IOError(f'{path}: cannot read image')
        if image.shape[:2] != archive['cams'].shape[1:]:
            raise ValueError(f'{path} is {image.shape[:2]} but its CAMs are '
                             f'{archive["cams"].shape[1:]}')
        data = model.data_preprocessor(
            dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)]), False)
        scores = torch.from_numpy(power_scores(archive, bg_power)).to(device)
        refined = model.refine(data['inputs'].to(device), scores)
        lut = np.concatenate([[0], archive['keys'] + 1]).astype(np.uint8)
        save_png_atomic(lut[refined.argmax(0).cpu().numpy()], out, pal)
        counts['written'] += 1
        bar.update()
    return counts
