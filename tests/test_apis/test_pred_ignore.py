"""Predictions with 255 (uncertain pixels, as other WSSS codebases write
them): refused by default, or scored as background or left out."""
import numpy as np
import pytest
from helpers import run_tool

from hfpl_mm.evaluation import evaluate_label_dirs
from hfpl_mm.utils.label_io import palette_bytes, save_png_atomic

PAL = palette_bytes([[0, 0, 0], [128, 0, 0], [0, 128, 0]])


@pytest.fixture
def dirs(tmp_path):
    gt = np.zeros((4, 6), np.uint8)
    gt[:, 3:] = 1  # left half background, right half class 1
    pred = gt.copy()
    pred[:, 2:4] = 255  # one column of each uncertain
    for d, arr in (('gt', gt), ('pred', pred)):
        (tmp_path / d).mkdir()
        save_png_atomic(arr, str(tmp_path / d / 'a.png'), PAL)
    return str(tmp_path / 'pred'), str(tmp_path / 'gt')


def test_error_names_the_file(dirs):
    with pytest.raises(ValueError, match=r'a\.png: 8 pixels are 255'):
        evaluate_label_dirs(*dirs, 3)


def test_background_and_exclude_by_hand(dirs):
    bg = evaluate_label_dirs(*dirs, 3, pred_ignore='background',
                             count_absent=False)
    # background: pred bg = 4 columns (0-3), GT bg = 3 columns (0-2)
    assert bg['iou'][0] == pytest.approx(12 / 16)
    assert bg['iou'][1] == pytest.approx(8 / 12)
    assert bg['pred_ignored'] == pytest.approx(8 / 24)
    ex = evaluate_label_dirs(*dirs, 3, pred_ignore='exclude',
                             count_absent=False)
    # exclude: columns 2-3 leave the counts; the rest is all correct
    assert ex['iou'][0] == ex['iou'][1] == 1.0
    assert ex['pred_ignored'] == pytest.approx(8 / 24)


def test_tool_reports_the_ignored_fraction(dirs):
    res = run_tool('tools/eval_pseudo_labels.py', *dirs, check=False)
    assert res.returncode != 0 and '--pred-ignore' in res.stderr
    res = run_tool('tools/eval_pseudo_labels.py', *dirs, '--pred-ignore',
                   'exclude', '--skip-absent')
    assert 'predicted ignore pixels: 33.33% (--pred-ignore exclude)' in \
        res.stdout
    assert 'mIoU: 100.00' in res.stdout
