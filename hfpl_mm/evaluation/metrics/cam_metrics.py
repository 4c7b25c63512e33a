# Copyright (c) hfpl-mm contributors. All rights reserved.
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from hfpl_mm.utils.atomic import atomic_write

from ..functional import (CONTOUR_REDUCTIONS, GT_IGNORE_MODES,
                          confusion_matrix, contour_counts_per_class,
                          iou_from_confusion, mean_iou,
                          reduce_contour_counts)

#: The background-threshold grid of the reference's CAM evaluation
#: (0.00, 0.01, ..., 0.59); the one grid of the package.
BG_THRESHOLDS = tuple(round(i / 100, 2) for i in range(60))


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def threshold_predictions(scores: np.ndarray,
                          thresholds: Sequence[float]) -> np.ndarray:
    """Label maps for every background threshold: (T, H, W).

    ``scores`` is (C + 1, H, W) with normalised foreground scores in
    channels 1.. (channel 0 is replaced by each threshold in turn).
    """
    fg = scores[1:]
    best = fg.argmax(0) + 1
    peak = fg.max(0)
    return np.stack([np.where(peak > t, best, 0) for t in thresholds])


@METRICS.register_module()
class CAMThresholdSweepMetric(BaseMetric):
    """Pseudo-label / CAM mIoU over a sweep of background thresholds.

    Reads ``seg_logits`` (background first, foreground min-max normalised,
    as :class:`CAMSegmentor` writes them) and ``gt_sem_seg``. For each
    threshold t a pixel is background unless its best foreground score
    exceeds t. The table of mIoU against t, the best threshold and, when
    ``out_dir`` is set, a PNG plot and a CSV are produced. The defaults are
    the reference's: thresholds 0.00 to 0.59 in steps of 0.01, mIoU over all
    classes with an absent class counting as 0.

    Args:
        thresholds (Sequence[float]): Defaults to :data:`BG_THRESHOLDS`.
        count_absent (bool): A class in neither GT nor prediction counts as
            IoU 0 (the reference); False leaves it out of the mean (for data
            that use a subset of the classes, like the synthetic default).
            Defaults to True.
        ignore_index (int): Defaults to 255.
        out_dir (str, optional): Where the plot and CSV go. Defaults to None.
        prefix (str, optional): Defaults to None.
    """
    default_prefix = 'cam'

    def __init__(self,
                 thresholds: Sequence[float] = BG_THRESHOLDS,
                 count_absent: bool = True,
                 ignore_index: int = 255,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = [float(t) for t in thresholds]
        self.count_absent = count_absent
        self.ignore_index = ignore_index
        self.out_dir = out_dir

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            scores = _to_numpy(sample['seg_logits']['data'])
            gt = _to_numpy(sample['gt_sem_seg']['data']).squeeze(0)
            preds = threshold_predictions(scores, self.thresholds)
            self.results.append(
                np.stack([
                    confusion_matrix(p, gt, num_classes, self.ignore_index)
                    for p in preds
                ]))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        conf = np.sum(results, axis=0)  # (T, C, C)
        mious = [
            mean_iou(iou_from_confusion(c)['iou'], self.count_absent) * 100
            for c in conf
        ]
        best = int(np.nanargmax(mious))
        table = PrettyTable(['bg threshold', 'mIoU'])
        for t, m in zip(self.thresholds, mious):
            table.add_row([f'{t:.2f}', f'{m:.2f}'])
        print_log('\nmIoU against background threshold:\n' +
                  table.get_string(), logger)
        if self.out_dir:
            save_threshold_curve(self.thresholds, mious, self.out_dir)
        return OrderedDict(
            best_mIoU=round(mious[best], 2),
            best_threshold=self.thresholds[best])


def save_threshold_curve(thresholds: Sequence[float], mious: Sequence[float],
                         out_dir: str, name: str = 'miou_vs_threshold'
                         ) -> str:
    """Write ``<name>.png`` and ``<name>.csv``; return the PNG path."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    csv = osp.join(out_dir, name + '.csv')
    with atomic_write(csv) as tmp, open(tmp, 'w') as f:
        f.write('threshold,mIoU\n')
        for t, m in zip(thresholds, mious):
            f.write(f'{t:.4f},{m:.4f}\n')
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(thresholds, mious, marker='o')
    best = int(np.nanargmax(mious))
    ax.axvline(thresholds[best], ls='--', c='gray')
    ax.set_xlabel('background threshold')
    ax.set_ylabel('mIoU (%)')
    ax.set_title(f'best {mious[best]:.1f} at {thresholds[best]:.2f}')
    fig.tight_layout()
    png = osp.join(out_dir, name + '.png')
    with atomic_write(png) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return png


@METRICS.register_module()
class ContourFMetric(BaseMetric):
    """Contour F-score (DAVIS boundary F-measure) of ``pred_sem_seg``
    against ``gt_sem_seg``.

    The defaults follow the HFPL reference, so numbers are comparable with
    the paper's: GT ignore pixels count as background, boundary pixel counts
    are summed per class over the dataset, and the score is the mean over
    the foreground classes (a class absent everywhere scores 1).

    Args:
        bound_th (float): Tolerance as a fraction of the image diagonal
            (``ceil``), or in pixels if >= 1. Defaults to 0.008 (DAVIS).
        ignore_index (int): Defaults to 255.
        gt_ignore (str): 'background' (reference) or 'nearest' (ignore
            pixels take the class of the nearest labelled pixel, so the GT
            edge lies in the middle of VOC's band). Defaults to
            'background'.
        reduction (str): 'dataset' (reference: per-class counts summed over
            images, mean over foreground classes) or 'image' (mean over
            every (image, class) pair present in GT or prediction,
            background included). Defaults to 'dataset'.
        count_absent (bool): With 'dataset', a class absent everywhere
            scores 1 and counts (reference); False leaves it out.
            Defaults to True.
    """
    default_prefix = 'contour'

    def __init__(self,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 gt_ignore: str = 'background',
                 reduction: str = 'dataset',
                 count_absent: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if gt_ignore not in GT_IGNORE_MODES:
            raise ValueError(f'gt_ignore must be one of {GT_IGNORE_MODES}, '
                             f'got {gt_ignore!r}')
        if reduction not in CONTOUR_REDUCTIONS:
            raise ValueError(f'reduction must be one of '
                             f'{CONTOUR_REDUCTIONS}, got {reduction!r}')
        self.bound_th = bound_th
        self.ignore_index = ignore_index
        self.gt_ignore = gt_ignore
        self.reduction = reduction
        self.count_absent = count_absent

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred = _to_numpy(sample['pred_sem_seg']['data']).squeeze(0)
            gt = _to_numpy(sample['gt_sem_seg']['data']).squeeze(0)
            counts = contour_counts_per_class(pred, gt, num_classes,
                                              self.ignore_index,
                                              self.bound_th, self.gt_ignore)
            self.results.append(counts)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        names = self.dataset_meta['classes']
        out = reduce_contour_counts(results, len(names), self.reduction,
                                    self.count_absent)
        per_class = out['per_class']
        mean = (out['F'], out['precision'], out['recall'])
        table = PrettyTable(['Class', 'Contour F', 'Precision', 'Recall'])
        for c, (p, r, f) in per_class.items():
            table.add_row([names[c]] +
                          [f'{v * 100:.2f}' for v in (f, p, r)])
        print_log('\nper-class contour F:\n' + table.get_string(),
                  MMLogger.get_current_instance())
        return OrderedDict(
            (k, round(v * 100, 2))
            for k, v in zip(('F', 'precision', 'recall'), mean))
