# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Train a model from an hfpl-mm / mmseg config (thin, like mmseg's)."""
import argparse
import logging
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    from hfpl_mm.utils.config import CfgOptionsAction, positive_int
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument(
        '--iters',
        type=positive_int,
        help='train for ITERS iterations: the loop becomes iteration-based, '
        'every PolyLR spans them, validation runs at the end, checkpoints '
        'and the log follow (hfpl_mm.utils.config.iter_schedule_options, '
        "the helper of run_pipeline.py's --iters); default: the config's "
        'schedule')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--allow-missing-pretrained',
        action='store_true',
        help='train from random initialisation where pretrained weights '
        'named in the config cannot be loaded (default: stop with an error; '
        'same as --cfg-options allow_missing_pretrained=True)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    import hfpl_mm  # noqa: F401  (checks mmcv, allow-lists checkpoints)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    from hfpl_mm.utils.config import (check_train_loop, ensure_plugin_import,
                                      iter_schedule_options,
                                      merge_cfg_options)
    ensure_plugin_import(cfg)
    if args.iters is not None:
        # the shortened schedule first: --cfg-options still override it
        merge_cfg_options(cfg, iter_schedule_options(cfg, args.iters))
    merge_cfg_options(cfg, args.cfg_options)
    check_train_loop(cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
            print_log('AMP is already on in the config', 'current',
                      logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    if args.resume and cfg.get('load_from') is None:
        # the newest intact checkpoint when the last save was interrupted
        from hfpl_mm.utils.resume import find_resume_checkpoint
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
    # missing pretrained weights stop the run unless explicitly allowed
    from hfpl_mm.utils.pretrained import check_pretrained
    check_pretrained(
        cfg.model, args.allow_missing_pretrained
        or cfg.get('allow_missing_pretrained', False))
    # creates the process group first where mmengine cannot (CPU hosts)
    from hfpl_mm.utils.dist import destroy_distributed, setup_distributed
    setup_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()
    destroy_distributed()


if __name__ == '__main__':
    main()
