# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet training labels from CRF score maps, pooled per feature-map
block after the geometric augmentation, as PSA / HFPL do."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

SCORE_KEY = 'gt_aff_scores'


def load_affinity_scores(path: str) -> Dict[str, np.ndarray]:
    """``keys`` (K,), ``la`` and ``ha`` (K + 1, H, W) float32 from an
    ``.npz`` written by ``tools/make_affinity_labels.py``; never unpickles.

    Raises:
        IOError: The file cannot be read as such an archive.
        ValueError: Its arrays do not fit together.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            keys, la, ha = z['keys'], z['la'], z['ha']
    except Exception as e:
        raise IOError(f'{path}: not an affinity score archive ({e})') from e
    if la.ndim != 3 or la.shape != ha.shape or len(la) != len(keys) + 1:
        raise ValueError(f'{path}: la {la.shape} / ha {ha.shape} do not fit '
                         f'{len(keys)} classes (K + 1 maps each)')
    return dict(
        keys=keys.astype(np.int64),
        la=la.astype(np.float32),
        ha=ha.astype(np.float32))


def affinity_label_from_scores(la: np.ndarray, ha: np.ndarray,
                               keys: np.ndarray) -> np.ndarray:
    """The reference's affinity label of (block-averaged) score maps: the
    class of ``argmax la`` where it is foreground, background where
    ``argmax ha`` is background, 255 (unsure) elsewhere and where no score
    reaches 1e-5 (padding). Class ids are 1 + the foreground index.

    Args:
        la (np.ndarray): (K + 1, h, w) background-heavy scores.
        ha (np.ndarray): (K + 1, h, w) background-light scores.
        keys (np.ndarray): The K foreground class indices (0-based).

    Returns:
        np.ndarray: uint8 label map (h, w).
    """
    lut = np.concatenate([[0], np.asarray(keys) + 1]).astype(np.uint8)
    low, high = la.argmax(0), ha.argmax(0)
    out = lut[low]
    out[low == 0] = 255
    out[high == 0] = 0
    out[np.maximum(la.max(0), ha.max(0)) < 1e-5] = 255
    return out


def block_mean(x: np.ndarray, stride: int) -> np.ndarray:
    """Mean of every ``stride x stride`` block of (H, W, C), zero-padded at
    the bottom and right to a multiple of ``stride``: (ceil(H/s),
    ceil(W/s), C)."""
    h, w, c = x.shape
    ph, pw = -(-h // stride) * stride, -(-w // stride) * stride
    padded = np.zeros((ph, pw, c), np.float32)
    padded[:h, :w] = x
    return padded.reshape(ph // stride, stride, pw // stride, stride,
                          c).mean((1, 3))


@TRANSFORMS.register_module()
class LoadAffinityScores(BaseTransform):
    """Load the ``la`` / ``ha`` CRF score maps of ``results['seg_map_path']``
    (an ``.npz`` of ``tools/make_affinity_labels.py``) as the seg field
    ``gt_aff_scores`` (H, W, 2K + 2), so mmseg's ``RandomCrop`` and
    ``RandomFlip`` transform them with the image. Place after the image
    loader; finish with :class:`AffinityLabelFromScores`.

    Required keys: ``img``, ``seg_map_path``. Added: ``gt_aff_scores``,
    ``aff_keys``, ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        arch = load_affinity_scores(path)
        if arch['la'].shape[1:] != results['img'].shape[:2]:
            raise ValueError(
                f'{path}: score maps of {arch["la"].shape[1:]} but image '
                f'{results.get("img_path")} is {results["img"].shape[:2]}')
        results[SCORE_KEY] = np.ascontiguousarray(
            np.concatenate([arch['la'], arch['ha']]).transpose(1, 2, 0))
        results['aff_keys'] = arch['keys']
        results.setdefault('seg_fields', []).append(SCORE_KEY)
        return results


@TRANSFORMS.register_module()
class AffinityLabelFromScores(BaseTransform):
    """Affinity label of the (cropped, flipped) score maps, as the
    reference: average-pool ``la`` and ``ha`` per ``stride x stride`` block
    (zero-padded), then :func:`affinity_label_from_scores`. The label is
    written back at image resolution as constant blocks (``gt_seg_map``), so
    padding and packing work unchanged; :class:`AffinityNet` reads one pixel
    per block.

    Args:
        stride (int): The backbone's output stride. Defaults to 8.
    """

    def __init__(self, stride: int = 8) -> None:
        self.stride = stride

    def transform(self, results: dict) -> dict:
        scores = results.pop(SCORE_KEY)
        results['seg_fields'] = [
            k for k in results.get('seg_fields', []) if k != SCORE_KEY
        ]
        h, w = scores.shape[:2]
        pooled = block_mean(scores, self.stride).transpose(2, 0, 1)
        la, ha = np.split(pooled, 2)
        label = affinity_label_from_scores(la, ha, results.pop('aff_keys'))
        s = self.stride
        results['gt_seg_map'] = np.ascontiguousarray(
            label.repeat(s, 0).repeat(s, 1)[:h, :w])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(stride={self.stride})'
