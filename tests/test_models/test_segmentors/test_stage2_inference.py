"""Stage 2's CAM inference as the reference's: each scale of the image
resized as PIL's bicubic filter does at rounded sizes, the CAMs upsampled
in two steps, float32 archives; our earlier rules are options."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import REPO, shrink_model
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from PIL import Image

from hfpl_mm.models.segmentors.cam_segmentor import resize_like_pil_bicubic

init_default_scope('mmseg')
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


@pytest.mark.parametrize('scale', [0.5, 0.3, 1.5, 2.0])
def test_resize_equals_pil_bicubic(scale):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (75, 101, 3), dtype=np.uint8)
    x = (torch.from_numpy(img).permute(2, 0, 1).float()[None] - MEAN) / STD
    size = (round(75 * scale), round(101 * scale))
    ours = resize_like_pil_bicubic(x, size, MEAN, STD) * STD + MEAN
    ours = ours[0].permute(1, 2, 0).numpy()
    ref = np.array(Image.fromarray(img).resize(size[::-1], Image.BICUBIC))
    diff = np.abs(ours - ref.astype(np.float32))
    if scale < 1:
        assert diff.max() < 1e-3  # exact when shrinking
    else:
        assert diff.max() <= 2 and (diff > 0.5).mean() < 0.01


def cam_model(**test_cfg):
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py'))
    model = MODELS.build(shrink_model(cfg.model.to_dict(), 64))
    model.test_cfg.update(test_cfg)
    return model.eval()


def test_reference_sizes_and_two_step_upsampling(monkeypatch):
    model = cam_model()
    assert (model.test_cfg['resize'], model.test_cfg['cam_upsample'],
            model.test_cfg['cam_dtype']) == ('pil_bicubic', 'two_step',
                                             'float32')
    model.test_cfg.update(scales=(1.0, 0.5), flip=False)
    maps = {}

    def fake_cams(inputs):
        # a fixed map of 3 x 4 whatever the input, recording the input size
        maps[tuple(inputs.shape[2:])] = torch.arange(
            12.).view(1, 1, 3, 4).repeat(inputs.shape[0], 20, 1, 1)
        return maps[tuple(inputs.shape[2:])]

    monkeypatch.setattr(model, 'forward_cams', fake_cams)
    x = torch.randn(1, 3, 75, 101)
    with torch.no_grad():
        out = model.multiscale_cams(x)
    # Python's round of 37.5 and 50.5 (the reference's sizes), not floor
    assert set(maps) == {(75, 101), (38, 50)}
    want = 0
    for size in ((75, 101), (38, 50)):
        step = F.interpolate(maps[size], size, mode='bilinear',
                             align_corners=True)
        want = want + F.interpolate(step, (75, 101), mode='bilinear',
                                    align_corners=False)
    torch.testing.assert_close(out, want)
    # our earlier rules, as options
    maps.clear()
    model.test_cfg.update(resize='bilinear', cam_upsample='one_step')
    with torch.no_grad():
        out = model.multiscale_cams(x)
    assert set(maps) == {(75, 101), (37, 50)}  # floor sizes
    want = sum(F.interpolate(m, (75, 101), mode='bilinear',
                             align_corners=False) for m in maps.values())
    torch.testing.assert_close(out, want)


@pytest.mark.parametrize('key, value', [('resize', 'nearest'),
                                        ('cam_upsample', 'three_step'),
                                        ('cam_dtype', 'float64')])
def test_unknown_inference_rule_is_refused(key, value):
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py'))
    model_cfg = shrink_model(cfg.model.to_dict(), 64)
    model_cfg['test_cfg'][key] = value
    with pytest.raises(ValueError, match=f'test_cfg.{key} must be one of'):
        MODELS.build(model_cfg)


def test_archives_are_float32_unless_asked(synthetic_voc, checkpoint,
                                           tmp_path):
    from hfpl_mm.apis import build_cam_inference, generate_pseudo_labels
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'))
    assert cfg.model.test_cfg.cam_dtype == 'float16'  # its published runs
    for dtype in ('float32', 'float16'):
        model, loader = build_cam_inference(
            cfg, checkpoint, 'val', synthetic_voc, device='cpu',
            test_cfg=dict(cam_dtype=dtype, scales=[1.0]))
        out = tmp_path / dtype
        generate_pseudo_labels(model, loader, str(out), save_cams=True,
                               progress=False)
        with np.load(out / 'synth_00008.npz') as z:
            assert z['cams'].dtype == np.dtype(dtype)
