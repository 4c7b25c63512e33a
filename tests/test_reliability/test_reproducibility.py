"""On one machine a seeded run is bit-identical; what else a number depends
on (the CPU's instruction set, threads, library versions) is recorded in
every report."""
import os.path as osp

import torch
from helpers import SYNTH_CAM, tiny_train_cfg
from mmengine.runner import Runner

from hfpl_mm.utils.environment import environment_info, environment_line

TWIN = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def trained_state(config, data_root, work):
    cfg = tiny_train_cfg(config, data_root, work, max_iters=3)
    Runner.from_cfg(cfg).train()
    return torch.load(osp.join(work, 'iter_3.pth'), map_location='cpu',
                      weights_only=True)['state_dict']


def test_a_seeded_short_run_is_bit_identical_twice(synthetic_voc, tmp_path):
    for config in (SYNTH_CAM, TWIN):  # the add-on draws its ISL samples
        a = trained_state(config, synthetic_voc, str(tmp_path / 'a'))
        b = trained_state(config, synthetic_voc, str(tmp_path / 'b'))
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), (config, k)
        # and the run trained: the weights moved from their initialisation
        assert any(not torch.equal(a[k], torch.zeros_like(a[k]))
                   for k in a)


def test_environment_is_recorded(monkeypatch):
    info = environment_info()
    assert info['cpu_capability'].split()[0] == \
        torch.backends.cpu.get_cpu_capability()
    assert info['torch'] == torch.__version__
    assert {'cpu', 'threads', 'mmcv', 'mmengine', 'mmseg', 'mmpretrain',
            'numpy', 'python', 'device'} <= set(info)
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX2')
    line = environment_line(environment_info())
    assert 'ONEDNN_MAX_CPU_ISA=AVX2' in line and line.startswith(
        'Measured on: ')


def test_pipeline_report_names_the_environment(tmp_path):
    from hfpl_mm.visualization import write_pipeline_report
    ctx = dict(data_root='d', num_train=1, iters1='1 iterations', scales=[1],
               flip=False, elapsed=1.0, configs=dict(a='a.py'),
               results=dict(a=dict(best_miou=1, best_threshold=0.1,
                                   pl_miou=1, contour_f=1, contour_p=1,
                                   contour_r=1)),
               seg={}, seg_config=None, iters3=None,
               curve=str(tmp_path / 'c.png'), overlays=[],
               environment=dict(cpu_capability='AVX2', torch='x'))
    text = write_pipeline_report(str(tmp_path / 'report.md'), ctx)
    assert 'Measured on: cpu_capability AVX2; torch x.' in text
