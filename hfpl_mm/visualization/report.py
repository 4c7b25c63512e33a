# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Figures and the Markdown report of the main job, from plain paths and
numbers (nothing here trains or infers)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..evaluation.metrics import save_threshold_curve
from ..utils.atomic import atomic_write
from ..utils.environment import environment_line
from ..utils.image import read_image
from ..utils.label_io import list_stems, load_cam_archive, load_label_png
from .overlays import cam_heatmap, label_overlay, legend_items, save_panel


def threshold_curves(thresholds: Sequence[float],
                     mious: Dict[str, Sequence[float]], out_dir: str) -> str:
    """``out_dir/threshold_curves.png`` (and ``.csv``): CAM mIoU against
    the background threshold, one line per method.

    Args:
        thresholds (Sequence[float]): The sweep.
        mious (dict[str, Sequence[float]]): mIoU (%) per method.
        out_dir (str): Output folder.

    Returns:
        str: The PNG path.
    """
    return save_threshold_curve(
        thresholds, mious, out_dir, 'threshold_curves',
        ylabel='CAM mIoU on train (%)')


def overlay_panels(img_dir: str,
                   gt_dir: str,
                   methods: Dict[str, Dict[str, str]],
                   palette: Sequence[Sequence[int]],
                   out_dir: str,
                   num: int = 4,
                   img_suffix: str = '.jpg',
                   classes: Optional[Sequence[str]] = None) -> List[str]:
    """One panel per image: the image, its GT, and each method's CAM
    heat-map (the strongest present class per pixel; the title names the
    classes) and pseudo-label, with a colour legend of the classes shown.

    Args:
        img_dir (str): Folder of the images.
        gt_dir (str): Folder of the GT label PNGs.
        methods (dict): Per method name, ``cam_dir`` (CAM archives) and
            ``label_dir`` (pseudo-label PNGs).
        palette (Sequence): The dataset's palette.
        out_dir (str): Where ``overlay_<stem>.png`` go.
        num (int): The first ``num`` images of the first method's CAM
            folder. Defaults to 4.
        img_suffix (str): Defaults to '.jpg'.
        classes (Sequence[str], optional): Class names, background first,
            for the titles and the legend; None names classes by index.

    Returns:
        list[str]: The panel paths.
    """
    if classes is None:
        classes = ['background'] + [f'class {i}'
                                    for i in range(1, len(palette))]
    names = list(methods)
    stems = list_stems(methods[names[0]]['cam_dir'], '.npz')[:num]
    paths = []
    for stem in stems:
        img = read_image(
            osp.join(img_dir, stem + img_suffix), channel_order='rgb')
        gt = load_label_png(osp.join(gt_dir, stem + '.png'))
        tiles, titles = [img, label_overlay(img, gt, palette)], [stem, 'GT']
        shown = set(np.unique(gt).tolist())
        for name in names:
            arch = load_cam_archive(
                osp.join(methods[name]['cam_dir'], stem + '.npz'))
            heat = arch['cams'].max(0) if len(arch['keys']) else 0 * gt
            present = ', '.join(classes[int(k) + 1] for k in arch['keys'])
            lab = load_label_png(
                osp.join(methods[name]['label_dir'], stem + '.png'))
            shown.update(np.unique(lab).tolist())
            tiles += [cam_heatmap(img, heat), label_overlay(img, lab, palette)]
            titles += [f'{name} CAM: {present or "no class"}',
                       f'{name} labels']
        paths.append(
            save_panel(tiles, osp.join(out_dir, f'overlay_{stem}.png'),
                       titles, legend_items(shown, classes, palette)))
    return paths


def write_pipeline_report(path: str, ctx: Dict) -> str:
    """Write the Markdown report of
    :func:`hfpl_mm.apis.run_pipeline`'s context.

    Args:
        path (str): The report file (written through a temporary file);
            figure links are relative to its folder.
        ctx (dict): ``data_root``, ``num_train``, ``iters1``, ``iters3``
            (e.g. '400 iterations'), ``scales``, ``flip``, ``elapsed``,
            ``configs`` and ``results`` (per method), ``seg_config``,
            ``seg`` (stage-3 metrics per method), ``curve`` and ``overlays``
            (figure paths), ``environment`` (:func:`environment_info`: the
            CPU's instruction set, threads, library versions); optional
            ``refined`` (random-walk label scores per method) and
            ``seg_labels`` (which labels stage 3 trained on).

    Returns:
        str: The report text.
    """
    res, seg = ctx['results'], ctx['seg']
    lines = [
        '# hfpl-mm pipeline report', '',
        f'Data: `{ctx["data_root"]}` ({ctx["num_train"]} train images '
        f'evaluated). Stage 1: {ctx["iters1"]}; CAM inference '
        f'scales {ctx["scales"]}, flip {ctx["flip"]}. Wall time '
        f'{ctx["elapsed"]:.0f} s.', '',
        environment_line(ctx['environment']) if 'environment' in ctx else
        '', '',
        '## Pseudo-labels (train split, against its GT)', '',
        'The background threshold is swept on the train GT as the '
        "reference's CAM evaluation does; the pseudo-labels use each "
        "method's best threshold.", '',
        '| method | config | best CAM mIoU | threshold | pseudo-label mIoU '
        '| contour F | contour P | contour R |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for name, r in res.items():
        lines.append(
            f'| {name} | `{ctx["configs"][name]}` | {r["best_miou"]:.2f} | '
            f'{r["best_threshold"]:.2f} | {r["pl_miou"]:.2f} | '
            f'{r["contour_f"]:.2f} | {r["contour_p"]:.2f} | '
            f'{r["contour_r"]:.2f} |')
    names = list(res)
    if len(names) == 2:
        a, b = res[names[0]], res[names[1]]
        lines += [
            '', f'Add-on minus baseline: pseudo-label mIoU '
            f'{b["pl_miou"] - a["pl_miou"]:+.2f}, contour F '
            f'{b["contour_f"] - a["contour_f"]:+.2f}.'
        ]
    if ctx.get('refined'):
        lines += [
            '', '## Random-walk labels (AffinityNet, train split)', '',
            '| method | mIoU | contour F | background P | background R |',
            '|---|---|---|---|---|'
        ]
        for name, r in ctx['refined'].items():
            lines.append(f'| {name} | {r["miou"]:.2f} | {r["contour_f"]:.2f}'
                         f' | {r["bg_precision"]:.2f} | '
                         f'{r["bg_recall"]:.2f} |')
    if seg:
        labels = ctx.get('seg_labels', 'stage-2')
        lines += [
            '', '## Segmentation (stage 3, val split against GT)', '',
            f'`{ctx["seg_config"]}`, {ctx["iters3"]} on each '
            f'method\'s {labels} pseudo-labels.', '',
            '| trained on | mIoU | contour F |', '|---|---|---|'
        ]
        for name, m in seg.items():
            lines.append(f'| {name} pseudo-labels | '
                         f'{m.get("mIoU", np.nan):.2f} | '
                         f'{m.get("contour/F", np.nan):.2f} |')

    def rel(p):
        return osp.relpath(p, osp.dirname(path))

    lines += [
        '', '## Figures', '', f'![threshold curves]({rel(ctx["curve"])})', ''
    ]
    lines += [f'![overlay]({rel(p)})' for p in ctx['overlays']]
    text = '\n'.join(lines) + '\n'
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        f.write(text)
    return text
