# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test evaluator (thin, like
mmseg's): CAM models report the threshold sweep and contour F-score,
segmentation models mIoU and contour F-score."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.runner import Runner

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    from hfpl_mm.utils.config import CfgOptionsAction
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a checkpoint whose keys do not match the model (default: '
        'refuse missing or unexpected keys, e.g. a segmentation checkpoint on '
        'a CAM config)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation as mmseg's: the config's tta_pipeline "
        'and tta_model (the DeepLab-v1 configs: scales 0.5-1.75 + flip, '
        'logits averaged, dense CRF, as the reference)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    from hfpl_mm.utils.dist import destroy_distributed, setup_distributed
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    from hfpl_mm.utils.config import merge_cfg_options
    merge_cfg_options(cfg, args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = None  # loaded below, strictly
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise KeyError(f'{args.config} has no tta_model / tta_pipeline '
                           'for --tta')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    setup_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(
        args.checkpoint, map_location='cpu', strict=not args.non_strict)
    runner.test()
    destroy_distributed()


if __name__ == '__main__':
    main()
