# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test evaluator (thin, like
mmseg's): CAM models report the threshold sweep and contour F-score,
segmentation models mIoU and contour F-score."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
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
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    setup_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.test()
    destroy_distributed()


if __name__ == '__main__':
    main()
