# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The main job: baseline vs HFPL add-on, end to end, with a report.

    python tools/run_pipeline.py                    # bundled synthetic default
    python tools/run_pipeline.py --preset hard --seed 1   # harder synthetic set
    python tools/run_pipeline.py --data-root ../shared/data/real_mini/voc2012_official_gt

Stage 1 trains the baseline and its add-on twin, stage 2 writes and
evaluates pseudo-labels (CAM mIoU over a background-threshold sweep, contour
F-score), stage 3 trains a segmentation model briefly on each method's
pseudo-labels and evaluates on the val GT. The report goes to
``<work-dir>/report.md`` (+ ``figures/``, ``report.json``) and stdout.
"""
import argparse
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

BASELINE = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
ADDON = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
SEG = 'configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-128x128.py'


def default_root(preset: str, seed: int) -> str:
    """Where the synthetic set of ``preset`` and ``seed`` is rendered when
    no --data-root is given (data/synthvoc for the default preset, seed 0)."""
    name = 'synthvoc' if preset == 'default' else f'synthvoc-{preset}'
    return f'data/{name}' + (f'-seed{seed}' if seed else '')


def build_parser() -> argparse.ArgumentParser:
    from hfpl_mm.utils.config import positive_float
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--data-root',
                   help='VOC-layout folder with GT masks (JPEGImages/, '
                   'SegmentationClass/, and Annotations/ or a cls_labels.npy)'
                   '; default: the synthetic set of --preset and --seed, '
                   'rendered on first use (data/synthvoc for the defaults)')
    p.add_argument('--preset', choices=['default', 'hard'], default='default',
                   help='synthetic preset to render (see '
                   'tools/make_synthetic_voc.py)')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the synthetic set to render; with '
                   '--data-root it applies when that folder is rendered '
                   '(--render)')
    p.add_argument('--render', action='store_true',
                   help='render the synthetic set into a --data-root that '
                   'does not exist yet')
    p.add_argument('--work-dir', default='work_dirs/pipeline',
                   help='output folder: per-method runs, figures/, '
                   'report.md, report.json')
    p.add_argument('--baseline-config', default=BASELINE,
                   help='stage-1 CAM config of the baseline')
    p.add_argument('--addon-config', default=ADDON,
                   help='stage-1 CAM config of its HFPL add-on twin')
    p.add_argument('--seg-config', default=SEG,
                   help='stage-3 segmentation config')
    p.add_argument('--iters', type=int, help='stage-1 iterations '
                   '(default: the config\'s schedule)')
    p.add_argument('--seg-iters', type=int, help='stage-3 iterations '
                   '(default: the config\'s schedule)')
    p.add_argument('--seg-on', nargs='*', default=['baseline', 'hfpl'],
                   choices=['baseline', 'hfpl'],
                   help='whose pseudo-labels stage 3 trains on (none: skip)')
    p.add_argument('--scales', type=positive_float, nargs='+',
                   help="CAM inference scales of stage 2 (default: the CAM "
                   "configs' model.test_cfg.scales; the bundled default's "
                   'are 1.0 0.5 1.5)')
    p.add_argument('--flip', action=argparse.BooleanOptionalAction,
                   help="flipped copies at CAM inference (default: the CAM "
                   "configs' model.test_cfg.flip)")
    p.add_argument('--cls-labels', help='cls_labels.npy for folders without '
                   'Annotations/')
    return p


def main():
    p = build_parser()
    args = p.parse_args()
    import hfpl_mm  # noqa: F401
    from hfpl_mm.apis.pipeline import log, run_pipeline
    root = args.data_root or default_root(args.preset, args.seed)
    if not osp.isdir(root):
        if args.data_root and not args.render:
            p.error(f'--data-root {root} does not exist; add --render to '
                    f'render the synthetic set ({args.preset} preset, seed '
                    f'{args.seed}) there')
        from hfpl_mm.datasets.synthetic import generate_synthetic_voc
        log(f'rendering the synthetic set into {root} ({args.preset} '
            f'preset, seed {args.seed})')
        generate_synthetic_voc(root, seed=args.seed, preset=args.preset)
    elif args.data_root and (args.seed or args.preset != 'default'
                             or args.render):
        log(f'{root} exists: used as it is (--seed / --preset / --render '
            'apply only when the folder is rendered)')
    run_pipeline(
        root,
        args.work_dir,
        dict(baseline=args.baseline_config, hfpl=args.addon_config),
        args.seg_config,
        iters1=args.iters,
        iters3=args.seg_iters,
        scales=args.scales,
        flip=args.flip,
        cls_labels=args.cls_labels,
        seg_on=args.seg_on)


if __name__ == '__main__':
    main()
