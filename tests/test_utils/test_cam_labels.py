"""The one CAM-to-label rule: every user of it gives the same labels."""
import numpy as np
import pytest
import torch

from hfpl_mm.apis.affinity import power_scores
from hfpl_mm.evaluation.metrics import threshold_predictions
from hfpl_mm.models.segmentors.cam_segmentor import cams_to_scores
from hfpl_mm.utils.cam_labels import (BG_THRESHOLDS, add_background,
                                      archive_threshold_labels,
                                      background_score, threshold_labels)


def test_threshold_rule_hand_values():
    # pixel 0: best 0.3 (class 1) > 0.26 -> 2; pixel 1: best exactly 0.26 is
    # not above the threshold -> background; pixel 2: all zero -> background
    fg = np.array([[[0.1, 0.26, 0.0]], [[0.3, 0.2, 0.0]]], np.float32)
    labels = threshold_labels(fg, [0.26, 0.05])
    np.testing.assert_array_equal(labels[0], [[2, 0, 0]])
    np.testing.assert_array_equal(labels[1], [[2, 1, 0]])


def test_power_rule_hand_values():
    fg = torch.tensor([[[0.5, 1.0]], [[0.2, 0.0]]])
    bg = background_score(fg, 'power', bg_power=2.0)
    torch.testing.assert_close(bg, torch.tensor([[[0.25, 0.0]]]))
    # no foreground class: background is 1 everywhere
    empty = np.zeros((0, 2, 3), np.float32)
    np.testing.assert_array_equal(
        add_background(empty, 'power', bg_power=6.0), np.ones((1, 2, 3)))


def test_sweep_equals_argmax_of_the_rule_at_every_threshold():
    rng = np.random.default_rng(0)
    fg = rng.integers(0, 20, (4, 9, 11)).astype(np.float32) / 20  # ties
    sweep = threshold_labels(fg, BG_THRESHOLDS)
    for k, t in enumerate(BG_THRESHOLDS):
        ref = add_background(fg, 'threshold', t).argmax(0)
        np.testing.assert_array_equal(sweep[k], ref)


def test_every_user_applies_the_same_rule():
    rng = np.random.default_rng(1)
    cams = rng.random((1, 3, 6, 7)).astype(np.float32)
    # the model: min-max normalised, then the rule with t = 0.4
    scores = cams_to_scores(torch.from_numpy(cams), None, 'threshold', 0.4)
    model_labels = scores.argmax(1)[0].numpy()
    fg = scores[0, 1:].numpy()
    # the metric's sweep and the CAM-archive sweep on the same scores
    metric = threshold_predictions(scores[0].numpy(), [0.4])[0]
    keys = np.array([0, 4, 7])
    archive = archive_threshold_labels(dict(keys=keys, cams=fg), [0.4])[0]
    np.testing.assert_array_equal(metric, model_labels)
    lut = np.array([0, 1, 5, 8])
    np.testing.assert_array_equal(archive, lut[model_labels])
    # the random walk's scores: the model's 'power' mode on the same CAMs
    pw = power_scores(dict(keys=keys, cams=fg), 6.0)
    model_pw = cams_to_scores(
        torch.from_numpy(cams), None, 'power', bg_power=6.0)[0].numpy()
    np.testing.assert_allclose(pw, model_pw, rtol=1e-6)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match='bg_mode'):
        background_score(np.zeros((1, 2, 2)), 'otsu')
