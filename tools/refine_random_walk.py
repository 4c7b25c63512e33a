# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Refine CAMs with a trained AffinityNet (random walk) into pseudo-labels.

    python tools/refine_random_walk.py AFF_CONFIG AFF_CHECKPOINT CAM_DIR IMG_DIR \
        --out-dir DIR [--bg-power 6] [--beta 8] [--logt 6] [--resume] [--overwrite]
"""
import argparse
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    from hfpl_mm.utils.config import positive_float
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('config', help='the AffinityNet config')
    p.add_argument('checkpoint', help='its trained weights (.pth)')
    p.add_argument('cam_dir', help='folder of CAM archives (.npz of '
                   'make_pseudo_labels.py --save-cams)')
    p.add_argument('img_dir', help='folder of the images')
    p.add_argument('--out-dir', required=True)
    p.add_argument(
        '--bg-power', type=positive_float, default=6.0,
        help='background (1 - max fg) ** bg_power before the walk '
        '(default: %(default)s, the reference)')
    p.add_argument('--beta', type=float,
                   help='affinity power (default: the config, 8)')
    p.add_argument('--logt', type=int,
                   help='2 ** logt walk steps (default: the config, 6)')
    p.add_argument('--resume', action='store_true',
                   help='skip finished images of the same run (same '
                   'settings, inputs and checkpoint)')
    p.add_argument('--overwrite', action='store_true',
                   help="replace another run's labels in --out-dir")
    p.add_argument('--img-suffix', default='.jpg')
    args = p.parse_args()
    from hfpl_mm.apis import init_model, resolve_dataset_meta
    from hfpl_mm.apis.affinity import refine_with_random_walk
    model = init_model(
        args.config, args.checkpoint,
        test_cfg={
            k: getattr(args, k)
            for k in ('beta', 'logt') if getattr(args, k) is not None
        })
    # the palette of the data the model was trained on (checkpoint meta),
    # else that of the config's dataset
    meta = resolve_dataset_meta(model, config=model.cfg)
    counts = refine_with_random_walk(
        model, args.cam_dir, args.img_dir, args.out_dir, meta['palette'],
        args.bg_power, args.img_suffix, args.resume, args.overwrite,
        settings=dict(config=osp.abspath(args.config),
                      checkpoint=osp.abspath(args.checkpoint)))
    print(f'\n{args.out_dir}: written {counts["written"]}, skipped '
          f'{counts["skipped"]}')


if __name__ == '__main__':
    main()
