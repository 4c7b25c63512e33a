# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Run a WSSS recipe end to end, continuing where a stopped run stopped.

    python tools/run_pipeline.py                    # the main job (below)
    python tools/run_pipeline.py --preset hard --seed 1   # harder synthetic set
    python tools/run_pipeline.py --data-root ../shared/data/real_mini/voc2012_official_gt
    python tools/run_pipeline.py configs/pipelines/hfpl-seam_wr38_voc12aug.py

A recipe (``configs/pipelines/``) names each stage's config: stage 1 trains
every method's CAM network, stage 2 writes and evaluates its pseudo-labels
(CAM mIoU over the reference's background-threshold sweep, contour F), an
optional AffinityNet + random walk refines them, stage 3 trains the
segmentation network on the labels and evaluates it on the val GT. A stage
that finished before with the same settings is skipped. The report goes to
``<work-dir>/report.md`` (+ ``figures/``, ``report.json``) and stdout.

Without a recipe, the main job: ``configs/pipelines/
cam-vs-hfpl_r18h_synthvoc.py`` (vanilla CAM and its HFPL add-on twin on
the synthetic set of --preset / --seed, rendered on first use).
"""
import argparse
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

MAIN_JOB = 'configs/pipelines/cam-vs-hfpl_r18h_synthvoc.py'


def default_root(preset: str, seed: int) -> str:
    """Where the synthetic set of ``preset`` and ``seed`` is rendered when
    no --data-root is given (data/synthvoc for the default preset, seed 0)."""
    name = 'synthvoc' if preset == 'default' else f'synthvoc-{preset}'
    return f'data/{name}' + (f'-seed{seed}' if seed else '')


def build_parser() -> argparse.ArgumentParser:
    from hfpl_mm.utils.config import (CfgOptionsAction, positive_float,
                                      positive_int)
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('recipe', nargs='?',
                   help='recipe config (configs/pipelines/); default: the '
                   f'main job, {MAIN_JOB}, on the synthetic set of --preset '
                   'and --seed')
    p.add_argument('--data-root',
                   help="the recipe's data.root; for the main job a "
                   'VOC-layout folder with GT masks (JPEGImages/, '
                   'SegmentationClass/, and Annotations/ or a cls_labels.npy)'
                   '; default: the recipe\'s, for the main job the synthetic '
                   'set of --preset and --seed, rendered on first use '
                   '(data/synthvoc for the defaults)')
    p.add_argument('--preset', choices=['default', 'hard'], default='default',
                   help='synthetic preset to render (see '
                   'tools/make_synthetic_voc.py)')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the synthetic set to render; with '
                   '--data-root it applies when that folder is rendered '
                   '(--render)')
    p.add_argument('--render', action='store_true',
                   help='render the synthetic set into a --data-root that '
                   'does not exist yet')
    p.add_argument('--work-dir', help="output folder: per-method runs, "
                   "figures/, report.md, report.json (default: the recipe's "
                   'work_dir, work_dirs/pipeline for the main job)')
    p.add_argument('--baseline-config',
                   help="stage-1 CAM config of the recipe's 'baseline' "
                   'method')
    p.add_argument('--addon-config',
                   help="stage-1 CAM config of the recipe's 'hfpl' method "
                   '(the add-on twin)')
    p.add_argument('--seg-config', help='stage-3 segmentation config')
    p.add_argument('--iters', type=positive_int, help='stage-1 iterations '
                   '(default: the config\'s schedule)')
    p.add_argument('--seg-iters', type=positive_int, help='stage-3 iterations '
                   '(default: the config\'s schedule)')
    p.add_argument('--seg-on', nargs='*',
                   help="the methods whose labels stage 3 trains on (none: "
                   "skip stage 3; default: the recipe's segmentation.on)")
    p.add_argument('--scales', type=positive_float, nargs='+',
                   help="CAM inference scales of stage 2 (default: the CAM "
                   "configs' model.test_cfg.scales; the bundled default's "
                   'are 1.0 0.5 1.5)')
    p.add_argument('--flip', action=argparse.BooleanOptionalAction,
                   help="flipped copies at CAM inference (default: the CAM "
                   "configs' model.test_cfg.flip)")
    p.add_argument('--cls-labels', help='cls_labels.npy for folders without '
                   'Annotations/')
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                   help='override recipe settings, key=value (e.g. '
                   'cam.iters=100 affinity.iters=50)')
    return p


def recipe_options(args) -> dict:
    """The command line's overrides of the recipe, as dotted keys."""
    opts = {}
    if args.data_root:
        opts['data.root'] = args.data_root
    for name, config in (('baseline', args.baseline_config),
                         ('hfpl', args.addon_config)):
        if config:
            opts[f'methods.{name}'] = config
    for key, value in (('segmentation.config', args.seg_config),
                       ('cam.iters', args.iters),
                       ('segmentation.iters', args.seg_iters),
                       ('pseudo_labels.test_cfg.scales', args.scales),
                       ('pseudo_labels.test_cfg.flip', args.flip),
                       ('data.cls_labels', args.cls_labels)):
        if value is not None:
            opts[key] = value
    if args.seg_on is not None:
        opts['segmentation.on'] = args.seg_on
    opts.update(args.cfg_options or {})
    return opts


def main():
    p = build_parser()
    args = p.parse_args()
    import hfpl_mm  # noqa: F401
    from mmengine.config import Config

    from hfpl_mm.apis import load_recipe, run_pipeline
    from hfpl_mm.apis.stages import pipeline_log
    from hfpl_mm.utils.config import merge_cfg_options
    recipe = Config.fromfile(args.recipe or osp.join(REPO, MAIN_JOB))
    opts = recipe_options(args)
    if args.seg_on == []:  # no stage 3
        recipe.segmentation = None
        opts = {k: v for k, v in opts.items()
                if not k.startswith('segmentation.')}
    merge_cfg_options(recipe, opts)
    if args.recipe is None:
        root = args.data_root or default_root(args.preset, args.seed)
        recipe.data.root = root
        if not osp.isdir(root):
            if args.data_root and not args.render:
                p.error(f'--data-root {root} does not exist; add --render to '
                        f'render the synthetic set ({args.preset} preset, '
                        f'seed {args.seed}) there')
            from hfpl_mm.datasets.synthetic import generate_synthetic_voc
            pipeline_log(f'rendering the synthetic set into {root} '
                         f'({args.preset} preset, seed {args.seed})')
            generate_synthetic_voc(root, seed=args.seed, preset=args.preset)
        elif args.data_root and (args.seed or args.preset != 'default'
                                 or args.render):
            pipeline_log(f'{root} exists: used as it is (--seed / --preset / '
                         '--render apply only when the folder is rendered)')
    elif args.preset != 'default' or args.seed or args.render:
        p.error('--preset / --seed / --render choose the main job\'s '
                'synthetic set; a recipe names its data (data.root, or '
                '--data-root)')
    run_pipeline(load_recipe(recipe), args.work_dir)


if __name__ == '__main__':
    main()
