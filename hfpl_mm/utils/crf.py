# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Fully connected CRF refinement (Kraehenbuehl and Koltun, NeurIPS 2011)
through ``pydensecrf2``, a maintained build of pydensecrf, with the
pairwise settings of the PSA / SEAM / HFPL reference code."""
from typing import Union

import numpy as np


def dense_crf(image: Union[str, np.ndarray],
              scores: np.ndarray,
              iterations: int = 10,
              gaussian_sxy: float = 3.0,
              gaussian_compat: float = 3.0,
              bilateral_sxy: float = 80.0,
              bilateral_srgb: float = 13.0,
              bilateral_compat: float = 10.0) -> np.ndarray:
    """Refine per-pixel class scores with a dense CRF; return labels.

    Args:
        image (str | np.ndarray): RGB uint8 image (H, W, 3) or its path.
        scores (np.ndarray): Non-negative scores (C, H, W); channels whose
            score is zero everywhere (absent classes) are left out of the
            CRF and can never be chosen.

    Returns:
        np.ndarray: uint8 label map (H, W) with the original channel indices.
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as e:  # pragma: no cover - dependency is in the lock
        raise ImportError('CRF needs pydensecrf2 (pip install pydensecrf2)'
                          ) from e
    if isinstance(image, str):
        import mmcv
        path = image
        image = mmcv.imread(path, channel_order='rgb')
        if image is None:
            raise IOError(f'{path}: cannot read image for the CRF')
    c, h, w = scores.shape
    if image.shape[:2] != (h, w):
        raise ValueError(f'image {image.shape[:2]} and scores {(h, w)} '
                         'differ in size')
    keep = np.nonzero(scores.reshape(c, -1).max(1) > 0)[0]
    if len(keep) == 1:
        return np.full((h, w), keep[0], np.uint8)
    probs = scores[keep].astype(np.float32) + 1e-8
    probs /= probs.sum(0, keepdims=True)
    d = dcrf.DenseCRF2D(w, h, len(keep))
    d.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(probs)))
    d.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    d.addPairwiseBilateral(
        sxy=bilateral_sxy,
        srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image.astype(np.uint8)),
        compat=bilateral_compat)
    q = np.array(d.inference(iterations)).reshape(len(keep), h, w)
    return keep[q.argmax(0)].astype(np.uint8)
