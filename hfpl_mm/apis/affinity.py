# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet stage 2: affinity training labels from CAMs, and random-walk
refinement of CAMs with a trained AffinityNet."""
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch

from ..datasets.transforms.affinity import affinity_label_from_scores
from ..utils.atomic import folder_lock
from ..utils.cam_labels import add_background
from ..utils.crf import dense_crf_probs
from ..utils.image import read_image
from ..utils.label_folder import LOCK, claim_out_dir, file_digest
from ..utils.label_io import (list_stems, load_cam_archive, palette_bytes,
                              save_npz_atomic, save_png_atomic)
from ..utils.progress import ProgressLine


#: The reference's background powers: CRF scores of ``(1 - max) ** 1``
#: (background-heavy, "la") and ``(1 - max) ** 24`` (background-light, "ha")
#: for AffinityNet labels, and ``(1 - max) ** 6`` before the random walk.
AFFINITY_ALPHAS = (1.0, 24.0)
RANDOM_WALK_BG_POWER = 6.0


def power_scores(archive: Dict[str, np.ndarray], alpha: float) -> np.ndarray:
    """(K + 1, H, W) scores: background ``(1 - max fg) ** alpha`` first
    (the 'power' rule of :mod:`hfpl_mm.utils.cam_labels`), then the
    archive's present classes."""
    return add_background(archive['cams'], 'power', bg_power=alpha)


def confident_scores(archive: Dict[str, np.ndarray],
                     image: Optional[np.ndarray],
                     alpha_low: float = AFFINITY_ALPHAS[0],
                     alpha_high: float = AFFINITY_ALPHAS[1],
                     crf: bool = True) -> Dict[str, np.ndarray]:
    """The two score maps AffinityNet labels come from, as the reference:
    dense-CRF marginals of :func:`power_scores` with the background-heavy
    ``alpha_low`` ("la") and the background-light ``alpha_high`` ("ha").

    Args:
        archive (dict): ``keys`` and ``cams`` of a CAM archive.
        image (np.ndarray, optional): RGB uint8 image, for the CRF.
        alpha_low (float): Defaults to 1.
        alpha_high (float): Defaults to 24.
        crf (bool): Without it, the power scores themselves.
            Defaults to True.

    Returns:
        dict: ``la`` and ``ha``, float32 (K + 1, H, W), background first.
    """
    out = {}
    for name, alpha in (('la', alpha_low), ('ha', alpha_high)):
        scores = power_scores(archive, alpha)
        if crf and image is not None and len(archive['keys']):
            scores = dense_crf_probs(image, scores)
        out[name] = scores.astype(np.float32)
    return out


def confident_labels(archive: Dict[str, np.ndarray],
                     image: Optional[np.ndarray],
                     alpha_low: float = AFFINITY_ALPHAS[0],
                     alpha_high: float = AFFINITY_ALPHAS[1],
                     crf: bool = True) -> np.ndarray:
    """Full-resolution affinity label of :func:`confident_scores` (for
    inspection; training pools the scores per block first).

    Args:
        archive (dict): ``keys`` and ``cams`` of a CAM archive.
        image (np.ndarray, optional): RGB uint8 image, for the CRF.
        alpha_low (float): Defaults to 1.
        alpha_high (float): Defaults to 24.
        crf (bool): Defaults to True.

    Returns:
        np.ndarray: uint8 labels (H, W): confident classes, 255 elsewhere.
    """
    scores = confident_scores(archive, image, alpha_low, alpha_high, crf)
    return affinity_label_from_scores(scores['la'], scores['ha'],
                                      archive['keys'])


def save_affinity_scores(path: str, keys: np.ndarray, la: np.ndarray,
                         ha: np.ndarray) -> None:
    """Write ``keys``, ``la`` and ``ha`` (float16) to ``path`` (.npz)
    through a temporary file renamed into place.

    Args:
        path (str): The archive to write.
        keys (np.ndarray): Foreground class indices (0-based) present.
        la (np.ndarray): Background-heavy scores (K + 1, H, W).
        ha (np.ndarray): Background-light scores (K + 1, H, W).
    """
    save_npz_atomic(
        path,
        keys=np.asarray(keys, np.int64),
        la=la.astype(np.float16),
        ha=ha.astype(np.float16))


def make_affinity_labels(cam_dir: str,
                         img_dir: str,
                         out_dir: str,
                         alpha_low: float = AFFINITY_ALPHAS[0],
                         alpha_high: float = AFFINITY_ALPHAS[1],
                         crf: bool = True,
                         img_suffix: str = '.jpg',
                         overwrite: bool = False) -> int:
    """Write the affinity score maps of every CAM archive.

    Args:
        cam_dir (str): Folder of CAM archives (``make_pseudo_labels.py
            --save-cams``).
        img_dir (str): Folder of the images, for the CRF.
        out_dir (str): Output folder: one ``<stem>.npz`` (``keys``, ``la``,
            ``ha``) per image, read by :class:`AffinityLabelDataset`.
        alpha_low (float): Defaults to 1 (reference).
        alpha_high (float): Defaults to 24 (reference).
        crf (bool): Defaults to True.
        img_suffix (str): Defaults to '.jpg'.
        overwrite (bool): Replace another run's files in ``out_dir``
            (:func:`claim_out_dir`; a folder of another tool is refused).
            Defaults to False.

    Returns:
        int: The number of files written.
    """
    settings = dict(cam_dir=osp.abspath(cam_dir), img_dir=osp.abspath(img_dir),
                    alpha_low=alpha_low, alpha_high=alpha_high, crf=crf,
                    img_suffix=img_suffix)
    with folder_lock(out_dir, LOCK):
        claim_out_dir(out_dir, settings, overwrite,
                      tool='make_affinity_labels')
        return _write_affinity_labels(cam_dir, img_dir, out_dir, alpha_low,
                                      alpha_high, crf, img_suffix)


def _write_affinity_labels(cam_dir: str, img_dir: str, out_dir: str,
                           alpha_low: float, alpha_high: float, crf: bool,
                           img_suffix: str) -> int:
    """The body of :func:`make_affinity_labels` (under its lock)."""
    stems = list_stems(cam_dir, '.npz')
    bar = ProgressLine(len(stems))
    for stem in stems:
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        path = osp.join(img_dir, stem + img_suffix)
        image = read_image(path, channel_order='rgb')
        if image.shape[:2] != archive['cams'].shape[1:]:
            raise ValueError(f'{path} is {image.shape[:2]} but its CAMs are '
                             f'{archive["cams"].shape[1:]}')
        scores = confident_scores(archive, image, alpha_low, alpha_high, crf)
        save_affinity_scores(
            osp.join(out_dir, stem + '.npz'), archive['keys'], scores['la'],
            scores['ha'])
        bar.update()
    bar.close()
    return len(stems)


@torch.no_grad()
def refine_with_random_walk(model,
                            cam_dir: str,
                            img_dir: str,
                            out_dir: str,
                            palette,
                            bg_power: float = RANDOM_WALK_BG_POWER,
                            img_suffix: str = '.jpg',
                            resume: bool = False,
                            overwrite: bool = False,
                            settings: Optional[dict] = None
                            ) -> Dict[str, int]:
    """Random-walk refinement of every CAM archive in ``cam_dir``.

    Args:
        model (AffinityNet): A trained AffinityNet.
        cam_dir (str): Folder of CAM archives.
        img_dir (str): Folder of the images.
        out_dir (str): Where the label PNGs go.
        palette (Sequence): The dataset's palette.
        bg_power (float): Background ``(1 - max fg) ** bg_power`` before
            the walk. Defaults to 6 (reference).
        img_suffix (str): Defaults to '.jpg'.
        resume (bool): Skip images whose PNG exists; only in a folder of the
            same run (same settings, inputs and checkpoint content), else
            refused. Defaults to False.
        overwrite (bool): Replace another run's files in ``out_dir``; a
            folder of another tool (stage 2's labels) is always refused
            (:func:`claim_out_dir`). Defaults to False.
        settings (dict, optional): The caller's settings for the folder's
            manifest (``config``, ``checkpoint``: its content digest is
            added). Defaults to None.

    Returns:
        dict: ``written`` and ``skipped`` counts.
    """
    run = dict(settings or {})
    run.update(cam_dir=osp.abspath(cam_dir), img_dir=osp.abspath(img_dir),
               bg_power=bg_power, img_suffix=img_suffix,
               test_cfg=dict(sorted(model.test_cfg.items())))
    if run.get('checkpoint') and osp.isfile(run['checkpoint']):
        run['checkpoint_sha256'] = file_digest(run['checkpoint'])
    with folder_lock(out_dir, LOCK):
        claim_out_dir(out_dir, run, overwrite, tool='refine_random_walk')
        return _random_walk_labels(model, cam_dir, img_dir, out_dir,
                                   palette, bg_power, img_suffix, resume)


def _random_walk_labels(model, cam_dir: str, img_dir: str, out_dir: str,
                        palette, bg_power: float, img_suffix: str,
                        resume: bool) -> Dict[str, int]:
    """The body of :func:`refine_with_random_walk` (under its lock)."""
    pal = palette_bytes(palette)
    device = next(model.parameters()).device
    counts = dict(written=0, skipped=0)
    stems = list_stems(cam_dir, '.npz')
    bar = ProgressLine(len(stems))
    for stem in stems:
        out = osp.join(out_dir, stem + '.png')
        if resume and osp.exists(out):
            counts['skipped'] += 1
            bar.update()
            continue
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        path = osp.join(img_dir, stem + img_suffix)
        image = read_image(path)  # BGR, as the data preprocessor expects
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
    bar.close()
    return counts
