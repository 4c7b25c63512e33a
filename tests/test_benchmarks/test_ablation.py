"""benchmarks/ablation.py: the grid, resuming a killed run, the report."""
import importlib.util
import json
import os.path as osp

import pytest
from helpers import REPO

spec = importlib.util.spec_from_file_location(
    'ablation', osp.join(REPO, 'benchmarks', 'ablation.py'))
ablation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ablation)


def fake_result(cell):
    preset, seed, variant, kind = cell
    base = 50 + seed + (5 if variant == 'hfpl' else 0)
    if kind == 'stage12':
        return dict(cam_miou_best=base, cam_miou_fixed=base - 1,
                    contour_f=base / 2, contour_p=1.0, contour_r=2.0,
                    best_threshold=0.3, mious=[base])
    return dict(rw_miou=base + 1, rw_contour_f=3.0, seg_miou=base - 10,
                seg_miou_best=base - 9, seg_contour_f=4.0,
                curve_iters=[1, 2], curve_miou=[base - 12, base - 10])


def test_plan_puts_full_cells_after_their_stage12_cell():
    cells = ablation.plan_cells(['default'], [0, 1], ['baseline', 'isl'],
                                ['baseline'])
    assert cells == [('default', 0, 'baseline', 'stage12'),
                     ('default', 0, 'baseline', 'full'),
                     ('default', 0, 'isl', 'stage12'),
                     ('default', 1, 'baseline', 'stage12'),
                     ('default', 1, 'baseline', 'full'),
                     ('default', 1, 'isl', 'stage12')]


def test_killed_run_resumes_without_recomputing(tmp_path, capsys):
    cells = ablation.plan_cells(['default'], [0, 1], ['baseline', 'hfpl'],
                                ['hfpl'])
    calls = []

    def dies_at_fourth(cell):
        if len(calls) == 3:
            raise KeyboardInterrupt  # the run is killed mid-grid
        calls.append(cell)
        return fake_result(cell)

    with pytest.raises(KeyboardInterrupt):
        ablation.run_grid(cells, str(tmp_path), dies_at_fourth)
    assert len(calls) == 3
    for cell in cells[:3]:
        assert osp.isfile(ablation.cell_path(str(tmp_path), cell))
    # nothing half-written under a real name
    assert not osp.exists(ablation.cell_path(str(tmp_path), cells[3]))

    again = []

    def compute(cell):
        again.append(cell)
        return fake_result(cell)

    results = ablation.run_grid(cells, str(tmp_path), compute)
    assert again == cells[3:]  # the three cells on disk were not redone
    assert '3 of 6 cells on disk, not recomputed' in capsys.readouterr().out
    assert results[cells[0]]['cam_miou_best'] == 50
    stored = json.load(open(ablation.cell_path(str(tmp_path), cells[0])))
    assert 'seconds' in stored
    # a third run computes nothing
    ablation.run_grid(cells, str(tmp_path), compute)
    assert again == cells[3:]


def test_report_mean_and_std_over_seeds(tmp_path):
    cells = ablation.plan_cells(['default'], [0, 1, 2], ['baseline', 'hfpl'],
                                ['baseline', 'hfpl'])
    results = {c: dict(fake_result(c), seconds=60) for c in cells}
    text = ablation.write_report(results, cells, str(tmp_path),
                                 ablation.SETTINGS['quick'])
    # hfpl CAM mIoU over seeds: 55, 56, 57 -> mean 56, sample std 1
    assert '| hfpl | 56.00 ± 1.00 |' in text
    assert '| baseline | 51.00 ± 1.00 |' in text
    assert 'Compute of the cells: 12 min.' in text
    assert '| hfpl | 2 | 57.00 |' in text
    for name in ('bars_default.png', 'stage3_curves_default.png',
                 'ablation.md'):
        assert (tmp_path / name).is_file()
