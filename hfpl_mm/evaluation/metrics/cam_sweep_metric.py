# Copyright (c) hfpl-mm contributors. All rights reserved.
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from hfpl_mm.utils.atomic import atomic_write
from hfpl_mm.utils.cam_labels import BG_THRESHOLDS, threshold_labels

from ..functional import confusion_matrix, iou_from_confusion, mean_iou


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def threshold_predictions(scores: np.ndarray,
                          thresholds: Sequence[float]) -> np.ndarray:
    """Label maps for every background threshold: (T, H, W).

    ``scores`` is (C + 1, H, W) with normalised foreground scores in
    channels 1.. (channel 0, the model's own background, is replaced by each
    threshold in turn: :func:`hfpl_mm.utils.cam_labels.threshold_labels`).
    """
    return threshold_labels(scores[1:], thresholds)


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


def save_threshold_curve(thresholds: Sequence[float],
                         mious: Union[Sequence[float], Dict[str,
                                                            Sequence[float]]],
                         out_dir: str,
                         name: str = 'miou_vs_threshold',
                         ylabel: str = 'mIoU (%)') -> str:
    """Plot mIoU against the background threshold: the package's one curve
    plot (the metric's and the main job's).

    Args:
        thresholds (Sequence[float]): The x values.
        mious (Sequence[float] | dict): One curve, or curves by name (one
            line each, with a legend).
        out_dir (str): Folder of ``<name>.png`` and ``<name>.csv`` (a column
            per curve), both written through temporary files.
        name (str): File stem. Defaults to 'miou_vs_threshold'.
        ylabel (str): Defaults to 'mIoU (%)'.

    Returns:
        str: The PNG path.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    curves = dict(mious) if isinstance(mious, dict) else {'mIoU': mious}
    os.makedirs(out_dir, exist_ok=True)
    csv = osp.join(out_dir, name + '.csv')
    with atomic_write(csv) as tmp, open(tmp, 'w') as f:
        f.write(','.join(['threshold'] + list(curves)) + '\n')
        for k, t in enumerate(thresholds):
            f.write(','.join([f'{t:.4f}'] +
                             [f'{c[k]:.4f}' for c in curves.values()]) + '\n')
    fig, ax = plt.subplots(figsize=(5, 3.5))
    titles = []
    for label, curve in curves.items():
        line, = ax.plot(thresholds, curve, marker='o', ms=3, label=label)
        best = int(np.nanargmax(curve))
        ax.axvline(thresholds[best], ls='--', c=line.get_color(), lw=0.8)
        titles.append(f'{curve[best]:.1f} at {thresholds[best]:.2f}')
    ax.set_xlabel('background threshold')
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        ax.legend()
        ax.set_title('best: ' + ', '.join(
            f'{n} {t}' for n, t in zip(curves, titles)), fontsize=8)
    else:
        ax.set_title('best ' + titles[0])
    fig.tight_layout()
    png = osp.join(out_dir, name + '.png')
    with atomic_write(png) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return png
