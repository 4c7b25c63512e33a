"""One training step of every baseline and its add-on twin on tiny data."""
import copy
import math
import os.path as osp

import pytest
import torch
from helpers import REPO, shrink_model
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

init_default_scope('mmseg')

PAIRS = {
    'cam': ('configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
            {'decode.loss_cls', 'decode.acc_cls'}),
    'seam': ('configs/seam/seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
             {'decode.loss_cls', 'decode.loss_pcm', 'decode.loss_er',
              'decode.loss_ecr', 'decode.acc_cls'}),
    'puzzlecam': ('configs/puzzlecam/puzzlecam_r50-d16_1xb8-8e_voc12aug-'
                  '448x448.py', {'decode.loss_cls', 'decode.loss_cls_puzzle',
                                 'decode.loss_re', 'decode.acc_cls'}),
}
ADDON_KEYS = {'decode.loss_isl', 'decode.loss_fsl'}


def build(path, crop=64):
    cfg = Config.fromfile(osp.join(REPO, path))
    model = MODELS.build(shrink_model(cfg.model.to_dict(), crop))
    model.init_weights()
    return model


def batch(num_classes=20, n=2, crop=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        s = SegDataSample(metainfo=dict(
            img_shape=(crop, crop), ori_shape=(crop, crop),
            pad_shape=(crop, crop)))
        label = torch.zeros(num_classes)
        label[[i, 5 + i]] = 1
        s.gt_cls_label = label
        samples.append(s)
    inputs = [torch.randint(0, 256, (3, crop, crop), generator=g,
                            dtype=torch.uint8) for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def losses_of(model, seed=0):
    torch.manual_seed(seed)
    data = model.data_preprocessor(batch(), True)
    return model(**data, mode='loss')


@pytest.mark.parametrize('name', sorted(PAIRS))
@pytest.mark.parametrize('twin', [False, True])
def test_one_training_step(name, twin):
    path, keys = PAIRS[name]
    if twin:
        path = osp.join(osp.dirname(path), 'hfpl-' + osp.basename(path))
        keys = keys | ADDON_KEYS
    model = build(path)
    model.train()
    losses = losses_of(model)
    assert set(losses) == keys
    for k, v in losses.items():
        assert math.isfinite(float(v)), k
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    head = model.decode_head.conv_seg.weight
    assert head.grad is not None and head.grad.abs().sum() > 0
    # prediction gives a label map with the background channel
    model.eval()
    data = model.data_preprocessor(batch(n=1), False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].pred_sem_seg.data.shape == (1, 64, 64)
    assert out[0].seg_logits.data.shape == (21, 64, 64)
    present = {0} | {1 + c for c in
                     torch.nonzero(out[0].gt_cls_label)[:, 0].tolist()}
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= present


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_addon_off_equals_baseline(name):
    path, _ = PAIRS[name]
    twin_path = osp.join(osp.dirname(path), 'hfpl-' + osp.basename(path))
    cfg = Config.fromfile(osp.join(REPO, twin_path))
    off = copy.deepcopy(cfg.model.to_dict())
    off['addon'].update(loss_isl=None, loss_fsl=None)
    torch.manual_seed(0)
    base = build(path)
    torch.manual_seed(0)
    twin_off = MODELS.build(shrink_model(off, 64))
    twin_off.init_weights()
    twin_off.load_state_dict(base.state_dict())
    base.train()
    twin_off.train()
    a, b = losses_of(base), losses_of(twin_off)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_addon_weights_mix_gap_and_isl():
    base = build(PAIRS['cam'][0])
    twin = build('configs/cam/hfpl-cam_r50-d16_1xb8-8e_voc12aug-448x448.py')
    twin.load_state_dict(base.state_dict())
    base.train()
    twin.train()
    a, b = losses_of(base), losses_of(twin)
    torch.testing.assert_close(b['decode.loss_cls'],
                               0.8 * a['decode.loss_cls'])
    assert twin.addon.loss_isl.loss_weight == 0.2


def test_mmpretrain_backbone_mix():
    cfg = Config.fromfile(osp.join(REPO, PAIRS['cam'][0]))
    model_cfg = shrink_model(cfg.model.to_dict(), 64)
    model_cfg['backbone'] = dict(
        type='mmpretrain.ConvNeXt', arch='atto', out_indices=(3, ),
        gap_before_final_norm=False)
    model_cfg['decode_head'].update(in_channels=320, channels=320)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    losses = losses_of(model)
    assert math.isfinite(float(losses['decode.loss_cls']))


def test_pretrained_unavailable_stops_unless_allowed(tmp_path):
    """Missing pretrained weights, on a real stage-3 config: mmseg's
    ``pretrained`` and a backbone ``init_cfg`` that cannot be loaded."""
    from hfpl_mm.utils.pretrained import check_pretrained
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/deeplab/deeplabv3plus_r101-d8_4xb4-20k_'
                 'voc12aug-pseudo-512x512.py'))
    assert cfg.allow_missing_pretrained is False  # the documented field
    model = cfg.model.to_dict()
    model['pretrained'] = str(tmp_path / 'missing.pth')
    model['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=str(tmp_path / 'gone.pth'))
    with pytest.raises(FileNotFoundError, match='missing.pth for model'):
        check_pretrained(model)
    assert check_pretrained(model, allow_missing=True) == 2
    assert model['pretrained'] is None and model['backbone']['init_cfg'] is None


def test_denormalize_gives_rgb_in_unit_range():
    model = build(PAIRS['cam'][0])
    bgr = torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=[bgr]), False)
    rgb = model.denormalize(data['inputs'])[0]
    torch.testing.assert_close(rgb, bgr.flip(0).float() / 255, atol=1e-5,
                               rtol=0)


MULTINOMIAL = 'configs/cam/hfpl-multinomial-cam_r50-d16_1xb8-8e_voc12aug-' \
    '448x448.py'


def test_multinomial_twin_trains_and_predicts_like_the_predecessor():
    model = build(MULTINOMIAL)
    assert model.decode_head.conv_seg.out_channels == 21
    model.train()
    losses = losses_of(model)
    assert set(losses) == PAIRS['cam'][1] | ADDON_KEYS
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # the learned background channel gets gradients from ISL and FSL
    assert model.decode_head.conv_seg.weight.grad[0].abs().sum() > 0
    # inference: label-conditioned softmax CAMs, mean over scales and flips
    model.eval()
    model.test_cfg.update(scales=(1.0, 0.5), flip=True)
    # the predecessor upsamples its feature-resolution CAMs in one step
    assert model.test_cfg['cam_upsample'] == 'one_step'
    data = model.data_preprocessor(batch(n=1), False)
    x = data['inputs']
    labels = data['data_samples'][0].gt_cls_label[None]
    with torch.no_grad():
        cams = model.multiscale_cams(x, labels)
        expected = 0
        for scale in (1.0, 0.5):
            # the image at this scale as the reference's stage 2 makes it
            # (test_stage2_inference.py checks the resize itself)
            xs = model._scaled_input(x, scale)
            for flip in (False, True):
                logits = model.forward_cams(xs.flip(-1) if flip else xs)
                p = logits.softmax(1) * torch.cat(
                    [torch.ones(1, 1), labels], 1)[:, :, None, None]
                p = (p / p.sum(1, keepdim=True))[:, 1:]
                p = p.flip(-1) if flip else p
                expected = expected + torch.nn.functional.interpolate(
                    p, size=x.shape[2:], mode='bilinear',
                    align_corners=False) / 4
        torch.testing.assert_close(cams, expected, rtol=1e-5, atol=1e-6)
        out = model(**data, mode='predict')[0]
    scores = out.seg_logits.data
    assert scores.shape == (21, 64, 64)
    # classes absent from the labels score 0; background is the threshold
    absent = torch.nonzero(labels[0] == 0)[:, 0] + 1
    assert scores[absent].abs().max() == 0
    assert torch.all(scores[0] == model.test_cfg['bg_threshold'])


def test_softmax_cam_scores_hand_values():
    from hfpl_mm.models.segmentors import softmax_cams_to_scores
    # two classes, three pixels: the non-max class is zeroed per pixel,
    # then each map is divided by its own maximum
    cams = torch.tensor([[[[0.6, 0.2, 0.1]], [[0.3, 0.4, 0.05]]]])
    scores = softmax_cams_to_scores(cams, bg_threshold=0.3, eps=0.0)
    expected = torch.tensor([[[[0.3, 0.3, 0.3]], [[1.0, 0.0, 1 / 6]],
                              [[0.0, 1.0, 0.0]]]])
    torch.testing.assert_close(scores, expected)


@pytest.mark.parametrize('name', ['puzzlecam'])
def test_multi_view_models_refuse_a_background_channel(name):
    cfg = Config.fromfile(osp.join(REPO, PAIRS[name][0]))
    model = shrink_model(cfg.model.to_dict(), 64)
    model['decode_head']['background_channel'] = True
    with pytest.raises(ValueError, match='background_channel=True'):
        MODELS.build(model)


def test_loss_grad_norms_logged_without_changing_training(name='cam'):
    """train_cfg.log_loss_grad_norms logs each loss term's gradient norm;
    the step's weights are bit-identical to a step without it."""
    from mmengine.optim import OptimWrapper
    path = PAIRS[name][0].replace('configs/' + name + '/',
                                  'configs/' + name + '/hfpl-')
    steps = {}
    for flag in (False, True):
        model = build(path)
        model.train_cfg = dict(log_loss_grad_norms=flag)
        torch.manual_seed(0)
        for p in model.parameters():  # the same start for both runs
            p.data = torch.randn_like(p) * 0.05
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        torch.manual_seed(1)
        log = model.train_step(batch(), wrapper)
        steps[flag] = (log, [p.detach().clone() for p in model.parameters()])
    (log0, w0), (log1, w1) = steps[False], steps[True]
    assert all(torch.equal(a, b) for a, b in zip(w0, w1))
    assert not any(k.startswith('gradnorm.') for k in log0)
    losses = {k for k in log1 if 'loss' in k and not k.startswith('grad')}
    losses.discard('loss')
    assert {f'gradnorm.{k}' for k in losses} <= set(log1)
    # FSL's CAM-range diagnostics ride along
    assert not any(k.startswith('diag.') for k in log0)
    assert 0 < float(log1['diag.fsl_min_cam_range']) <= 1
    assert float(log1['diag.fsl_small_range_maps']) >= 0
    # by hand: the FSL term's gradient norm from its own backward pass
    model = build(path)
    torch.manual_seed(0)
    for p in model.parameters():
        p.data = torch.randn_like(p) * 0.05
    torch.manual_seed(1)
    data = model.data_preprocessor(batch(), True)
    model(**data, mode='loss')['decode.loss_fsl'].backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()
                          if p.grad is not None))
    assert float(log1['gradnorm.decode.loss_fsl']) == pytest.approx(
        float(norm), rel=1e-5)
