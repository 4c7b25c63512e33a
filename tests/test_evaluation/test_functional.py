import glob
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from hfpl_mm.evaluation import (boundary_counts, boundary_f_measure,
                                confusion_matrix, contour_f_per_class, fill_ignore,
                                iou_from_confusion, mask_boundary,
                                precision_recall_f, tolerance_pixels)


def half_plane(h=4, w=8, edge=5):
    m = np.zeros((h, w), bool)
    m[:, :edge] = True
    return m


def test_boundary_of_a_vertical_edge():
    b = mask_boundary(half_plane())
    expected = np.zeros((4, 8), bool)
    expected[:, 4] = True  # the last foreground column, every row
    assert np.array_equal(b, expected)


def test_partial_match_hand_value():
    gt = half_plane()
    pred = gt.copy()
    pred[2:, :] = True  # lower half all foreground
    # pred boundary: (0,4), (1,4) and row 1 cols 5..7 (above foreground)
    bp = mask_boundary(pred)
    assert sorted(zip(*np.nonzero(bp))) == [(0, 4), (1, 4), (1, 5), (1, 6),
                                            (1, 7)]
    counts = boundary_counts(pred, gt, bound_th=0)
    assert counts == (2, 5, 2, 4)
    p, r, f = precision_recall_f(counts)
    assert (p, r) == (0.4, 0.5)
    assert f == pytest.approx(2 * 0.4 * 0.5 / 0.9)


@pytest.mark.parametrize('shift,tol,expected', [(1, 0, 0.0), (1, 1, 1.0),
                                                 (2, 1, 0.0), (2, 2, 1.0)])
def test_shifted_edge_and_tolerance(shift, tol, expected):
    gt = half_plane(6, 12, 5)
    pred = half_plane(6, 12, 5 + shift)
    assert boundary_f_measure(pred, gt, bound_th=tol) == expected


def test_degenerate_cases_follow_davis():
    empty = np.zeros((5, 5), bool)
    blob = np.zeros((5, 5), bool)
    blob[1:3, 1:3] = True
    assert precision_recall_f(boundary_counts(empty, empty)) == (1, 1, 1)
    assert precision_recall_f(boundary_counts(empty, blob)) == (1, 0, 0)
    assert precision_recall_f(boundary_counts(blob, empty)) == (0, 1, 0)


def test_tolerance_is_fraction_of_diagonal():
    assert tolerance_pixels((300, 400), 0.008) == 4  # ceil(0.008 * 500)
    assert tolerance_pixels((300, 400), 3) == 3


def test_confusion_and_iou_hand_values():
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 2, 2]])
    conf = confusion_matrix(pred, gt, 3)
    assert conf.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    stats = iou_from_confusion(conf)
    np.testing.assert_allclose(stats['iou'], [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(stats['precision'], [1.0, 2 / 3, 1.0])
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(pred + 5, gt, 3)


def test_ignore_band_edge_in_its_middle():
    # foreground cols 0..3, a 2-column ignore band (4, 5), background 6..9:
    # col 4 is nearer to the foreground, col 5 to the background
    gt = np.zeros((4, 10), np.int64)
    gt[:, :4] = 1
    gt[:, 4:6] = 255
    filled = fill_ignore(gt)
    assert (filled[:, :5] == 1).all() and (filled[:, 5:] == 0).all()
    pred = (np.arange(10) < 5).astype(np.int64)[None].repeat(4, 0)
    res = contour_f_per_class(pred, gt, 2, bound_th=0, classes=[1],
                              gt_ignore='nearest')
    assert res[1] == (1.0, 1.0, 1.0)
    short = (np.arange(10) < 4).astype(np.int64)[None].repeat(4, 0)
    assert contour_f_per_class(short, gt, 2, bound_th=0,
                               gt_ignore='nearest')[1][2] == 0.0
    assert contour_f_per_class(short, gt, 2, bound_th=1,
                               gt_ignore='nearest')[1][2] == 1.0
    # the reference's convention: the band is background, so the GT edge is
    # at the band's inner border and the short mask matches it exactly
    assert contour_f_per_class(short, gt, 2, bound_th=0)[1][2] == 1.0


def voc_masks(root):
    paths = sorted(glob.glob(osp.join(root, 'voc2012_official_gt',
                                      'SegmentationClass', '*.png')))
    assert paths
    return [np.array(Image.open(p)) for p in paths]


def test_eroded_rectangle():
    import cv2
    obj = np.zeros((12, 14), np.uint8)
    obj[2:8, 2:10] = 1
    eroded = cv2.erode(obj, np.ones((3, 3), np.uint8))
    assert eroded.sum() == 4 * 6
    # every boundary moves inwards by one pixel (corners by sqrt(2)):
    # nothing coincides, everything lies within a radius-2 disk
    assert boundary_f_measure(eroded, obj, bound_th=0) == 0.0
    assert boundary_f_measure(eroded, obj, bound_th=2) == 1.0


def test_real_masks_against_themselves_and_shifted(real_mini):
    for mask in voc_masks(real_mini):
        per = contour_f_per_class(mask, mask, 21)
        assert per and all(f == 1.0 for _, _, f in per.values())
        for c in [c for c in np.unique(mask) if c not in (0, 255)]:
            obj = mask == c
            if obj[:, :2].any() or obj[:, -2:].any():
                continue  # shifting would move boundary off the image
            shifted = np.zeros_like(obj)
            shifted[:, 2:] = obj[:, :-2]
            # every boundary moves by exactly 2 px: matched within 2 px
            assert boundary_f_measure(shifted, obj, bound_th=2) == 1.0
            assert boundary_f_measure(shifted, obj, bound_th=1) < 1.0
