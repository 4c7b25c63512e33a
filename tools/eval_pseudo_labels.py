# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Evaluate pseudo-label PNGs against GT masks.

    python tools/eval_pseudo_labels.py PRED_DIR GT_DIR [--dataset voc|coco]
    python tools/eval_pseudo_labels.py PRED_DIR GT_DIR --config CONFIG

Prints mIoU, per-class IoU / precision / recall and the contour F-score
(DAVIS boundary F-measure, tolerance 0.008 x image diagonal). The defaults
are the HFPL reference's conventions (docs/fidelity.md): mIoU over all
classes with absent ones counting 0; contour F with GT ignore pixels as
background, counts summed over the dataset, mean over foreground classes.
A class in neither GT nor prediction is printed 'absent', and the last line
says how such classes were averaged (--skip-absent leaves them out).
"""
import argparse
import os.path as osp
import sys

import numpy as np
from prettytable import PrettyTable

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def split_ids(split, pred_dir):
    """(ids to score or None, what they are): ``--split``, else the split
    file the prediction folder's manifest records (stage 2's), else None
    (every prediction)."""
    import json
    from hfpl_mm.datasets.voc_weak import read_split_file
    if split:
        ids = read_split_file(split)
        return ids, f'the {len(ids)} images of {split}'
    manifest = osp.join(pred_dir, 'pseudo_labels.json')
    try:
        with open(manifest) as f:
            ann = json.load(f)['settings'].get('ann_file')
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        ann = None
    if ann and ann.endswith('.txt') and osp.isfile(ann):
        ids = read_split_file(ann)
        return ids, (f'the {len(ids)} images of {ann} (the split '
                     f'{manifest} records)')
    return None, ('every prediction in pred_dir (no --split and no split in '
                  'a manifest: images without a prediction are not scored)')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('pred_dir', help='folder of predicted label PNGs '
                   '(<image id>.png)')
    p.add_argument('gt_dir', help='folder of GT label PNGs (<image id>.png)')
    p.add_argument('--split', help='split file of the image ids to score '
                   "(default: the split the prediction folder's manifest "
                   'records, else every PNG of pred_dir)')
    p.add_argument('--missing', choices=['error', 'background'],
                   default='error',
                   help='ids of the split without a prediction: error '
                   'refuses them, background scores them as all-background '
                   'predictions')
    p.add_argument('--dataset', choices=['voc', 'coco'], default='voc',
                   help='class names and count (default: %(default)s); '
                   '--config takes precedence')
    p.add_argument('--config', help="take the classes from this config's "
                   'dataset (e.g. a stage-3 or CAM config)')
    p.add_argument('--ignore-index', type=int, default=255)
    p.add_argument('--bound-th', type=float, default=0.008)
    p.add_argument(
        '--skip-absent', action='store_true',
        help='leave classes absent from GT and prediction out of the means '
        '(default: they count, IoU 0 / contour F 1, as the reference)')
    p.add_argument(
        '--contour-ignore', choices=['background', 'nearest'],
        default='background',
        help='GT ignore pixels for contour F: background (reference) or the '
        'class of the nearest labelled pixel')
    p.add_argument(
        '--contour-reduction', choices=['dataset', 'image'],
        default='dataset',
        help='contour F from counts summed over the dataset, mean over '
        'foreground classes (reference), or the mean over (image, class) '
        'pairs')
    p.add_argument(
        '--pred-ignore', choices=['error', 'background', 'exclude'],
        default='error',
        help='predicted pixels of --ignore-index (uncertain, as many WSSS '
        'codebases write them): error refuses them; background scores them '
        'as background; exclude leaves them out of mIoU (as GT ignore '
        'pixels) and draws no boundary there')
    args = p.parse_args()
    from hfpl_mm.apis import resolve_dataset_meta
    from hfpl_mm.evaluation import evaluate_label_dirs
    classes = resolve_dataset_meta(
        config=args.config, dataset=args.dataset)['classes']
    stems, source = split_ids(args.split, args.pred_dir)
    print(f'scoring {source}')
    res = evaluate_label_dirs(
        args.pred_dir,
        args.gt_dir,
        len(classes),
        args.ignore_index,
        args.bound_th,
        count_absent=not args.skip_absent,
        gt_ignore=args.contour_ignore,
        reduction=args.contour_reduction,
        pred_ignore=args.pred_ignore,
        stems=stems,
        missing=args.missing,
        progress=True)
    print(summary(res, classes, not args.skip_absent, args.pred_ignore))


def summary(res: dict, classes, count_absent: bool, pred_ignore: str) -> str:
    """The evaluation as printed: a per-class table ('absent' for a class
    in neither GT nor prediction, '-' for a ratio with nothing to divide
    by) and summary lines that say how absent classes were averaged."""
    iou = res['iou']
    # a class in neither GT nor prediction has no pixel in its union
    absent = [c for c in range(len(classes)) if np.isnan(iou[c])]
    table = PrettyTable(['class', 'IoU', 'precision', 'recall', 'contour F'])
    for c, name in enumerate(classes):
        if c in absent:
            table.add_row([name, 'absent', 'absent', 'absent',
                           'absent' + (' (100)' if count_absent and c else
                                       '')])
            continue
        vals = [iou[c], res['precision'][c], res['recall'][c],
                res['contour_f_per_class'][c]]
        table.add_row([name] + ['-' if np.isnan(v) else f'{v * 100:.2f}'
                                for v in vals])
    lines = [table.get_string()]
    lines.append(f'images: {res["num_images"]}' + (
        f' ({res["num_missing"]} without a prediction, scored as '
        'background)' if res['num_missing'] else ''))
    lines.append(f'predicted ignore pixels: {res["pred_ignored"] * 100:.2f}%'
                 f' (--pred-ignore {pred_ignore})')
    names = ', '.join(classes[c] for c in absent)
    fg_absent = [c for c in absent if c]
    if absent and count_absent:
        # the same numbers without them, from the per-class values
        kept = [c for c in range(len(classes)) if c not in absent]
        f_kept = [res['contour_f_per_class'][c] for c in kept if c]
        how = (f'{len(absent)} classes absent from GT and prediction ({names})'
               ' count as IoU 0 and contour F 100, as the reference averages;'
               ' without them (--skip-absent): mIoU '
               f'{np.mean(iou[kept]) * 100:.2f}' + (
                   f', contour F {np.nanmean(f_kept) * 100:.2f}'
                   if fg_absent and f_kept else ''))
    elif absent:
        how = (f'{len(absent)} classes absent from GT and prediction ({names})'
               ' are left out of the means (--skip-absent)')
    else:
        how = 'every class occurs in GT or prediction'
    n = len(classes) - (0 if count_absent else len(absent))
    lines.append(f'mIoU: {res["mIoU"] * 100:.2f} over {n} classes')
    lines.append(f'contour F: {res["contour_f"] * 100:.2f} (precision '
                 f'{res["contour_precision"] * 100:.2f}, recall '
                 f'{res["contour_recall"] * 100:.2f})')
    lines.append(how)
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
