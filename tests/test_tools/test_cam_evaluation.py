"""tools/test.py evaluates the CAMs the reference evaluates: the stage-2
CAMs of the config's test_cfg (scales 0.5, 1, 1.5, 2 + flip on VOC and COCO),
swept over the background thresholds, and the contour F-score at the
reference's constant background 0.25."""
import os.path as osp
import runpy
import sys

import pytest
import torch
from helpers import REPO
from mmengine.config import Config

VOC_CAM = 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py'
CAM_CONFIGS = [
    VOC_CAM,
    'configs/cam/hfpl-cam_r50-d16_1xb8-8e_coco14-448x448.py',
    'configs/cam/cam-fcn_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'configs/seam/hfpl-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
    'configs/seam/seam_wr38-d8_1xb8-8e_coco14-448x448.py',
    'configs/puzzlecam/puzzlecam_r50-d16_1xb8-8e_voc12aug-448x448.py',
]


@pytest.mark.parametrize('path', CAM_CONFIGS)
def test_cam_configs_evaluate_the_stage2_cams(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.model.test_cfg.scales == (0.5, 1.0, 1.5, 2.0)
    assert cfg.model.test_cfg.flip is True
    metrics = {m.type: m for m in cfg.test_evaluator}
    assert metrics['ContourFMetric'].bg_threshold == 0.25
    assert 'CAMThresholdSweepMetric' in metrics


def test_test_tool_sweeps_multiscale_flip_cams(synthetic_voc, tmp_path,
                                               monkeypatch):
    from hfpl_mm.models import CAMSegmentor
    from hfpl_mm.utils.config import merge_cfg_options
    options = {
        'model.backbone.depth': 18,
        'model.backbone.norm_cfg.type': 'BN',
        'model.backbone.init_cfg': None,
        'model.decode_head.in_channels': 512,
        'model.decode_head.channels': 512,
        'test_dataloader.dataset.data_root': synthetic_voc,
        'test_dataloader.dataset.ann_file': 'ImageSets/Segmentation/val.txt',
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
    }
    cfg = merge_cfg_options(Config.fromfile(osp.join(REPO, VOC_CAM)),
                            options)
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)

    shapes = []
    forward_cams = CAMSegmentor.forward_cams

    def spy(self, inputs):
        shapes.append(tuple(inputs.shape))
        return forward_cams(self, inputs)

    monkeypatch.setattr(CAMSegmentor, 'forward_cams', spy)
    argv = [VOC_CAM, ckpt, '--work-dir', str(tmp_path / 'work'),
            '--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    monkeypatch.setattr(sys, 'argv', ['tools/test.py'] + argv)
    monkeypatch.chdir(REPO)
    runpy.run_path(osp.join(REPO, 'tools', 'test.py'), run_name='__main__')
    # 4 val images of 64x64: each at scales 0.5, 1, 1.5, 2, with its
    # flipped copy in the same forward pass
    assert shapes == [(2, 3, 32, 32), (2, 3, 64, 64), (2, 3, 96, 96),
                      (2, 3, 128, 128)] * 4
