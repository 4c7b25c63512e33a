# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Array-level evaluation: confusion matrices, IoU and the contour F-score.

The contour F-score is the boundary F-measure of the DAVIS benchmark
(Perazzi et al., CVPR 2016): boundaries of the predicted and GT masks are
matched within a tolerance of ``bound_th`` times the image diagonal
(``ceil``, in pixels) using a disk-shaped dilation.
"""
import math
from typing import Dict, Iterable, Optional, Tuple

import cv2
import numpy as np


def confusion_matrix(pred: np.ndarray,
                     gt: np.ndarray,
                     num_classes: int,
                     ignore_index: int = 255) -> np.ndarray:
    """(num_classes, num_classes) counts, rows GT, columns prediction;
    pixels whose GT is ``ignore_index`` are skipped."""
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and GT {gt.shape} differ '
                         'in size')
    valid = gt != ignore_index
    g = gt[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    bad = (g < 0) | (g >= num_classes) | (p < 0) | (p >= num_classes)
    if bad.any():
        raise ValueError(f'labels outside [0, {num_classes}) found: GT '
                         f'{np.unique(g[bad]).tolist()} / prediction '
                         f'{np.unique(p[bad]).tolist()}')
    return np.bincount(
        g * num_classes + p, minlength=num_classes**2).reshape(
            num_classes, num_classes)


def iou_from_confusion(conf: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-class IoU, precision and recall (NaN where undefined)."""
    tp = np.diag(conf).astype(np.float64)
    gt = conf.sum(1).astype(np.float64)
    pr = conf.sum(0).astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = tp / (gt + pr - tp)
        precision = tp / pr
        recall = tp / gt
    return dict(iou=iou, precision=precision, recall=recall)


def mask_boundary(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary of a binary mask: pixels that differ from their
    east, south or south-east neighbour (the image border counts as
    background only through these neighbour relations)."""
    seg = mask.astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    se = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ east) | (seg ^ south) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ east[-1, :]
    b[:, -1] = seg[:, -1] ^ south[:, -1]
    b[-1, -1] = False
    return b


def tolerance_pixels(shape: Tuple[int, int], bound_th: float = 0.008) -> int:
    """Match tolerance: ``bound_th`` pixels if >= 1, else
    ``ceil(bound_th * diagonal)``."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(*shape)))


def _dilate(b: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return b
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                     (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(b.astype(np.uint8), disk).astype(bool)


def boundary_counts(pred: np.ndarray,
                    gt: np.ndarray,
                    bound_th: float = 0.008) -> Tuple[int, int, int, int]:
    """(matched pred boundary, pred boundary, matched GT boundary, GT
    boundary) pixel counts of two binary masks."""
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and GT {gt.shape} differ '
                         'in size')
    r = tolerance_pixels(gt.shape, bound_th)
    bp, bg = mask_boundary(pred), mask_boundary(gt)
    return (int((bp & _dilate(bg, r)).sum()), int(bp.sum()),
            int((bg & _dilate(bp, r)).sum()), int(bg.sum()))


def precision_recall_f(counts: Iterable[int]) -> Tuple[float, float, float]:
    """DAVIS conventions: no boundary on both sides scores 1; boundary on
    one side only scores 0 for the other side's measure."""
    mp, np_, mg, ng = counts
    if np_ == 0 and ng == 0:
        return 1.0, 1.0, 1.0
    if np_ == 0:
        return 1.0, 0.0, 0.0
    if ng == 0:
        return 0.0, 1.0, 0.0
    p, r = mp / np_, mg / ng
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return p, r, f


def boundary_f_measure(pred: np.ndarray,
                       gt: np.ndarray,
                       bound_th: float = 0.008) -> float:
    """DAVIS boundary F-measure of two binary masks."""
    return precision_recall_f(boundary_counts(pred, gt, bound_th))[2]


def fill_ignore(label: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Give every ``ignore_index`` pixel the label of the nearest labelled
    pixel (Euclidean). VOC's 5-pixel ignore band straddles object edges, so
    this puts the edge in the band's middle instead of at its inner border.
    """
    holes = label == ignore_index
    if not holes.any() or holes.all():
        return label
    from scipy.ndimage import distance_transform_edt
    _, (rows, cols) = distance_transform_edt(holes, return_indices=True)
    return label[rows, cols]


def contour_f_per_class(pred: np.ndarray,
                        gt: np.ndarray,
                        num_classes: int,
                        ignore_index: int = 255,
                        bound_th: float = 0.008,
                        classes: Optional[Iterable[int]] = None
                        ) -> Dict[int, Tuple[float, float, float]]:
    """(precision, recall, F) of every class present in the GT or the
    prediction of one label map. Ignored pixels of either map (VOC's
    boundary band) first take the class of their nearest labelled pixel
    (:func:`fill_ignore`), so the GT edge lies in the band's middle."""
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and GT {gt.shape} differ '
                         'in size')
    pred = fill_ignore(pred, ignore_index)
    gt = fill_ignore(gt, ignore_index)
    if classes is None:
        present = set(np.unique(gt).tolist()) | set(np.unique(pred).tolist())
        classes = sorted(c for c in present if 0 <= c < num_classes)
    return {
        c: precision_recall_f(boundary_counts(pred == c, gt == c, bound_th))
        for c in classes
    }
