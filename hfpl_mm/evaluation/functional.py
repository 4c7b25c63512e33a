# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Array-level evaluation: confusion matrices, IoU and the contour F-score.

The contour F-score is the boundary F-measure of the DAVIS benchmark
(Perazzi et al., CVPR 2016): boundaries of the predicted and GT masks are
matched within a tolerance of ``bound_th`` times the image diagonal
(``ceil``, in pixels) using a dilation by the exact disk
``x^2 + y^2 <= r^2``.

Conventions of the HFPL reference (the defaults here), so that numbers are
comparable with the paper's:

* CAM / pseudo-label mIoU averages every class, a class absent from both GT
  and prediction counting as IoU 0 (``count_absent=True``);
* contour F: GT ignore pixels (255) count as background; boundary pixel
  counts are summed per class over the whole dataset; the score is the
  mean over the foreground classes, a class absent everywhere scoring 1.
"""
import math
from typing import Dict, Iterable, Optional, Sequence, Tuple

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


def mean_iou(iou: np.ndarray, count_absent: bool = True) -> float:
    """Mean of per-class IoUs (NaN where a class is in neither GT nor
    prediction): such a class counts as 0 with ``count_absent`` (the
    reference's averaging over all classes), else it is left out."""
    iou = np.asarray(iou, dtype=np.float64)
    if count_absent:
        return float(np.nan_to_num(iou, nan=0.0).mean())
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float('nan')


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


def disk_kernel(radius: int) -> np.ndarray:
    """The exact disk ``x^2 + y^2 <= r^2`` as a uint8 structuring element
    (81 pixels at r=5; ``cv2.MORPH_ELLIPSE`` gives 89)."""
    y, x = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    return (x * x + y * y <= radius * radius).astype(np.uint8)


def _dilate(b: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return b
    return cv2.dilate(b.astype(np.uint8), disk_kernel(radius)).astype(bool)


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


GT_IGNORE_MODES = ('background', 'nearest')
CONTOUR_REDUCTIONS = ('dataset', 'image')


def contour_counts_per_class(pred: np.ndarray,
                             gt: np.ndarray,
                             num_classes: int,
                             ignore_index: int = 255,
                             bound_th: float = 0.008,
                             gt_ignore: str = 'background',
                             classes: Optional[Iterable[int]] = None
                             ) -> Dict[int, Tuple[int, int, int, int]]:
    """Boundary counts (see :func:`boundary_counts`) of every class present
    in the GT or the prediction of one label map.

    Args:
        pred (np.ndarray): Predicted label map (H, W).
        gt (np.ndarray): GT label map (H, W).
        num_classes (int): Number of classes, background included.
        ignore_index (int): Defaults to 255.
        bound_th (float): Tolerance, see :func:`tolerance_pixels`.
            Defaults to 0.008.
        gt_ignore (str): What ``ignore_index`` pixels (VOC's boundary band)
            become: 'background' (the reference) or 'nearest' (the class of
            the nearest labelled pixel, :func:`fill_ignore`, which puts the
            GT edge in the band's middle). Applied to both maps.
            Defaults to 'background'.
        classes (Iterable[int], optional): Restrict to these classes.

    Returns:
        dict[int, tuple]: Class -> (matched pred, pred, matched GT, GT)
        boundary pixel counts.
    """
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and GT {gt.shape} differ '
                         'in size')
    if gt_ignore == 'nearest':
        pred = fill_ignore(pred, ignore_index)
        gt = fill_ignore(gt, ignore_index)
    elif gt_ignore == 'background':
        pred = np.where(pred == ignore_index, 0, pred)
        gt = np.where(gt == ignore_index, 0, gt)
    else:
        raise ValueError(f'gt_ignore must be one of {GT_IGNORE_MODES}, got '
                         f'{gt_ignore!r}')
    present = set(np.unique(gt).tolist()) | set(np.unique(pred).tolist())
    present = {c for c in present if 0 <= c < num_classes}
    if classes is not None:
        present &= set(classes)
    return {
        c: boundary_counts(pred == c, gt == c, bound_th)
        for c in sorted(present)
    }


def contour_f_per_class(pred: np.ndarray,
                        gt: np.ndarray,
                        num_classes: int,
                        ignore_index: int = 255,
                        bound_th: float = 0.008,
                        classes: Optional[Iterable[int]] = None,
                        gt_ignore: str = 'background'
                        ) -> Dict[int, Tuple[float, float, float]]:
    """(precision, recall, F) of every class present in the GT or the
    prediction of one label map (the per-image form of the measure; see
    :func:`contour_counts_per_class` for the arguments)."""
    counts = contour_counts_per_class(pred, gt, num_classes, ignore_index,
                                      bound_th, gt_ignore, classes)
    return {c: precision_recall_f(k) for c, k in counts.items()}


def contour_f_from_counts(counts: np.ndarray,
                          classes: Optional[Sequence[int]] = None,
                          count_absent: bool = True) -> Dict[str, object]:
    """Dataset-level contour F from per-class boundary counts summed over
    all images (the reference's accumulation).

    Args:
        counts (np.ndarray): (num_classes, 4) summed
            (matched pred, pred, matched GT, GT) boundary pixel counts.
        classes (Sequence[int], optional): Classes averaged; the foreground
            classes ``1..num_classes-1`` when None (the reference).
        count_absent (bool): A class with no boundary in GT or prediction
            anywhere scores 1 and counts (the reference); False leaves it
            out of the mean. Defaults to True.

    Returns:
        dict: ``F``, ``precision``, ``recall`` (means, fractions) and
        ``per_class`` (class -> (P, R, F)).
    """
    counts = np.asarray(counts)
    if classes is None:
        classes = range(1, len(counts))
    per_class = {}
    for c in classes:
        k = counts[c]
        if not count_absent and k[1] == 0 and k[3] == 0:
            continue
        per_class[int(c)] = precision_recall_f(k)
    if not per_class:
        nan = float('nan')
        return dict(F=nan, precision=nan, recall=nan, per_class=per_class)
    prf = np.array(list(per_class.values()), dtype=np.float64)
    return dict(
        precision=float(prf[:, 0].mean()),
        recall=float(prf[:, 1].mean()),
        F=float(prf[:, 2].mean()),
        per_class=per_class)


def reduce_contour_counts(per_image: Iterable[Dict[int, Tuple[int, int, int,
                                                           int]]],
                          num_classes: int,
                          reduction: str = 'dataset',
                          count_absent: bool = True) -> Dict[str, object]:
    """Contour F of a dataset from the per-image boundary counts of
    :func:`contour_counts_per_class`.

    Args:
        per_image (Iterable[dict]): Class -> counts, one dict per image.
        num_classes (int): Classes, background included.
        reduction (str): 'dataset' (the reference: counts summed over the
            images, :func:`contour_f_from_counts`) or 'image' (the mean over
            every (image, class) pair present, background included).
            Defaults to 'dataset'.
        count_absent (bool): With 'dataset', see
            :func:`contour_f_from_counts`. Defaults to True.

    Returns:
        dict: ``F``, ``precision``, ``recall`` (fractions) and
        ``per_class`` (class -> (P, R, F)).
    """
    if reduction == 'dataset':
        total = np.zeros((num_classes, 4), np.int64)
        for counts in per_image:
            for c, k in counts.items():
                total[c] += k
        return contour_f_from_counts(total, count_absent=count_absent)
    if reduction != 'image':
        raise ValueError(f'reduction must be one of {CONTOUR_REDUCTIONS}, '
                         f'got {reduction!r}')
    rows = np.array([(c, *precision_recall_f(k)) for counts in per_image
                     for c, k in counts.items()],
                    dtype=np.float64).reshape(-1, 4)
    per_class = {
        int(c): tuple(rows[rows[:, 0] == c][:, 1:].mean(0))
        for c in np.unique(rows[:, 0])
    }
    p, r, f = (rows[:, k].mean() if len(rows) else float('nan')
               for k in (1, 2, 3))
    return dict(
        F=float(f), precision=float(p), recall=float(r), per_class=per_class)
