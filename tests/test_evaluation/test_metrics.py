import numpy as np
import pytest
import torch
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from hfpl_mm.evaluation import threshold_predictions


def sample(scores, gt, pred=None):
    s = SegDataSample()
    s.seg_logits = PixelData(data=torch.as_tensor(scores, dtype=torch.float32))
    s.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    if pred is not None:
        s.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    return s.to_dict()


def test_threshold_predictions_hand_values():
    scores = np.zeros((3, 1, 3), np.float32)
    scores[1] = [[0.1, 0.6, 0.3]]
    scores[2] = [[0.2, 0.4, 0.9]]
    preds = threshold_predictions(scores, [0.15, 0.5])
    assert preds.tolist() == [[[2, 1, 2]], [[0, 1, 2]]]


def test_sweep_metric_best_threshold(tmp_path):
    metric = METRICS.build(
        dict(type='CAMThresholdSweepMetric', thresholds=[0.15, 0.5],
             out_dir=str(tmp_path)))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    scores = np.zeros((3, 1, 3), np.float32)
    scores[1] = [[0.1, 0.6, 0.3]]
    scores[2] = [[0.2, 0.4, 0.9]]
    gt = np.array([[0, 1, 2]])
    metric.process({}, [sample(scores, gt)])
    res = metric.evaluate(1)
    # t=0.15: pred [2,1,2] -> IoU bg 0, a 1, b 1/2 -> 50%; t=0.5: perfect
    assert res['cam/best_threshold'] == 0.5
    assert res['cam/best_mIoU'] == 100.0
    assert (tmp_path / 'miou_vs_threshold.png').exists()
    lines = (tmp_path / 'miou_vs_threshold.csv').read_text().splitlines()
    assert lines[1] == '0.1500,50.0000'


@pytest.mark.parametrize('reduction, expected', [('image', 50.0),
                                                  ('dataset', 200 / 3)])
def test_contour_metric_perfect_and_wrong(reduction, expected):
    metric = METRICS.build(
        dict(type='ContourFMetric', bound_th=0, reduction=reduction))
    metric.dataset_meta = dict(classes=('background', 'a'))
    gt = np.zeros((6, 6), np.int64)
    gt[1:4, 1:4] = 1
    wrong = np.zeros_like(gt)
    metric.process({}, [sample(np.zeros((2, 6, 6)), gt, gt)])
    metric.process({}, [sample(np.zeros((2, 6, 6)), gt, wrong)])
    res = metric.evaluate(2)
    # 'image': pairs img1 bg F=1, a F=1; img2 bg F=0 (no pred boundary), a 0
    # 'dataset': class a only, counts summed: pred boundary n all matched,
    # GT boundary 2n half matched -> P=1, R=1/2, F=2/3
    assert res['contour/F'] == pytest.approx(expected, abs=0.01)


def test_contour_metric_scores_cams_at_its_own_background_threshold():
    """bg_threshold: the labels come from the CAM scores with that constant
    background (the reference's 0.25), not from pred_sem_seg (0.26)."""
    gt = np.zeros((6, 6), np.int64)
    gt[1:4, 1:4] = 1
    scores = np.zeros((2, 6, 6), np.float32)
    scores[0] = 0.26  # the model's own background, as CAMSegmentor writes
    scores[1][gt == 1] = 0.255  # above 0.25, below 0.26
    background_everywhere = np.zeros_like(gt)
    results = {}
    for t in (None, 0.25):
        metric = METRICS.build(
            dict(type='ContourFMetric', bound_th=0, bg_threshold=t))
        metric.dataset_meta = dict(classes=('background', 'a'))
        metric.process({}, [sample(scores, gt, background_everywhere)])
        results[t] = metric.evaluate(1)['contour/F']
    assert results[0.25] == 100.0  # the square is found at 0.25
    assert results[None] == 0.0  # pred_sem_seg (0.26) has no object
    with pytest.raises(ValueError, match='bg_threshold'):
        METRICS.build(dict(type='ContourFMetric', bg_threshold=26))
