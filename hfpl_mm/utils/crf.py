# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Fully connected CRF refinement (Kraehenbuehl and Koltun, NeurIPS 2011)
through ``pydensecrf2``, a maintained build of pydensecrf, with the
pairwise settings of the PSA / SEAM / HFPL reference code."""
from typing import Union

import numpy as np


def dense_crf_probs(image: Union[str, np.ndarray],
                    scores: np.ndarray,
                    iterations: int = 10,
                    gaussian_sxy: float = 3.0,
                    gaussian_compat: float = 3.0,
                    bilateral_sxy: float = 80.0,
                    bilateral_srgb: float = 13.0,
                    bilateral_compat: float = 10.0) -> np.ndarray:
    """Dense-CRF marginals of per-pixel class scores.

    As the reference, the unary is ``-log(clip(score, 1e-5, 1))`` of the raw
    scores (no renormalisation), with a Gaussian (sxy 3, compat 3) and a
    bilateral (sxy 80, srgb 13, compat 10) kernel, 10 mean-field steps.

    Args:
        image (str | np.ndarray): RGB uint8 image (H, W, 3) or its path.
        scores (np.ndarray): Scores in [0, 1], (C, H, W); channels whose
            score is zero everywhere (absent classes) are left out of the
            CRF and get marginal 0.

    Returns:
        np.ndarray: float32 marginals (C, H, W).
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as e:  # pragma: no cover - dependency is in the lock
        raise ImportError('CRF needs pydensecrf2 (pip install pydensecrf2)'
                          ) from e
    if isinstance(image, str):
        from .image import read_image
        image = read_image(image, channel_order='rgb')
    c, h, w = scores.shape
    if image.shape[:2] != (h, w):
        raise ValueError(f'image {image.shape[:2]} and scores {(h, w)} '
                         'differ in size')
    out = np.zeros((c, h, w), np.float32)
    keep = np.nonzero(scores.reshape(c, -1).max(1) > 0)[0]
    if len(keep) == 1:
        out[keep[0]] = 1.0
        return out
    if len(keep) == 0:
        return out
    d = dcrf.DenseCRF2D(w, h, len(keep))
    unary = unary_from_softmax(scores[keep].astype(np.float32))
    d.setUnaryEnergy(np.ascontiguousarray(unary))
    d.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    d.addPairwiseBilateral(
        sxy=bilateral_sxy,
        srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image.astype(np.uint8)),
        compat=bilateral_compat)
    out[keep] = np.array(d.inference(iterations)).reshape(len(keep), h, w)
    return out


def dense_crf(image: Union[str, np.ndarray], scores: np.ndarray,
              **kwargs) -> np.ndarray:
    """The label map (uint8, original channel indices) of
    :func:`dense_crf_probs`; an absent channel is never chosen."""
    probs = dense_crf_probs(image, scores, **kwargs)
    if not probs.any():
        return np.zeros(probs.shape[1:], np.uint8)
    return probs.argmax(0).astype(np.uint8)
