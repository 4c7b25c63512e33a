# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Stage 2: write pseudo-label PNGs from a trained CAM model.

    python tools/make_pseudo_labels.py CONFIG CHECKPOINT --split train \
        --out-dir work_dirs/pseudo/train [--scales 0.5 1 1.5 2] [--no-flip] \
        [--bg-mode threshold --bg-threshold 0.26 | --bg-mode power --bg-power 16] \
        [--crf] [--save-cams] [--resume] [--overwrite] [--launcher pytorch]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    from hfpl_mm.utils.config import (CfgOptionsAction, positive_float,
                                      unit_interval)
    p = argparse.ArgumentParser(description='Generate pseudo-label masks')
    p.add_argument('config', help='the CAM config (its model.test_cfg '
                   'holds the inference settings)')
    p.add_argument('checkpoint', help='its trained weights (.pth)')
    p.add_argument('--split', default='train',
                   help="split file stem under ImageSets/Segmentation "
                   "(VOC) or a path to a split/annotation file")
    p.add_argument('--data-root', help='override the dataset data_root')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--scales', type=positive_float, nargs='+',
                   help="inference scales (default: the config's "
                   'model.test_cfg.scales)')
    p.add_argument('--flip', action=argparse.BooleanOptionalAction,
                   help="add flipped copies (default: the config's "
                   'model.test_cfg.flip)')
    p.add_argument('--bg-mode', choices=['threshold', 'power'],
                   help="background rule (default: the config's "
                   'model.test_cfg.bg_mode)')
    p.add_argument('--bg-threshold', type=unit_interval,
                   help="constant background score (default: the config's "
                   'model.test_cfg.bg_threshold, 0.26 unless set)')
    p.add_argument('--bg-power', type=positive_float,
                   help="background (1 - max fg) ** power (default: the "
                   "config's model.test_cfg.bg_power)")
    p.add_argument('--crf', action='store_true',
                   help='refine with a dense CRF (pydensecrf2)')
    p.add_argument('--save-cams', action='store_true',
                   help='also write <stem>.npz with the normalised CAMs')
    p.add_argument('--resume', action='store_true',
                   help='skip images whose PNG already exists')
    p.add_argument('--overwrite', action='store_true',
                   help="replace another run's output in --out-dir")
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    import hfpl_mm  # noqa: F401
    from hfpl_mm.apis import build_cam_inference, generate_pseudo_labels
    cfg = Config.fromfile(args.config)
    from hfpl_mm.utils.config import merge_cfg_options
    merge_cfg_options(cfg, args.cfg_options)
    # the config's model.test_cfg is the one source; the command line
    # overrides only what it is given
    overrides = {
        k: getattr(args, k)
        for k in ('scales', 'flip', 'bg_mode', 'bg_threshold', 'bg_power')
    }
    from hfpl_mm.utils.dist import init_distributed
    init_distributed(args.launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    model, loader = build_cam_inference(
        cfg, args.checkpoint, args.split, args.data_root,
        test_cfg=overrides)
    # the data, the model's test_cfg and the checkpoint's digest are added
    # by generate_pseudo_labels
    settings = dict(
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        cfg_options=args.cfg_options,
        crf=args.crf)
    counts = generate_pseudo_labels(
        model,
        loader,
        args.out_dir,
        save_cams=args.save_cams,
        resume=args.resume,
        crf={} if args.crf else None,
        settings=settings,
        overwrite=args.overwrite)
    print(f'\n{args.out_dir}: written {counts["written"]}, skipped '
          f'{counts["skipped"]}, failed {counts["failed"]}')
    from hfpl_mm.utils.dist import destroy_distributed
    destroy_distributed(1 if counts['failed'] else 0)
    if counts['failed']:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
