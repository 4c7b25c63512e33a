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

from ..functional import (confusion_matrix, contour_f_per_class,
                          iou_from_confusion)


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

    Reads ``seg_logits`` (background first, foreground max-normalised, as
    :class:`CAMSegmentor` writes them) and ``gt_sem_seg``. For each threshold
    t a pixel is background unless its best foreground score exceeds t. The
    table of mIoU against t, the best threshold and, when ``out_dir`` is
    set, a PNG plot and a CSV are produced.

    Args:
        thresholds (Sequence[float]): Defaults to 0.05, 0.10, ..., 0.95.
        ignore_index (int): Defaults to 255.
        out_dir (str, optional): Where the plot and CSV go. Defaults to None.
        prefix (str, optional): Defaults to None.
    """
    default_prefix = 'cam'

    def __init__(self,
                 thresholds: Sequence[float] = tuple(
                     np.round(np.arange(0.05, 0.951, 0.05), 2)),
                 ignore_index: int = 255,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = [float(t) for t in thresholds]
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
        mious = [np.nanmean(iou_from_confusion(c)['iou']) * 100 for c in conf]
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
    with open(csv + '.tmp', 'w') as f:
        f.write('threshold,mIoU\n')
        for t, m in zip(thresholds, mious):
            f.write(f'{t:.4f},{m:.4f}\n')
    os.replace(csv + '.tmp', csv)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(thresholds, mious, marker='o')
    best = int(np.nanargmax(mious))
    ax.axvline(thresholds[best], ls='--', c='gray')
    ax.set_xlabel('background threshold')
    ax.set_ylabel('mIoU (%)')
    ax.set_title(f'best {mious[best]:.1f} at {thresholds[best]:.2f}')
    fig.tight_layout()
    png = osp.join(out_dir, name + '.png')
    fig.savefig(png + '.tmp.png', dpi=100)
    plt.close(fig)
    os.replace(png + '.tmp.png', png)
    return png


@METRICS.register_module()
class ContourFMetric(BaseMetric):
    """Contour F-score (DAVIS boundary F-measure) of ``pred_sem_seg``
    against ``gt_sem_seg``, for every (image, class) pair where the class is
    in the GT or the prediction; reported as the mean over those pairs, with
    mean precision and recall, and per class. GT ignore pixels (VOC's
    boundary band) take their nearest labelled pixel's class first, so the
    GT edge lies in the band's middle.

    Args:
        bound_th (float): Tolerance as a fraction of the image diagonal
            (``ceil``), or in pixels if >= 1. Defaults to 0.008 (DAVIS).
        ignore_index (int): Defaults to 255.
    """
    default_prefix = 'contour'

    def __init__(self,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.bound_th = bound_th
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred = _to_numpy(sample['pred_sem_seg']['data']).squeeze(0)
            gt = _to_numpy(sample['gt_sem_seg']['data']).squeeze(0)
            per = contour_f_per_class(pred, gt, num_classes,
                                      self.ignore_index, self.bound_th)
            self.results.append([(c, *prf) for c, prf in per.items()])

    def compute_metrics(self, results: list) -> Dict[str, float]:
        rows = np.array([r for res in results for r in res], dtype=np.float64)
        if rows.size == 0:
            return OrderedDict(F=float('nan'))
        names = self.dataset_meta['classes']
        table = PrettyTable(['Class', 'Contour F', 'Precision', 'Recall'])
        for c in np.unique(rows[:, 0]).astype(int):
            sel = rows[rows[:, 0] == c]
            table.add_row([names[c]] +
                          [f'{sel[:, k].mean() * 100:.2f}' for k in (3, 1, 2)])
        print_log('\nper-class contour F:\n' + table.get_string(),
                  MMLogger.get_current_instance())
        return OrderedDict(
            F=round(rows[:, 3].mean() * 100, 2),
            precision=round(rows[:, 1].mean() * 100, 2),
            recall=round(rows[:, 2].mean() * 100, 2))
