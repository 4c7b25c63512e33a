# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test evaluator (thin, like
mmseg's): CAM models report the threshold sweep and contour F-score (the
sweep's plot and CSV go into the work dir), segmentation models mIoU and
contour F-score. ``--show-dir`` / ``--show`` draw the predictions and
``--out`` saves them as PNGs, with mmseg's meaning."""
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
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='where logs, metrics and the threshold-sweep plot go '
        '(default: ./work_dirs/<config name>)')
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
    parser.add_argument(
        '--out',
        help='save the predictions (label PNGs) in this folder, for offline '
        "evaluation (mmseg's --out: IoUMetric's output_dir; an IoUMetric "
        'is added where the evaluator has none, e.g. a CAM config, whose '
        'predictions are the pseudo-labels at its background threshold)')
    parser.add_argument(
        '--show', action='store_true', help='show the prediction results')
    parser.add_argument(
        '--show-dir',
        help="folder for the painted predictions (mmseg's --show-dir: "
        "every default_hooks.visualization.interval-th image, 50 in mmseg's "
        'runtime; a relative folder lies in the work dir: '
        '<work_dir>/SHOW_DIR/vis_data/vis_image/)')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='the interval of --show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def evaluators(cfg) -> list:
    """The test evaluator's metric configs (a list, a dict with
    ``metrics``, or one metric)."""
    ev = cfg.test_evaluator
    if isinstance(ev, dict) and 'metrics' in ev:
        return ev['metrics']
    return ev if isinstance(ev, list) else [ev]


def sweep_plot_to_work_dir(cfg) -> None:
    """A ``CAMThresholdSweepMetric`` without ``out_dir`` writes its plot and
    CSV into the work dir."""
    for metric in evaluators(cfg):
        if metric.get('type') == 'CAMThresholdSweepMetric' and not \
                metric.get('out_dir'):
            metric['out_dir'] = cfg.work_dir


def trigger_visualization_hook(cfg, args) -> None:
    """Switch on mmseg's ``SegVisualizationHook`` (``--show`` /
    ``--show-dir``), as mmseg's test script does."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise RuntimeError(
            f'{args.config}: --show / --show-dir need the visualization hook '
            "in default_hooks (dict(type='SegVisualizationHook'))")
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        # a relative folder lies in the work dir, as mmseg documents it
        cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, args.show_dir)


def save_predictions_to(cfg, out_dir: str) -> None:
    """``--out``: an ``IoUMetric`` of the evaluator writes every
    prediction as a label PNG into ``out_dir`` (one is added where the
    evaluator has none)."""
    metrics = evaluators(cfg)
    ious = [m for m in metrics if m.get('type') == 'IoUMetric']
    if not ious:
        ious = [dict(type='IoUMetric', iou_metrics=['mIoU'])]
        metrics.append(ious[0])
        if not isinstance(cfg.test_evaluator, list) and \
                'metrics' not in cfg.test_evaluator:
            cfg.test_evaluator = metrics
    for m in ious:
        m.update(output_dir=out_dir, keep_results=True)


def main():
    args = parse_args()
    from hfpl_mm.utils.dist import destroy_distributed, setup_distributed
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    from hfpl_mm.utils.config import ensure_plugin_import, merge_cfg_options
    ensure_plugin_import(cfg)
    merge_cfg_options(cfg, args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    sweep_plot_to_work_dir(cfg)
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    if args.out:
        save_predictions_to(cfg, args.out)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = None  # loaded below, strictly
    # testing builds no training parts: mmengine would otherwise build the
    # training loop, and read the training images, the first time a hook
    # asks for the iteration (the visualization hook of --show-dir does)
    cfg.train_dataloader = cfg.train_cfg = None
    cfg.optim_wrapper = cfg.param_scheduler = None
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
