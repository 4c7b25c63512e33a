# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The main job: baseline vs HFPL add-on, end to end, with a report.

    python tools/run_pipeline.py                    # bundled synthetic default
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

DEFAULT_ROOT = 'data/synthvoc'
BASELINE = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
ADDON = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
SEG = 'configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-128x128.py'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('--data-root', default=DEFAULT_ROOT,
                   help='VOC-layout folder (default: the bundled synthetic '
                   'dataset, rendered on first use)')
    p.add_argument('--work-dir', default='work_dirs/pipeline')
    p.add_argument('--baseline-config', default=BASELINE)
    p.add_argument('--addon-config', default=ADDON)
    p.add_argument('--seg-config', default=SEG)
    p.add_argument('--iters', type=int, help='stage-1 iterations '
                   '(default: the config)')
    p.add_argument('--seg-iters', type=int, help='stage-3 iterations '
                   '(default: the config)')
    p.add_argument('--seg-on', nargs='*', default=['baseline', 'hfpl'],
                   choices=['baseline', 'hfpl'],
                   help='whose pseudo-labels stage 3 trains on (none: skip)')
    p.add_argument('--scales', type=float, nargs='+', default=[1.0, 0.5, 1.5])
    p.add_argument('--no-flip', action='store_true')
    p.add_argument('--cls-labels', help='cls_labels.npy for folders without '
                   'Annotations/')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the synthetic dataset')
    args = p.parse_args()
    import hfpl_mm  # noqa: F401
    from hfpl_mm.apis.pipeline import log, run_pipeline
    if args.data_root == DEFAULT_ROOT and not osp.isdir(DEFAULT_ROOT):
        from hfpl_mm.datasets.synthetic import generate_synthetic_voc
        log(f'rendering the default dataset into {DEFAULT_ROOT} '
            f'(seed {args.seed})')
        generate_synthetic_voc(DEFAULT_ROOT, seed=args.seed)
    run_pipeline(
        args.data_root,
        args.work_dir,
        dict(baseline=args.baseline_config, hfpl=args.addon_config),
        args.seg_config,
        iters1=args.iters,
        iters3=args.seg_iters,
        scales=args.scales,
        flip=not args.no_flip,
        cls_labels=args.cls_labels,
        seg_on=args.seg_on)


if __name__ == '__main__':
    main()
