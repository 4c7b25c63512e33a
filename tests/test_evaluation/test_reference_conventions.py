"""Metrics computed the way the reference does: the contour F disk, the
threshold grid and the CAM evaluation split."""
import os.path as osp

import numpy as np
import pytest
import torch
from helpers import REPO
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

from hfpl_mm.evaluation.functional import (contour_counts_per_class,
                                           contour_f_from_counts,
                                           contour_f_per_class, disk_kernel,
                                           mean_iou)
from hfpl_mm.utils.cam_labels import BG_THRESHOLDS


def sample(gt, pred, scores=None):
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    if scores is not None:
        s.seg_logits = PixelData(data=torch.as_tensor(scores).float())
    return s.to_dict()


# ------------------------------------------------- contour F tolerance disk
def test_disk_is_exact():
    k = disk_kernel(5)
    assert k.sum() == 81  # cv2.MORPH_ELLIPSE would give 89
    y, x = np.nonzero(k)
    assert ((y - 5)**2 + (x - 5)**2 <= 25).all()
    assert disk_kernel(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def test_mask_against_itself_with_ignore_band_as_background():
    gt = np.zeros((20, 20), np.int64)
    gt[5:15, 5:15] = 1
    gt[4, 4:16] = 255  # an ignore band above the object
    pred = np.where(gt == 255, 0, gt)
    counts = contour_counts_per_class(gt, gt, 2)
    assert counts[1][0] == counts[1][1] == counts[1][2] == counts[1][3] > 0
    # the band counts as background, so a prediction without it is perfect
    per = contour_counts_per_class(pred, gt, 2, bound_th=0)
    out = contour_f_from_counts(np.array([[0] * 4, per[1]]))
    assert out['F'] == 1.0


def test_dataset_accumulation_and_foreground_mean():
    # class 1: image A perfect (boundary n_a), image B missed (GT n_b); the
    # reference sums counts, so P = 1 and R = n_a / (n_a + n_b)
    a = np.zeros((10, 10), np.int64)
    a[2:8, 2:8] = 1
    b = np.zeros((10, 10), np.int64)
    b[3:5, 3:5] = 1
    ka = contour_counts_per_class(a, a, 3)[1]
    kb = contour_counts_per_class(np.zeros_like(b), b, 3)[1]
    total = np.zeros((3, 4), np.int64)
    total[1] = np.add(ka, kb)
    r = ka[3] / (ka[3] + kb[3])
    out = contour_f_from_counts(total)
    f1 = 2 * r / (1 + r)
    # class 2 is absent everywhere and scores 1; background is not averaged
    assert out['F'] == pytest.approx((f1 + 1.0) / 2)
    assert out['per_class'][2] == (1.0, 1.0, 1.0)
    assert 0 not in out['per_class']
    skip = contour_f_from_counts(total, count_absent=False)
    assert skip['F'] == pytest.approx(f1)


def test_metric_defaults_are_the_reference_convention():
    metric = METRICS.build(dict(type='ContourFMetric', bound_th=0))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    gt = np.zeros((9, 8), np.int64)
    gt[2:6, 2:6] = 1
    gt[6:8, :] = 255  # a band under the object: 'nearest' grows it a row
    pred = np.where(gt == 255, 0, gt)
    metric.process({}, [sample(gt, pred)])
    # class a perfect (band = background), class b absent -> 1: mean 100
    assert metric.evaluate(1)['contour/F'] == 100.0
    nearest = METRICS.build(
        dict(type='ContourFMetric', bound_th=0, gt_ignore='nearest'))
    nearest.dataset_meta = metric.dataset_meta
    nearest.process({}, [sample(gt, pred)])
    assert nearest.evaluate(1)['contour/F'] < 100.0


def test_labelme_vs_official_masks(real_mini):
    """Real masks: each official VOC mask against itself scores 1 under the
    reference convention; the labelme re-annotations against the official
    masks score differently under the two conventions."""
    import glob

    from PIL import Image
    official = osp.join(real_mini, 'voc2012_official_gt', 'SegmentationClass')
    labelme = osp.join(real_mini, 'labelme_voc_examples', 'SegmentationClass')
    ref = np.zeros((21, 4), np.int64)
    per_image = []
    for path in sorted(glob.glob(osp.join(labelme, '*.png'))):
        gt = np.array(Image.open(osp.join(official, osp.basename(path))))
        pred = np.array(Image.open(path))
        self_counts = contour_counts_per_class(gt, gt, 21)
        assert all(k[0] == k[1] == k[2] == k[3] for k in self_counts.values())
        for c, k in contour_counts_per_class(pred, gt, 21).items():
            ref[c] += k
        per_image += [
            f for _, _, f in contour_f_per_class(
                pred, gt, 21, gt_ignore='nearest').values()
        ]
    assert len(per_image) > 3
    ref_f = contour_f_from_counts(ref)['F']
    assert 0 < ref_f < 1
    assert abs(ref_f - np.mean(per_image)) > 0.01


# ---------------------------------------------- background-threshold grid
def test_reference_threshold_grid():
    assert len(BG_THRESHOLDS) == 60
    assert BG_THRESHOLDS[0] == 0.0 and BG_THRESHOLDS[-1] == 0.59
    assert BG_THRESHOLDS[26] == 0.26
    metric = METRICS.build(dict(type='CAMThresholdSweepMetric'))
    assert metric.thresholds == list(BG_THRESHOLDS)


def test_absent_class_counts_zero():
    iou = np.array([0.5, 1.0, np.nan, np.nan])
    assert mean_iou(iou) == pytest.approx(1.5 / 4)
    assert mean_iou(iou, count_absent=False) == pytest.approx(0.75)
    metric = METRICS.build(
        dict(type='CAMThresholdSweepMetric', thresholds=[0.5]))
    metric.dataset_meta = dict(classes=('background', 'a', 'b', 'c'))
    scores = np.zeros((4, 1, 2), np.float32)
    scores[1] = [[0.0, 0.9]]
    gt = np.array([[0, 1]])
    metric.process({}, [sample(gt, gt, scores)])
    # bg 1, a 1, b and c absent -> 0: (1 + 1) / 4
    assert metric.evaluate(1)['cam/best_mIoU'] == 50.0


# ------------------------------------------------- CAM evaluation split
@pytest.mark.parametrize('path', [
    'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'configs/seam/hfpl-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
    'configs/puzzlecam/puzzlecam_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'configs/cam/hfpl-cam_r50-d16_1xb8-8e_coco14-448x448.py',
])
def test_cam_configs_evaluate_sweep_and_contour(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    types = [e['type'] for e in cfg.test_evaluator]
    assert types == ['CAMThresholdSweepMetric', 'ContourFMetric']
    for e in cfg.test_evaluator:
        assert e.get('count_absent', True)  # the reference's averaging
    if 'voc12' in path:  # CAMs are evaluated on VOC train, as the reference
        assert cfg.test_dataloader.dataset.ann_file.endswith('/train.txt')
