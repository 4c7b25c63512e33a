"""COCO (81 classes) through the same tools as VOC: class names and
palette from the dataset meta, labels above 20 evaluated and drawn."""
import os
import os.path as osp
import re

import numpy as np
from helpers import REPO, run_tool
from PIL import Image

from hfpl_mm.apis import dataset_meta_from_config, resolve_dataset_meta
from hfpl_mm.evaluation import evaluate_label_dirs
from hfpl_mm.utils.label_io import palette_bytes, save_png_atomic
from hfpl_mm.datasets import COCOWeakDataset

COCO_SEG = ('configs/deeplab/deeplabv2_r101-d8_4xb4-80k_coco14-pseudo-'
            '512x512.py')
COCO_CAM = 'configs/cam/cam_r50-d16_1xb8-8e_coco14-448x448.py'


def write_coco_like(root, seed=0):
    """Two 24x32 GT / prediction pairs using classes 0, 17, 60 and 80."""
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = osp.join(root, 'gt'), osp.join(root, 'pred')
    os.makedirs(gt_dir)
    os.makedirs(pred_dir)
    pal = palette_bytes(COCOWeakDataset.METAINFO['palette'])
    gts, preds = [], []
    for k in range(2):
        gt = np.zeros((24, 32), np.uint8)
        gt[4:14, 3:13] = 60
        gt[10:20, 18:30] = 80 if k == 0 else 17
        gt[0, :] = 255
        pred = gt.copy()
        pred[0, :] = 0
        pred[4:14, 3:8] = 0  # half of class 60 missed
        pred[rng.integers(0, 24, 5), rng.integers(0, 32, 5)] = 17
        save_png_atomic(gt, osp.join(gt_dir, f'im{k}.png'), pal)
        save_png_atomic(pred, osp.join(pred_dir, f'im{k}.png'), pal)
        gts.append(gt.astype(int))
        preds.append(pred.astype(int))
    return pred_dir, gt_dir, gts, preds


def test_configs_carry_coco_meta():
    for cfg in (COCO_SEG, COCO_CAM):
        meta = dataset_meta_from_config(osp.join(REPO, cfg))
        assert len(meta['classes']) == len(meta['palette']) == 81
        assert meta['classes'][80] == 'toothbrush'
    assert len(resolve_dataset_meta(dataset='voc')['classes']) == 21


def test_coco_labels_evaluated_by_hand(tmp_path):
    pred_dir, gt_dir, gts, preds = write_coco_like(str(tmp_path))
    res = evaluate_label_dirs(pred_dir, gt_dir, 81, count_absent=False)
    # class 60 by hand: predicted on half its pixels, nowhere else
    inter = sum(((p == 60) & (g == 60)).sum() for p, g in zip(preds, gts))
    union = sum((((p == 60) | (g == 60)) & (g != 255)).sum()
                for p, g in zip(preds, gts))
    assert res['iou'][60] == inter / union == 0.5
    assert res['iou'][80] == 1.0  # never confused in image 0
    assert np.isnan(res['iou'][5])  # absent from both


def test_eval_and_visualise_tools_take_coco_from_a_config(tmp_path):
    pred_dir, gt_dir, _, _ = write_coco_like(str(tmp_path))
    res = run_tool('tools/eval_pseudo_labels.py', pred_dir, gt_dir,
                   '--config', COCO_SEG, '--skip-absent')
    # rows are named by COCO's class names, not VOC's
    assert re.search(r'\| +toothbrush +\|', res.stdout)
    assert 'tvmonitor' not in res.stdout
    assert 'images: 2' in res.stdout
    # the VOC default refuses labels above 20 with the file's name
    res = run_tool('tools/eval_pseudo_labels.py', pred_dir, gt_dir,
                   check=False)
    assert res.returncode != 0 and 'im0.png: labels' in res.stderr

    # CAM archives for the visualiser: one class (60) present
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    img_dir = tmp_path / 'img'
    img_dir.mkdir()
    for k in range(2):
        np.savez(cam_dir / f'im{k}.npz', keys=np.array([59]),
                 cams=np.random.rand(1, 24, 32).astype(np.float32))
        Image.fromarray(np.full((24, 32, 3), 128, np.uint8)).save(
            img_dir / f'im{k}.jpg')
    out = tmp_path / 'vis'
    run_tool('tools/visualize_cams.py', str(cam_dir), str(img_dir),
             '--out-dir', str(out), '--gt-dir', gt_dir, '--dataset', 'coco')
    panel = np.array(Image.open(out / 'im0.png'))
    # the GT tile (third; 24x32 tiles enlarged 8x to 192x256, 4-px gaps,
    # under a title banner) shows class 80's COCO colour at 0.6 over the
    # muted image (half-way to light grey: 0.6 grey + 0.4 white)
    colour = np.array(COCOWeakDataset.METAINFO['palette'][80])
    top = int(np.argmax(panel[:, 0, 0] != panel[0, 0, 0]))
    y, x = top + 18 * 8 + 4, 2 * (256 + 4) + 26 * 8 + 4
    muted = 0.5 * 128 + 0.5 * (0.6 * 128 + 0.4 * 255)
    expected = muted * 0.4 + colour * 0.6
    assert (np.abs(panel[y, x].astype(int) - expected) <= 1).all(), (
        panel[y, x], expected)
