"""The main job end to end, shrunk (the full default run is the README's
first command)."""
import json
import os.path as osp
import subprocess
import sys

from helpers import REPO

from hfpl_mm.apis.pipeline import run_pipeline
from hfpl_mm.evaluation.metrics.cam_metrics import BG_THRESHOLDS

CFG = {
    'baseline': 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
    'hfpl': 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
}
SEG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-'
       '128x128.py')


def test_pipeline_on_synthetic(synthetic_voc, tmp_path):
    work = str(tmp_path / 'pipe')
    ctx = run_pipeline(
        synthetic_voc, work, {k: osp.join(REPO, v)
                              for k, v in CFG.items()},
        osp.join(REPO, SEG), iters1=2, iters3=2, scales=(1.0, ),
        seg_on=['hfpl'])
    assert set(ctx['results']) == {'baseline', 'hfpl'}
    for r in ctx['results'].values():
        assert r['num_images'] == 8
        assert 0 <= r['pl_miou'] <= 100 and 0 <= r['contour_f'] <= 100
        assert len(r['mious']) == len(BG_THRESHOLDS)  # the reference grid
        # the pseudo-labels are those at the best threshold
        assert r['pl_miou'] == max(r['mious']) or abs(
            r['pl_miou'] - max(r['mious'])) < 1e-6
    assert 'mIoU' in ctx['seg']['hfpl'] and 'contour/F' in ctx['seg']['hfpl']
    report = open(osp.join(work, 'report.md')).read()
    assert '| baseline |' in report and '| hfpl |' in report
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
