# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Score folders of label PNGs and CAM archives against GT masks (the
tools' and the pipeline's evaluation; the metrics of a test loop are
:class:`ContourFMetric` and :class:`CAMThresholdSweepMetric`)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..utils.cam_labels import archive_threshold_labels
from ..utils.label_io import list_stems, load_cam_archive, load_label_png
from ..utils.progress import ProgressLine
from .functional import (confusion_matrix, contour_counts_per_class,
                         iou_from_confusion, mean_iou, reduce_contour_counts)

#: How :func:`evaluate_label_dirs` scores predicted ignore (255) pixels.
PRED_IGNORE_MODES = ('error', 'background', 'exclude')


def evaluate_label_dirs(pred_dir: str,
                        gt_dir: str,
                        num_classes: int,
                        ignore_index: int = 255,
                        bound_th: float = 0.008,
                        stems: Optional[Sequence[str]] = None,
                        count_absent: bool = True,
                        gt_ignore: str = 'background',
                        reduction: str = 'dataset',
                        pred_ignore: str = 'error',
                        missing: str = 'error',
                        progress: bool = False) -> Dict:
    """mIoU, per-class IoU / precision / recall and contour F of every
    ``pred_dir/<stem>.png`` against ``gt_dir/<stem>.png``.

    Args:
        pred_dir (str): Folder of predicted label PNGs.
        gt_dir (str): Folder of GT label PNGs.
        num_classes (int): Classes, background included (``len`` of the
            dataset meta's ``classes``: 21 on VOC, 81 on COCO).
        ignore_index (int): GT ignore value. Defaults to 255.
        bound_th (float): Contour tolerance. Defaults to 0.008.
        stems (Sequence[str], optional): Images to evaluate; every PNG of
            ``pred_dir`` when None.
        count_absent (bool): Reference averaging: a class absent from GT
            and prediction counts as IoU 0 and contour F 1. False leaves
            such classes out. Defaults to True.
        gt_ignore (str): Contour F's treatment of ignore pixels,
            'background' (reference) or 'nearest'. Defaults to 'background'.
        reduction (str): Contour F over the dataset's summed counts and
            foreground classes ('dataset', reference) or the mean over
            (image, class) pairs ('image'). Defaults to 'dataset'.
        pred_ignore (str): Predictions with ``ignore_index`` (uncertain
            pixels, as many WSSS codebases write them): 'error' refuses
            them, naming the file; 'background' scores them as background;
            'exclude' leaves them out of the IoU counts (as GT ignore pixels
            are) and draws no boundary there (background for contour F).
            Defaults to 'error'.
        missing (str): ``stems`` without a prediction: 'error' refuses
            them, naming how many and the first ones (scoring the others
            only would flatter an incomplete run); 'background' scores them
            as all-background predictions (wrong wherever GT has an
            object). Defaults to 'error'.
        progress (bool): A progress bar with ETA. Defaults to False.

    Returns:
        dict: ``num_images``, ``num_missing``, ``mIoU``, ``iou``,
        ``precision``, ``recall``, ``contour_f``, ``contour_precision``,
        ``contour_recall`` (fractions), ``contour_f_per_class`` (NaN where
        not scored), ``confusion`` and ``pred_ignored`` (the fraction of
        predicted pixels that were ``ignore_index``).
    """
    if pred_ignore not in PRED_IGNORE_MODES:
        raise ValueError(f'pred_ignore must be one of {PRED_IGNORE_MODES}, '
                         f'got {pred_ignore!r}')
    if missing not in ('error', 'background'):
        raise ValueError(f"missing must be 'error' or 'background', got "
                         f'{missing!r}')
    stems = list(stems) if stems is not None else list_stems(pred_dir, '.png')
    absent = [s for s in stems
              if not osp.isfile(osp.join(pred_dir, s + '.png'))]
    if absent and missing == 'error':
        raise FileNotFoundError(
            f'{pred_dir}: {len(absent)} of {len(stems)} images have no '
            f'prediction ({", ".join(absent[:5])}'
            f'{", ..." if len(absent) > 5 else ""}); scoring only the others '
            'would flatter the run: finish it, or score them as background '
            '(--missing background)')
    conf = np.zeros((num_classes, num_classes), np.int64)
    per_image = []
    ignored = total = 0
    bar = ProgressLine(len(stems), progress)
    for stem in stems:
        bar.update()
        pred_path = osp.join(pred_dir, stem + '.png')
        gt_path = osp.join(gt_dir, stem + '.png')
        gt = load_label_png(gt_path)
        pred = np.zeros_like(gt) if stem in absent else load_label_png(
            pred_path)
        if pred.shape != gt.shape:
            raise ValueError(f'{pred_path} is {pred.shape[::-1]} but '
                             f'{gt_path} is {gt.shape[::-1]} (W, H)')
        uncertain = pred == ignore_index
        count = int(uncertain.sum())
        if count and pred_ignore == 'error':
            raise ValueError(
                f'{pred_path}: {count} pixels are {ignore_index} (uncertain);'
                ' choose how to score them: --pred-ignore background or '
                'exclude')
        bad = np.setdiff1d(np.unique(pred[~uncertain]), np.arange(num_classes))
        if bad.size:
            raise ValueError(f'{pred_path}: labels {bad.tolist()} outside '
                             f'[0, {num_classes})')
        ignored += count
        total += pred.size
        if count:
            pred = np.where(uncertain, 0, pred)
        bad = np.setdiff1d(
            np.unique(gt), np.r_[np.arange(num_classes), ignore_index])
        if bad.size:
            raise ValueError(f'{gt_path}: labels {bad.tolist()} outside '
                             f'[0, {num_classes}) and not {ignore_index}')
        gt_iou = gt
        if count and pred_ignore == 'exclude':
            gt_iou = np.where(uncertain, ignore_index, gt)
        conf += confusion_matrix(pred, gt_iou, num_classes, ignore_index)
        per_image.append(
            contour_counts_per_class(pred, gt, num_classes, ignore_index,
                                     bound_th, gt_ignore))
    bar.close()
    if not conf.sum():
        raise ValueError(
            f'{gt_dir}: no pixel was scored: every GT pixel of the '
            f'{len(stems)} images is {ignore_index} (ignore)')
    stats = iou_from_confusion(conf)
    contour = reduce_contour_counts(per_image, num_classes, reduction,
                                    count_absent)
    per_class_f = np.full(num_classes, np.nan)
    for c, (_, _, f) in contour['per_class'].items():
        per_class_f[c] = f
    return dict(
        num_images=len(stems),
        num_missing=len(absent),
        mIoU=mean_iou(stats['iou'], count_absent),
        iou=stats['iou'],
        precision=stats['precision'],
        recall=stats['recall'],
        contour_f=contour['F'],
        contour_precision=contour['precision'],
        contour_recall=contour['recall'],
        contour_f_per_class=per_class_f,
        confusion=conf,
        pred_ignored=ignored / max(total, 1))


def sweep_cam_dir(cam_dir: str,
                  gt_dir: str,
                  thresholds: Sequence[float],
                  num_classes: int,
                  ignore_index: int = 255,
                  count_absent: bool = True,
                  stems: Optional[Sequence[str]] = None,
                  progress: bool = False) -> List[float]:
    """mIoU (%) of the CAM archives in ``cam_dir`` for every threshold.

    Args:
        cam_dir (str): Folder of ``.npz`` CAM archives.
        gt_dir (str): Folder of GT label PNGs.
        thresholds (Sequence[float]): Background thresholds.
        num_classes (int): Classes, background included.
        ignore_index (int): Defaults to 255.
        count_absent (bool): See :func:`mean_iou`. Defaults to True.
        stems (Sequence[str], optional): Images to score (e.g. the images
            of a split that have GT); every archive of ``cam_dir`` when
            None. Defaults to None.
        progress (bool): A progress bar with ETA. Defaults to False.

    Returns:
        list[float]: mIoU in percent per threshold.
    """
    conf = np.zeros((len(thresholds), num_classes, num_classes), np.int64)
    if stems is None:
        stems = list_stems(cam_dir, '.npz')
    bar = ProgressLine(len(stems), progress)
    for stem in stems:
        bar.update()
        archive = load_cam_archive(osp.join(cam_dir, stem + '.npz'))
        gt_path = osp.join(gt_dir, stem + '.png')
        gt = load_label_png(gt_path)
        if gt.shape != archive['cams'].shape[1:]:
            raise ValueError(f'{gt_path} is {gt.shape} but the CAMs of '
                             f'{stem} are {archive["cams"].shape[1:]}')
        # argmax and max once per image, not once per threshold
        for k, pred in enumerate(
                archive_threshold_labels(archive, thresholds)):
            conf[k] += confusion_matrix(pred, gt, num_classes, ignore_index)
    bar.close()
    return [
        mean_iou(iou_from_confusion(c)['iou'], count_absent) * 100
        for c in conf
    ]
