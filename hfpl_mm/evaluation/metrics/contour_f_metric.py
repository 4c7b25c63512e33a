# Copyright (c) hfpl-mm contributors. All rights reserved.
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from hfpl_mm.utils.cam_labels import threshold_labels

from ..functional import (CONTOUR_REDUCTIONS, GT_IGNORE_MODES,
                          contour_counts_per_class, reduce_contour_counts)


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


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
        bg_threshold (float, optional): Score the labels of the CAM scores
            (``seg_logits``, background first, as :class:`CAMSegmentor`
            writes them) with this constant background instead of
            ``pred_sem_seg``: a pixel is background unless its best
            foreground score exceeds it. The reference scores its CAMs'
            contours at 0.25 (its ``contour_fscore.py --is_seam``), the CAM
            configs set that; None (default) scores ``pred_sem_seg``, e.g.
            a segmentation model's prediction.
    """
    default_prefix = 'contour'

    def __init__(self,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 gt_ignore: str = 'background',
                 reduction: str = 'dataset',
                 count_absent: bool = True,
                 bg_threshold: Optional[float] = None,
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
        if bg_threshold is not None and not 0 <= bg_threshold <= 1:
            raise ValueError('bg_threshold is a background score in [0, 1] '
                             f'(CAM scores are min-max normalised), got '
                             f'{bg_threshold}')
        self.bg_threshold = bg_threshold

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            if self.bg_threshold is None:
                pred = _to_numpy(sample['pred_sem_seg']['data']).squeeze(0)
            else:
                scores = sample['seg_logits']['data']
                pred = threshold_labels(scores[1:], [self.bg_threshold])[0]
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
