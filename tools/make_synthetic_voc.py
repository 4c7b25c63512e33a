# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Render the bundled default dataset (VOC layout) from a seed.

    python tools/make_synthetic_voc.py data/synthvoc [--num-train 240]
        [--num-val 60] [--size 160] [--seed 0] [--preset default|hard]
        [--overwrite]

``--preset hard`` renders what photographs have and the default lacks:
two to four touching, occluding classes per image, two-tone and partly
camouflaged objects, clutter of no class, a lighting gradient and blur.
"""
import argparse
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('out_dir', help='folder to render the VOC-layout set '
                   'into (created)')
    p.add_argument('--num-train', type=int, default=240)
    p.add_argument('--num-val', type=int, default=60)
    p.add_argument('--size', type=int, default=160)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--preset', choices=['default', 'hard'], default='default',
                   help='default: 1-3 objects with colour-edge outlines; '
                   'hard: co-occurring touching classes, two-tone and '
                   'camouflaged objects, clutter, lighting, blur')
    p.add_argument('--overwrite', action='store_true')
    args = p.parse_args()
    from hfpl_mm.datasets.synthetic import generate_synthetic_voc
    out = generate_synthetic_voc(args.out_dir, args.num_train, args.num_val,
                                 args.seed, (args.size, args.size),
                                 overwrite=args.overwrite,
                                 preset=args.preset)
    print(f'wrote {args.num_train} train + {args.num_val} val images '
          f'({args.preset} preset, seed {args.seed}) to {out}')


if __name__ == '__main__':
    main()
