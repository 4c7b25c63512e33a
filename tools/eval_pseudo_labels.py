# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Evaluate pseudo-label PNGs against GT masks.

    python tools/eval_pseudo_labels.py PRED_DIR GT_DIR [--dataset voc|coco]

Prints mIoU, per-class IoU / precision / recall and the contour F-score
(DAVIS boundary F-measure, tolerance 0.008 x image diagonal).
"""
import argparse

import numpy as np
from prettytable import PrettyTable


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('pred_dir')
    p.add_argument('gt_dir')
    p.add_argument('--dataset', choices=['voc', 'coco'], default='voc')
    p.add_argument('--ignore-index', type=int, default=255)
    p.add_argument('--bound-th', type=float, default=0.008)
    args = p.parse_args()
    from hfpl_mm.apis.evaluate import evaluate_label_dirs
    if args.dataset == 'voc':
        from mmseg.datasets import PascalVOCDataset
        classes = PascalVOCDataset.METAINFO['classes']
    else:
        from hfpl_mm.datasets import COCOWeakDataset
        classes = COCOWeakDataset.METAINFO['classes']
    res = evaluate_label_dirs(args.pred_dir, args.gt_dir, len(classes),
                              args.ignore_index, args.bound_th)
    table = PrettyTable(['class', 'IoU', 'precision', 'recall', 'contour F'])
    for c, name in enumerate(classes):
        vals = [res['iou'][c], res['precision'][c], res['recall'][c],
                res['contour_f_per_class'][c]]
        if all(np.isnan(v) for v in vals):
            continue
        table.add_row([name] + [f'{v * 100:.2f}' for v in vals])
    print(table)
    print(f'images: {res["num_images"]}')
    print(f'mIoU: {res["mIoU"] * 100:.2f}')
    print(f'contour F: {res["contour_f"] * 100:.2f} (precision '
          f'{res["contour_precision"] * 100:.2f}, recall '
          f'{res["contour_recall"] * 100:.2f})')


if __name__ == '__main__':
    main()
