"""make_pseudo_labels / eval / visualise tools, end to end on tiny data."""
import glob
import json
import os
import os.path as osp
import re

import numpy as np
from helpers import REPO, run_tool
from PIL import Image

CONFIG = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def test_make_eval_visualise(synthetic_voc, checkpoint, tmp_path):
    out = str(tmp_path / 'pl')
    common = [CONFIG, checkpoint, '--split', 'val', '--data-root',
              synthetic_voc, '--out-dir', out, '--scales', '1.0', '0.5']
    res = run_tool('tools/make_pseudo_labels.py', *common, '--save-cams')
    assert 'written 4, skipped 0, failed 0' in res.stdout
    stems = sorted(n[:-4] for n in os.listdir(out) if n.endswith('.png'))
    assert stems == ['synth_00008', 'synth_00009', 'synth_00010',
                     'synth_00011']
    for s in stems:
        label = np.array(Image.open(osp.join(out, s + '.png')))
        assert label.shape == (64, 64)
        with np.load(osp.join(out, s + '.npz')) as z:
            keys = z['keys']
            assert z['cams'].shape == (len(keys), 64, 64)
        # only background and the image's own classes appear
        assert set(np.unique(label)) <= {0} | set((keys + 1).tolist())
    assert not [n for n in os.listdir(out) if 'tmp' in n]

    # rerun with --resume: nothing recomputed
    res = run_tool('tools/make_pseudo_labels.py', *common, '--save-cams',
                   '--resume')
    assert 'written 0, skipped 4, failed 0' in res.stdout

    # another run's settings into the same folder are refused
    res = run_tool('tools/make_pseudo_labels.py', *common, '--bg-threshold',
                   '0.3', check=False)
    assert res.returncode != 0
    assert 'holds pseudo-labels of another run' in res.stderr
    manifest = json.load(open(osp.join(out, 'pseudo_labels.json')))
    # the config's threshold (the reference's 0.26) when not given
    assert manifest['settings']['test_cfg']['bg_threshold'] == 0.26
    # ... unless asked to
    # (--overwrite removes the previous run's files; the CAMs are written
    # again for the visualisation below)
    res = run_tool('tools/make_pseudo_labels.py', *common, '--bg-threshold',
                   '0.3', '--overwrite', '--crf', '--save-cams')
    assert 'written 4' in res.stdout

    gt = osp.join(synthetic_voc, 'SegmentationClass')
    res = run_tool('tools/eval_pseudo_labels.py', out, gt)
    assert 'mIoU:' in res.stdout and 'contour F:' in res.stdout
    # the GT scores perfectly against itself; by the reference's averaging
    # the classes absent from this data count as IoU 0 (and contour F 1)
    res = run_tool('tools/eval_pseudo_labels.py', gt, gt, '--skip-absent')
    assert 'mIoU: 100.00' in res.stdout
    assert 'contour F: 100.00' in res.stdout
    present = set()
    for n in os.listdir(gt):
        present |= set(np.unique(np.array(Image.open(osp.join(gt, n)))))
    present.discard(255)
    res = run_tool('tools/eval_pseudo_labels.py', gt, gt)
    assert f'mIoU: {100 * len(present) / 21:.2f} over 21 classes' in \
        res.stdout
    assert 'contour F: 100.00' in res.stdout
    # absent classes are named as such, not printed as nan, and the summary
    # says how they were averaged and what --skip-absent would give
    from mmseg.datasets import PascalVOCDataset
    names = PascalVOCDataset.METAINFO['classes']
    assert 'nan' not in res.stdout
    for c, name in enumerate(names):
        row = re.search(rf'\| +{name} +\|(.*)\|', res.stdout).group(1)
        assert ('absent' in row) == (c not in present), (name, row)
    assert (f'{21 - len(present)} classes absent from GT and prediction'
            in res.stdout)
    assert 'without them (--skip-absent): mIoU 100.00, contour F 100.00' in \
        res.stdout

    vis = str(tmp_path / 'vis')
    res = run_tool('tools/visualize_cams.py', out,
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir', vis,
                   '--label-dir', out, '--gt-dir', gt, '--num', '2')
    pngs = sorted(os.listdir(vis))
    assert len(pngs) == 2
    panel = np.array(Image.open(osp.join(vis, pngs[0])))
    # image, a heat-map per class of the image, pseudo-label, GT: 64-px
    # tiles enlarged to 192 px, 4-px gaps, titles above, a legend below
    keys = np.load(osp.join(out, pngs[0][:-4] + '.npz'))['keys']
    tiles = 1 + max(len(keys), 1) + 2
    assert panel.shape[1] == tiles * 192 + (tiles - 1) * 4
    assert panel.shape[0] > 192 + 20


def test_eval_reports_size_mismatch(synthetic_voc, tmp_path):
    pred = tmp_path / 'pred'
    pred.mkdir()
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(pred / 'synth_00000.png')
    res = run_tool('tools/eval_pseudo_labels.py', str(pred),
                   osp.join(synthetic_voc, 'SegmentationClass'), check=False)
    assert res.returncode != 0
    assert 'synth_00000.png is (5, 5)' in res.stderr


def test_test_tool_reports_sweep_and_contour(synthetic_voc, checkpoint,
                                             tmp_path):
    res = run_tool('tools/test.py', CONFIG, checkpoint, '--work-dir',
                   str(tmp_path), '--cfg-options',
                   f'test_dataloader.dataset.data_root={synthetic_voc}',
                   'test_dataloader.num_workers=0',
                   'test_dataloader.persistent_workers=False')
    log = res.stdout + res.stderr
    assert 'cam/best_mIoU' in log and 'contour/F' in log
    assert 'mIoU against background threshold' in log
    # the sweep's plot and CSV land in the work dir without any option
    assert osp.isfile(osp.join(tmp_path, 'miou_vs_threshold.png'))
    assert osp.isfile(osp.join(tmp_path, 'miou_vs_threshold.csv'))


def test_test_tool_out_and_show_dir(synthetic_voc, checkpoint, tmp_path):
    out, work = str(tmp_path / 'preds'), str(tmp_path / 'work')
    run_tool('tools/test.py', CONFIG, checkpoint, '--work-dir', work,
             '--out', out, '--show-dir', 'painted', '--cfg-options',
             f'test_dataloader.dataset.data_root={synthetic_voc}',
             'default_hooks.visualization.interval=1',
             'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False')
    with open(osp.join(synthetic_voc, 'ImageSets', 'Segmentation',
                       'val.txt')) as f:
        val = f.read().split()
    # --out: one label PNG per test image (mmseg's IoUMetric output_dir),
    # the CAM model's pseudo-label at its background threshold
    assert sorted(os.listdir(out)) == sorted(v + '.png' for v in val)
    pred = np.array(Image.open(osp.join(out, val[0] + '.png')))
    assert pred.shape == (64, 64) and pred.max() <= 20
    # --show-dir: the painted predictions in the work dir, not the cwd
    painted = glob.glob(osp.join(work, 'painted', 'vis_data', 'vis_image',
                                 '*.png'))
    assert len(painted) == len(val)
    assert not osp.exists(osp.join(REPO, 'painted'))
