"""The reference's final network: DeepLab-v1 (LargeFOV) on Wide ResNet-38,
its optimiser groups, and its test (multi-scale + flip, logits averaged,
dense CRF) through tools/test.py --tta."""
import math
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from helpers import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

init_default_scope('mmseg')
VOC = 'configs/deeplab/deeplabv1_wr38-d8_1xb10-20k_voc12aug-pseudo-448x448.py'


def test_head_is_largefov_with_bn_as_the_reference():
    cfg = Config.fromfile(osp.join(REPO, VOC))
    head = MODELS.build(cfg.model.decode_head)
    head.init_weights()
    fov, one = head.convs
    assert (fov.conv.kernel_size, fov.conv.dilation, fov.conv.padding,
            fov.conv.out_channels) == ((3, 3), (12, 12), (12, 12), 512)
    assert one.conv.kernel_size == (1, 1) and one.conv.out_channels == 512
    assert fov.conv.bias is None and head.conv_seg.bias is not None
    for m in (fov, one):  # BN, affine kept at 1 / 0, momentum 3e-4
        assert m.norm.momentum == 3e-4
        assert not m.norm.weight.requires_grad
    assert type(head.dropout) is nn.Dropout and head.dropout.p == 0.5
    # Kaiming normal, fan out, ReLU gain: std sqrt(2 / (out * k * k))
    w = fov.conv.weight
    assert float(w.std()) == pytest.approx(math.sqrt(2 / (512 * 9)),
                                           rel=0.05)
    assert head.conv_seg.out_channels == 21 and head.align_corners


def test_optimiser_groups_are_the_reference():
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(osp.join(REPO, VOC))
    model = MODELS.build(dict(
        cfg.model.to_dict(),
        backbone=dict(cfg.model.backbone.to_dict(), init_cfg=None)))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = (group['lr'], group['weight_decay'])
    head = model.decode_head
    assert lrs[id(head.conv_seg.bias)] == (pytest.approx(0.02), 0.0)
    assert lrs[id(head.conv_seg.weight)] == (pytest.approx(0.01), 5e-4)
    assert lrs[id(head.convs[0].conv.weight)] == (pytest.approx(0.01), 5e-4)
    conv = next(m for m in model.backbone.modules()
                if isinstance(m, nn.Conv2d))
    assert lrs[id(conv.weight)] == (pytest.approx(1e-3), 5e-4)
    assert wrapper.optimizer.defaults['momentum'] == 0.9
    # BN affine parameters are not trained (the reference optimises the
    # convolutions' parameters only)
    bn = next(m for m in model.backbone.modules()
              if isinstance(m, nn.BatchNorm2d))
    assert not bn.weight.requires_grad


def sample_with(logits, img_path=None):
    s = SegDataSample(metainfo=dict(img_path=img_path or 'x.png'))
    s.seg_logits = PixelData(data=logits)
    s.gt_sem_seg = PixelData(data=torch.zeros(1, *logits.shape[1:],
                                              dtype=torch.long))
    return s


class TinyTestStep(nn.Module):
    """Stands in for the segmentor TTA models wrap."""

    def test_step(self, data):
        return data


def tta_model(**kwargs):
    return MODELS.build(dict(type='CRFSegTTAModel', module=TinyTestStep(),
                             **kwargs))


def test_tta_averages_logits_then_softmax():
    # three views of logit +1 for class 0 and one of -3.5: the mean logit
    # is -0.125 (class 1), while the mean of the views' softmax (mmseg's
    # SegTTAModel) would give class 0 (0.556)
    views = [torch.tensor([[[1.0]], [[0.0]]])] * 3 + [
        torch.tensor([[[-3.5]], [[0.0]]])]
    out = tta_model(crf=None).merge_preds(
        [[sample_with(v) for v in views]])[0]
    want = torch.tensor([[[-0.125]], [[0.0]]]).softmax(0)
    torch.testing.assert_close(out.seg_logits.data, want)
    assert out.pred_sem_seg.data.item() == 1
    assert float(sum(v.softmax(0)[0] for v in views).squeeze()) / 4 > 0.5


def test_tta_crf_on_the_original_image(tmp_path):
    from PIL import Image

    from hfpl_mm.models.segmentors.crf_tta import FINAL_CRF
    from hfpl_mm.utils.crf import dense_crf_probs
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    path = str(tmp_path / 'im.png')
    Image.fromarray(img).save(path)
    logits = torch.randn(3, 6, 7, generator=torch.Generator().manual_seed(0))
    out = tta_model().merge_preds([[sample_with(logits, path)]])[0]
    want = dense_crf_probs(img, logits.softmax(0).numpy(), **FINAL_CRF)
    np.testing.assert_allclose(out.seg_logits.data.numpy(), want, rtol=1e-6)
    assert FINAL_CRF['iterations'] == 1 and FINAL_CRF['bilateral_sxy'] == 32


def test_test_tool_tta_runs_scales_flips_and_crf(synthetic_voc, tmp_path,
                                                 monkeypatch):
    from mmseg.models import EncoderDecoder

    from hfpl_mm.models.segmentors import CRFSegTTAModel
    cfg = Config.fromfile(osp.join(REPO, VOC))
    torch.manual_seed(0)
    model = MODELS.build(dict(
        cfg.model.to_dict(),
        backbone=dict(cfg.model.backbone.to_dict(), init_cfg=None)))
    ckpt = str(tmp_path / 'seg.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    split = tmp_path / 'two.txt'
    split.write_text('synth_00008\nsynth_00009\n')
    shapes, merged = [], []
    encode_decode = EncoderDecoder.encode_decode
    merge = CRFSegTTAModel.merge_preds

    def spy(self, inputs, metas):
        shapes.append(tuple(inputs.shape[2:]))
        return encode_decode(self, inputs, metas)

    def spy_merge(self, lists):
        merged.append([len(x) for x in lists])
        return merge(self, lists)

    monkeypatch.setattr(EncoderDecoder, 'encode_decode', spy)
    monkeypatch.setattr(CRFSegTTAModel, 'merge_preds', spy_merge)
    options = [
        f'test_dataloader.dataset.data_root={synthetic_voc}',
        f'test_dataloader.dataset.ann_file={split}',
        'test_dataloader.dataset.data_prefix.seg_map_path=SegmentationClass',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'model.backbone.init_cfg=None',
    ]
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', VOC, ckpt, '--tta', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options
    ])
    monkeypatch.chdir(REPO)
    runpy.run_path(osp.join(REPO, 'tools', 'test.py'), run_name='__main__')
    # 64 px images at scales 0.5 .. 1.75, each with its flipped copy
    sizes = [round(64 * r) for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)]
    assert sorted(set(shapes)) == sorted((s, s) for s in sizes)
    assert len(shapes) == 2 * 12
    assert merged == [[12], [12]]
