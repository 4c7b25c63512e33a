"""The main job end to end, shrunk (the full default run is the README's
first command)."""
import glob
import json
import os.path as osp
import subprocess
import sys

import numpy as np
from helpers import REPO
from PIL import Image

from hfpl_mm.apis.pipeline import run_pipeline
from hfpl_mm.utils.cam_labels import BG_THRESHOLDS

CFG = {
    'baseline': 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
    'hfpl': 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
}
SEG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-'
       '128x128.py')


def miou_by_hand(label_dir, gt_dir):
    """mIoU (%) over the classes in GT or prediction, GT 255 ignored."""
    inter, union = np.zeros(256), np.zeros(256)
    for path in sorted(glob.glob(osp.join(label_dir, '*.png'))):
        pred = np.array(Image.open(path)).astype(int)
        gt = np.array(Image.open(osp.join(gt_dir, osp.basename(path))))
        keep = gt != 255
        for c in range(21):
            p, g = (pred == c) & keep, (gt == c) & keep
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    present = union > 0
    return 100 * float((inter[present] / union[present]).mean())


def test_pipeline_on_synthetic(synthetic_voc, tmp_path):
    work = str(tmp_path / 'pipe')
    ctx = run_pipeline(
        synthetic_voc, work, {k: osp.join(REPO, v)
                              for k, v in CFG.items()},
        osp.join(REPO, SEG), iters1=2, iters3=2, scales=(1.0, ),
        seg_on=['hfpl'])
    assert set(ctx['results']) == {'baseline', 'hfpl'}
    gt_dir = osp.join(synthetic_voc, 'SegmentationClass')
    for r in ctx['results'].values():
        assert r['num_images'] == 8
        assert len(r['mious']) == len(BG_THRESHOLDS)  # the reference grid
        # the reported pseudo-label mIoU is that of the PNGs written, and
        # they are the labels at the best threshold of the sweep
        assert abs(r['pl_miou'] - miou_by_hand(r['label_dir'], gt_dir)) < 1e-6
        assert abs(r['pl_miou'] - max(r['mious'])) < 1e-6
        assert r['best_threshold'] == BG_THRESHOLDS[int(np.argmax(
            r['mious']))]
        assert 0 <= r['contour_f'] <= 100
    # the iteration options reached both training runs
    assert ctx['iters1'] == ctx['iters3'] == '2 iterations'
    for name in ('baseline', 'hfpl'):
        assert osp.isfile(osp.join(work, name, 'iter_2.pth'))
    assert osp.isfile(osp.join(work, 'hfpl', 'seg', 'iter_2.pth'))
    assert 'mIoU' in ctx['seg']['hfpl'] and 'contour/F' in ctx['seg']['hfpl']
    report = open(osp.join(work, 'report.md')).read()
    assert '| baseline |' in report and '| hfpl |' in report
    assert 'Stage 1: 2 iterations' in report
    hfpl = ctx['results']['hfpl']
    assert f'| {hfpl["pl_miou"]:.2f} |' in report
    assert osp.isfile(osp.join(work, 'figures', 'threshold_curves.png'))
    assert len(ctx['overlays']) == 4
    data = json.load(open(osp.join(work, 'report.json')))
    assert data['results']['hfpl']['best_threshold'] in BG_THRESHOLDS


def test_pipeline_cli_on_real_mini(real_mini, tmp_path):
    root = osp.join(real_mini, 'voc2012_official_gt')
    out = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--data-root', root,
         '--work-dir', str(tmp_path / 'pipe'), '--iters', '2',
         '--seg-iters', '2', '--scales', '1.0', '--seg-on', 'hfpl'],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert 'train and val both use all 5 images' in out.stdout
    assert '# hfpl-mm pipeline report' in out.stdout


def test_cli_documents_every_option():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'run_pipeline_tool', osp.join(REPO, 'tools', 'run_pipeline.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    actions = [a for a in tool.build_parser()._actions
               if a.option_strings and a.dest != 'help']
    assert len(actions) >= 14
    for a in actions:
        assert a.help and len(a.help) > 10, a.option_strings
    assert tool.default_root('default', 0) == 'data/synthvoc'
    assert tool.default_root('hard', 2) == 'data/synthvoc-hard-seed2'


def test_cli_missing_data_root_says_how_to_render(tmp_path):
    missing = str(tmp_path / 'nowhere')
    out = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--data-root', missing,
         '--seed', '3'], cwd=REPO, capture_output=True, text=True,
        timeout=300)
    assert out.returncode == 2
    assert f'--data-root {missing} does not exist; add --render' in out.stderr
    assert 'seed 3' in out.stderr
    assert not osp.exists(missing)
