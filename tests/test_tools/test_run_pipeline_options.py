"""tools/run_pipeline.py: the command line's options land in the recipe."""
import importlib.util
import os.path as osp

from helpers import REPO
from mmengine.config import Config

spec = importlib.util.spec_from_file_location(
    'run_pipeline', osp.join(REPO, 'tools', 'run_pipeline.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

SYNTH = 'configs/synthetic/'
SEAM = SYNTH + 'seam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
SEAM_HFPL = SYNTH + 'hfpl-seam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def test_any_baseline_and_addon_pair_runs_through_the_main_job():
    args = tool.build_parser().parse_args(
        ['--baseline-config', SEAM, '--addon-config', SEAM_HFPL, '--iters',
         '7', '--no-flip', '--cfg-options', 'affinity.iters=3'])
    opts = tool.recipe_options(args)
    assert opts == {
        'methods.baseline': SEAM,
        'methods.hfpl': SEAM_HFPL,
        'cam.iters': 7,
        'pseudo_labels.test_cfg.flip': False,
        'affinity.iters': 3
    }
    from hfpl_mm.utils.config import merge_cfg_options
    recipe = Config.fromfile(osp.join(REPO, tool.MAIN_JOB))
    assert recipe.methods.baseline != SEAM
    merge_cfg_options(recipe, opts)
    assert recipe.methods.baseline == SEAM
    assert recipe.methods.hfpl == SEAM_HFPL
    for path in (SEAM, SEAM_HFPL):
        assert osp.isfile(osp.join(REPO, path))
    # nothing given: the recipe as it is
    assert tool.recipe_options(tool.build_parser().parse_args([])) == {}
