# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet training data from CAM archives (make_pseudo_labels.py
--save-cams): dense-CRF score maps of the background-heavy (alpha_low) and
background-light (alpha_high) power scores, one <id>.npz per image (keys, la,
ha), read by AffinityLabelDataset, as in the reference.

    python tools/make_affinity_labels.py CAM_DIR IMG_DIR --out-dir DIR \
        [--alpha-low 1] [--alpha-high 24] [--no-crf]
"""
import argparse
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    from hfpl_mm.apis.affinity import AFFINITY_ALPHAS
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('cam_dir', help='folder of CAM archives (.npz)')
    p.add_argument('img_dir', help='folder of the images')
    p.add_argument('--out-dir', required=True, help='where the .npz go')
    p.add_argument(
        '--alpha-low', type=float, default=AFFINITY_ALPHAS[0],
        help='background power of the confident-foreground scores '
        '(default: %(default)s, the reference)')
    p.add_argument(
        '--alpha-high', type=float, default=AFFINITY_ALPHAS[1],
        help='background power of the confident-background scores '
        '(default: %(default)s, the reference)')
    p.add_argument('--no-crf', action='store_true',
                   help='use the power scores without the dense CRF')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--overwrite', action='store_true',
                   help="replace another run's labels in --out-dir")
    args = p.parse_args()
    from hfpl_mm.apis.affinity import make_affinity_labels
    n = make_affinity_labels(args.cam_dir, args.img_dir, args.out_dir,
                             args.alpha_low, args.alpha_high,
                             not args.no_crf, args.img_suffix,
                             args.overwrite)
    print(f'\n{args.out_dir}: wrote {n} affinity labels')


if __name__ == '__main__':
    main()
