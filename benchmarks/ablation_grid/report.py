# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The ablation's Markdown report and plots from finished cells (nothing
here trains or infers)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from .cells import (ADDON_PAIRS, BASELINES, FIXED_THRESHOLD,
                    FSL_OPTION_VARIANTS, PRESETS, VARIANTS, Cell)


def mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}'


STAGE12_COLUMNS = (('cam_miou_best', 'CAM mIoU (best t)'),
                   ('best_threshold', 'best t'),
                   ('cam_miou_fixed', f'CAM mIoU (t={FIXED_THRESHOLD})'),
                   ('contour_f', 'contour F'), ('contour_p', 'contour P'),
                   ('contour_r', 'contour R'), ('bg_precision', 'bg P'),
                   ('bg_recall', 'bg R'))

FULL_COLUMNS = (('rw_miou', 'RW labels mIoU (train)'),
                ('rw_contour_f', 'RW labels contour F'),
                ('seg_miou', 'stage-3 mIoU (val, last)'),
                ('seg_miou_best', 'stage-3 mIoU (val, best)'),
                ('seg_contour_f', 'stage-3 contour F (val)'))


def column_value(result: Dict, key: str) -> float:
    """A table column of a cell's result; the background precision and
    recall of a stage-1+2 cell are those of its pseudo-labels."""
    if key not in result and key in result.get('labels', {}):
        return result['labels'][key]
    return result[key]


#: How far one stage-1+2 cell's numbers move when only what a user does
#: not control changes (torch's thread count, the CPU's instruction set,
#: another CPU): the largest difference between two runs of the same cell
#: measured so far (docs/results.md, "The same seed, twice").
SAME_SEED_SPREAD = dict(cam_miou_best=2.0, contour_f=1.7)

BASELINE_NAMES = {
    'cam': 'vanilla CAM',
    'seam': 'SEAM',
    'puzzlecam': 'Puzzle-CAM',
    'fsl-options': 'vanilla CAM with FSL\'s options'
}

#: The goal of an FSL option: on the default preset at least this share of
#: the reference FSL's contour-F gain over the baseline.
KEEP_CONTOUR_GAIN = 0.8


def addon_effect(base: Sequence[float],
                 addon: Sequence[float],
                 same_seed: float = 0.0) -> Dict:
    """The add-on's effect over paired seeds: mean difference, the two
    standard deviations, and whether it lies beyond the spread (every seed
    moves the same way and the mean difference exceeds the larger of the
    two standard deviations and ``same_seed``, how far one run moves with
    what a user does not control; at least two seeds)."""
    diff = [a - b for a, b in zip(addon, base)]
    sd = max(np.std(base, ddof=1), np.std(addon, ddof=1)) if len(diff) > 1 \
        else float('nan')
    same_way = all(d > 0 for d in diff) or all(d < 0 for d in diff)
    beyond = (len(diff) > 1 and same_way
              and abs(np.mean(diff)) > max(sd, same_seed))
    return dict(diff=float(np.mean(diff)), sd=float(sd), beyond=bool(beyond),
                per_seed=diff)


def summary_lines(results: Dict[Cell, Dict], presets: Sequence[str],
                  seeds: Sequence[int]) -> List[str]:
    """The summary table: per (baseline, add-on) pair of
    :data:`ADDON_PAIRS` and preset, the effect on CAM mIoU (best
    threshold) and pseudo-label contour F over the seeds both have."""
    rows = []
    for name, base, addon in ADDON_PAIRS:
        for preset in presets:
            common = [s for s in seeds
                      if (preset, s, base, 'stage12') in results
                      and (preset, s, addon, 'stage12') in results]
            if not common:
                continue
            cols = []
            for key in ('cam_miou_best', 'contour_f'):
                e = addon_effect(
                    [results[(preset, s, base, 'stage12')][key]
                     for s in common],
                    [results[(preset, s, addon, 'stage12')][key]
                     for s in common], SAME_SEED_SPREAD[key])
                verdict = 'beyond the spread' if e['beyond'] else (
                    'within the spread' if len(common) > 1 else
                    'one seed: no spread')
                cols.append(f'{e["diff"]:+.2f} ({verdict})')
            rows.append(f'| {name} | {preset} | '
                        f'{" ".join(map(str, common))} | {cols[0]} | '
                        f'{cols[1]} |')
    if not rows:
        return []
    return [
        '## Summary: the add-on\'s effect per baseline and preset', '',
        'Mean over seeds of (add-on - baseline); beyond the spread: every '
        'seed moves the same way and the mean difference exceeds the larger '
        'of the two standard deviations over seeds and the same-seed spread '
        f'({SAME_SEED_SPREAD["cam_miou_best"]} CAM mIoU, '
        f'{SAME_SEED_SPREAD["contour_f"]} contour F: how far one cell moves '
        'with the thread count, the CPU and its instruction set).', '',
        '| comparison | preset | seeds | CAM mIoU (best t) | contour F |',
        '|---|---|---|---|---|'
    ] + rows + ['']


def fsl_option_verdict(results: Dict[Cell, Dict], variant: str,
                       seeds: Sequence[int]) -> Optional[Dict]:
    """Whether an FSL option meets its goal over the ``seeds`` that have
    the baseline and the option on both presets and ``hfpl`` (the
    reference FSL) on the default preset: on the hard
    preset its CAM mIoU (best threshold) is not below the baseline's beyond
    the spread (:func:`addon_effect`), and on the default preset it keeps
    at least :data:`KEEP_CONTOUR_GAIN` of the reference FSL's contour-F
    gain over the baseline (mean over the seeds). Judged on two seeds or
    more (one seed has no spread); None without such seeds.
    """
    need = [(p, v) for p in PRESETS for v in ('baseline', variant)]
    need.append(('default', 'hfpl'))
    common = [
        s for s in seeds
        if all((p, s, v, 'stage12') in results for p, v in need)
    ]
    if not common:
        return None

    def values(preset, v, key):
        return [column_value(results[(preset, s, v, 'stage12')], key)
                for s in common]

    hard = addon_effect(values('hard', 'baseline', 'cam_miou_best'),
                        values('hard', variant, 'cam_miou_best'),
                        SAME_SEED_SPREAD['cam_miou_best'])
    base_f = np.mean(values('default', 'baseline', 'contour_f'))
    ref_gain = np.mean(values('default', 'hfpl', 'contour_f')) - base_f
    gain = np.mean(values('default', variant, 'contour_f')) - base_f
    share = gain / ref_gain if ref_gain > 0 else float('nan')
    hurts = hard['beyond'] and hard['diff'] < 0
    return dict(seeds=common, hard_diff=hard['diff'],
                hard_beyond=hard['beyond'],
                hard_below=sum(d < 0 for d in hard['per_seed']),
                contour_gain=float(gain),
                reference_gain=float(ref_gain), share=float(share),
                met=bool(len(common) > 1 and not hurts
                         and share >= KEEP_CONTOUR_GAIN))


def fsl_option_lines(results: Dict[Cell, Dict],
                     seeds: Sequence[int]) -> List[str]:
    """The table of FSL's options against their goal
    (:func:`fsl_option_verdict`), the reference FSL's row first where it
    has both presets; nothing without an option's cells."""
    rows, options = [], 0
    for v in ('hfpl', ) + FSL_OPTION_VARIANTS:
        r = fsl_option_verdict(results, v, seeds)
        if r is None:
            continue
        options += v != 'hfpl'
        one = len(r['seeds']) == 1
        spread = 'one seed: no spread' if one else (
            'beyond the spread' if r['hard_beyond'] else 'within the spread')
        met = 'one seed: not judged' if one else (
            'yes' if r['met'] else 'no')
        rows.append(
            f'| {v} | {" ".join(map(str, r["seeds"]))} | '
            f'{r["hard_diff"]:+.2f} ({spread}) | {r["hard_below"]} of '
            f'{len(r["seeds"])} | {r["contour_gain"]:+.2f} of '
            f'{r["reference_gain"]:+.2f} ({100 * r["share"]:.0f} %) | '
            f'{met} |')
    if not options:
        return []
    return [
        '## FSL\'s options against their goal', '',
        'Hard preset: CAM mIoU (best t) minus the baseline\'s, over seeds '
        '(the goal: not below it beyond the spread). Default preset: the '
        'contour-F gain over the baseline against the reference FSL\'s '
        f'(hfpl; the goal: at least {100 * KEEP_CONTOUR_GAIN:.0f} %).', '',
        '| variant | seeds | hard: CAM mIoU vs baseline | hard: seeds below '
        'the baseline | default: contour-F gain of the reference\'s | goal '
        'met |', '|---|---|---|---|---|---|'
    ] + rows + ['']


def save_figure(fig, path: str) -> str:
    """Write a matplotlib figure as PNG through a temporary file."""
    import matplotlib.pyplot as plt

    from hfpl_mm.utils.atomic import atomic_write
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return path


def write_ablation_report(results: Dict[Cell, Dict],
                          cells: Sequence[Cell],
                          work_dir: str,
                          settings: dict,
                          planned: Optional[int] = None) -> str:
    """Markdown tables (mean ± std over seeds, and per seed) and plots of
    the finished ``cells``; ``planned``: the grid's size, when larger."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from hfpl_mm.utils.atomic import atomic_write
    from hfpl_mm.utils.environment import environment_info, environment_line
    presets = sorted({c[0] for c in cells}, key=PRESETS.index)
    variants = sorted({c[2] for c in cells}, key=VARIANTS.index)
    seeds = sorted({c[1] for c in cells})
    total = sum(r.get('seconds', 0) for r in results.values())
    lines = [
        '# HFPL ablation on the synthetic presets', '',
        f'Seeds {seeds}; {settings["num_train"]} train / '
        f'{settings["num_val"]} val images; stage 1: '
        f'{settings["iters1"]} iterations; AffinityNet '
        f'{settings["aff_iters"]}; DeepLab-v3+ {settings["seg_iters"]} '
        f'(validated every {settings["val_every"]}). Compute of the cells: '
        f'{total / 60:.0f} min.', '',
        # what the numbers depend on besides code and seed (the CPU's
        # instruction set picks other kernels)
        environment_line(environment_info()), ''
    ]
    if planned is not None and planned > len(cells):
        lines += [
            f'Partial: {len(cells)} of the {planned} planned cells are '
            'finished; the same command continues the grid.', ''
        ]
    lines += summary_lines(results, presets, seeds)
    lines += fsl_option_lines(results, seeds)
    groups = [(name, [v for v in variants if v in members])
              for name, members in BASELINES.items()]
    several = sum(1 for _, vs in groups if vs) > 1
    for preset in presets:
        for (base, base_variants), (kind, columns) in (
                (g, k) for k in (('stage12', STAGE12_COLUMNS),
                                 ('full', FULL_COLUMNS)) for g in groups):
            rows = [v for v in base_variants
                    if any((preset, s, v, kind) in results for s in seeds)]
            if not rows:
                continue
            title = 'stage 1 + 2' if kind == 'stage12' else \
                'full pipeline (AffinityNet, random walk, DeepLab)'
            where = f'{preset} preset, {BASELINE_NAMES[base]}' if several \
                else f'{preset} preset'
            lines += [f'## {where}: {title}', '',
                      '| variant | ' + ' | '.join(c[1] for c in columns) +
                      ' |', '|---' * (len(columns) + 1) + '|']
            for v in rows:
                vals = [[column_value(results[(preset, s, v, kind)], k)
                         for s in seeds
                         if (preset, s, v, kind) in results]
                        for k, _ in columns]
                cells_text = ' | '.join(mean_std(x) for x in vals)
                lines.append(f'| {v} | {cells_text} |')
            lines += ['', 'Per seed:', '',
                      '| variant | seed | ' + ' | '.join(
                          c[1] for c in columns) + ' |',
                      '|---' * (len(columns) + 2) + '|']
            for v in rows:
                for s in seeds:
                    r = results.get((preset, s, v, kind))
                    if r:
                        lines.append(f'| {v} | {s} | ' + ' | '.join(
                            f'{column_value(r, k):.2f}'
                            for k, _ in columns) + ' |')
            lines.append('')
            if kind == 'stage12':
                from hfpl_mm.utils.cam_labels import BG_THRESHOLDS
                edge = sorted({
                    c[2] for c in results if c[0] == preset and c[2] in rows
                    and c[3] == 'stage12' and results[c]['best_threshold'] >=
                    BG_THRESHOLDS[-1]
                }, key=VARIANTS.index)
                if edge:
                    lines += [
                        f'Best threshold at the upper end of the reference\'s '
                        f'sweep ({BG_THRESHOLDS[-1]}) for {", ".join(edge)} '
                        '(some seed): the best-t mIoU is a lower bound of '
                        'that variant\'s optimum.', ''
                    ]
        # bars: CAM mIoU and contour F, mean and std over seeds
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, (key, name) in zip(axes, (STAGE12_COLUMNS[0],
                                          STAGE12_COLUMNS[3])):
            means, stds = [], []
            for v in variants:
                x = [results[(preset, s, v, 'stage12')][key] for s in seeds
                     if (preset, s, v, 'stage12') in results]
                means.append(np.mean(x) if x else np.nan)
                stds.append(np.std(x, ddof=1) if len(x) > 1 else 0)
            ax.bar(range(len(variants)), means, yerr=stds, capsize=4)
            ax.set_xticks(range(len(variants)), variants, rotation=20)
            ax.set_title(f'{name} ({preset})')
        path = save_figure(fig, osp.join(work_dir, f'bars_{preset}.png'))
        lines += [f'![bars]({osp.basename(path)})', '']
        # stage-3 curves
        full = [v for v in variants if (preset, seeds[0], v, 'full') in
                results]
        if full:
            fig, ax = plt.subplots(figsize=(5, 3.5))
            for v in full:
                rs = [results[(preset, s, v, 'full')] for s in seeds
                      if (preset, s, v, 'full') in results]
                curves = np.array([r['curve_miou'] for r in rs])
                its = rs[0]['curve_iters']
                ax.plot(its, curves.mean(0), marker='o', label=v)
                if len(rs) > 1:
                    ax.fill_between(its, curves.mean(0) - curves.std(0),
                                    curves.mean(0) + curves.std(0),
                                    alpha=0.2)
            ax.set_xlabel('DeepLab iterations')
            ax.set_ylabel('val mIoU (%)')
            ax.set_title(f'stage 3 on random-walk labels ({preset})')
            ax.legend()
            path = save_figure(
                fig, osp.join(work_dir, f'stage3_curves_{preset}.png'))
            lines += [f'![stage-3 curves]({osp.basename(path)})', '']
        lines += analysis_lines(results, preset, seeds, variants)
    text = '\n'.join(lines) + '\n'
    path = osp.join(work_dir, 'ablation.md')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        f.write(text)
    return text


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float('nan')


def analysis_lines(results: Dict[Cell, Dict], preset: str,
                   seeds: Sequence[int], variants: Sequence[str]) -> List[str]:
    """The stage-3 gap analysis of one preset: label quality along the
    pipeline (stage-2 labels, random-walk labels, stage-3 predictions on
    val) with background precision / recall, per-class IoU, and DeepLab on
    the stage-2 labels at three thresholds (mean over the seeds that have
    the cells)."""
    lines = []
    full = [v for v in variants
            if any((preset, s, v, 'full') in results for s in seeds)]
    if full:
        lines += [f'## {preset} preset: where the labels gain or lose', '',
                  'Mean over seeds; labels on train, predictions on val; '
                  'bg P / R = background precision / recall (%).', '',
                  '| variant | labels | mIoU | bg P | bg R | contour F |',
                  '|---|---|---|---|---|---|']
        stages = (('stage12', 'labels', 'stage-2 labels (best t)'),
                  ('full', 'rw_labels', 'random-walk labels'),
                  ('full', 'seg_val', 'stage-3 predictions (val)'))
        for v in full:
            for kind, key, name in stages:
                rs = [results[(preset, s, v, kind)][key] for s in seeds
                      if (preset, s, v, 'full') in results]
                lines.append(f'| {v} | {name} | ' + ' | '.join(
                    f'{_mean([r[k] for r in rs]):.2f}'
                    for k in ('miou', 'bg_precision', 'bg_recall',
                              'contour_f')) + ' |')
        lines.append('')
        from mmseg.datasets import PascalVOCDataset
        names = PascalVOCDataset.METAINFO['classes']
        head = [(v, name) for v in full for _, _, name in stages]
        lines += ['Per-class IoU (%), mean over seeds:', '',
                  '| class | ' + ' | '.join(f'{v}: {n}' for v, n in head) +
                  ' |', '|---' * (len(head) + 1) + '|']
        per = {}
        for v in full:
            for kind, key, name in stages:
                rs = [results[(preset, s, v, kind)][key]['iou']
                      for s in seeds if (preset, s, v, 'full') in results]
                per[(v, name)] = [_mean(col) for col in zip(*rs)]
        for c, cname in enumerate(names):
            row = [per[h][c] for h in head]
            if all(np.isnan(x) for x in row):
                continue
            lines.append(f'| {cname} | ' + ' | '.join(
                '-' if np.isnan(x) else f'{x:.1f}' for x in row) + ' |')
        lines.append('')
    rows = [(s, v, results[(preset, s, v, 'thresholds')]) for s in seeds
            for v in variants if (preset, s, v, 'thresholds') in results]
    if rows:
        lines += [f'## {preset} preset: which labels train DeepLab best', '',
                  'DeepLab-v3+ on the stage-2 labels at the sweep\'s best '
                  'threshold and 0.1 either side (no random walk), next to '
                  'the full pipeline\'s random-walk labels (same seed).', '',
                  '| seed | variant | labels | labels mIoU | bg P | bg R | '
                  'DeepLab mIoU (last) | DeepLab mIoU (best) |',
                  '|---|---|---|---|---|---|---|---|']
        for s, v, r in rows:
            for row in r['rows']:
                best = ' (best)' if abs(
                    row['threshold'] - r['best_threshold']) < 1e-6 else ''
                lab = row['labels']
                lines.append(
                    f'| {s} | {v} | t = {row["threshold"]:.2f}{best} | '
                    f'{lab["miou"]:.2f} | {lab["bg_precision"]:.1f} | '
                    f'{lab["bg_recall"]:.1f} | {row["seg_miou"]:.2f} | '
                    f'{row["seg_miou_best"]:.2f} |')
            f = results.get((preset, s, v, 'full'))
            if f:
                lab = f['rw_labels']
                lines.append(
                    f'| {s} | {v} | random walk | {lab["miou"]:.2f} | '
                    f'{lab["bg_precision"]:.1f} | {lab["bg_recall"]:.1f} | '
                    f'{f["seg_miou"]:.2f} | {f["seg_miou_best"]:.2f} |')
        lines.append('')
    return lines
