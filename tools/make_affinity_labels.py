# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet training labels from CAM archives (make_pseudo_labels.py
--save-cams): confident foreground (alpha_low) and background (alpha_high),
255 in between, refined with a dense CRF as in the reference.

    python tools/make_affinity_labels.py CAM_DIR IMG_DIR --out-dir DIR \
        [--alpha-low 4] [--alpha-high 32] [--no-crf]
"""
import argparse


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('cam_dir')
    p.add_argument('img_dir')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--alpha-low', type=float, default=4.0)
    p.add_argument('--alpha-high', type=float, default=32.0)
    p.add_argument('--no-crf', action='store_true')
    p.add_argument('--img-suffix', default='.jpg')
    args = p.parse_args()
    from mmseg.datasets import PascalVOCDataset

    from hfpl_mm.apis.affinity import make_affinity_labels
    n = make_affinity_labels(args.cam_dir, args.img_dir, args.out_dir,
                             PascalVOCDataset.METAINFO['palette'],
                             args.alpha_low, args.alpha_high,
                             not args.no_crf, args.img_suffix)
    print(f'\n{args.out_dir}: wrote {n} affinity labels')


if __name__ == '__main__':
    main()
