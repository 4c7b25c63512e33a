"""Stage 1: the CAM training recipe of the HFPL reference.

Each test names the behaviour of the reference it checks (docs/fidelity.md);
the expected values are hand-derived on small tensors.
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from helpers import REPO, shrink_model
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from test_cam_models import batch
from torch.nn.modules.batchnorm import _BatchNorm

from hfpl_mm.models.losses import (feature_similarity_loss,
                                   importance_sampling_loss, pcm_min_loss)
from hfpl_mm.models.utils import probs_to_logits
from hfpl_mm.models.losses.multilabel_soft_margin_loss import \
    multilabel_soft_margin_loss

init_default_scope('mmseg')
SEAM = 'configs/seam/seam_wr38-d8_1xb8-8e_voc12aug-448x448.py'
HFPL_SEAM = 'configs/seam/hfpl-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py'
HFPL_MULTI_SEAM = ('configs/seam/hfpl-multinomial-seam_wr38-d8_1xb8-8e_'
                   'voc12aug-448x448.py')
HFPL_PUZZLE = ('configs/puzzlecam/hfpl-puzzlecam_r50-d16_1xb8-8e_'
               'voc12aug-448x448.py')


def build(path, crop=64):
    cfg = Config.fromfile(osp.join(REPO, path))
    model = MODELS.build(shrink_model(cfg.model.to_dict(), crop))
    model.init_weights()
    return model


def record_isl_calls(model, monkeypatch):
    calls = []
    isl = model.addon.loss_isl
    orig = type(isl).forward

    def spy(self, logits, labels, *args, **kwargs):
        calls.append(tuple(logits.shape))
        return orig(self, logits, labels, *args, **kwargs)

    monkeypatch.setattr(type(isl), 'forward', spy)
    return calls


def test_seam_isl_on_full_view_only(monkeypatch):
    model = build(HFPL_SEAM)
    model.train()
    calls = record_isl_calls(model, monkeypatch)
    data = model.data_preprocessor(batch(), True)
    torch.manual_seed(0)
    losses = model(**data, mode='loss')
    # one call, on the full view's logits (64 px input, output stride 8);
    # the 0.3 view (19 px -> 3x3 logits) gets none
    assert calls == [(2, 20, 8, 8)]
    assert 'decode.loss_isl' in losses and 'decode.loss_fsl' in losses


def test_seam_isl_inside_view_average():
    """The SEAM add-on twin's whole training loss is the reference's
    combination of the same parts on the same outputs:
    ((1 - w) GAP1 + w ISL1 + GAP2) / 2 + (PCM1 + PCM2) / 2 + ER + ECR + FSL1,
    so ISL weighs w / 2 (not w) and FSL is not averaged."""
    model = build(HFPL_SEAM)
    model.eval()  # no dropout, so the views can be recomputed
    data = model.data_preprocessor(batch(), True)
    x = data['inputs']
    torch.manual_seed(7)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    labels = torch.stack([s.gt_cls_label for s in data['data_samples']])
    mask = torch.cat([torch.ones(2, 1), labels], 1)[:, :, None, None]

    def up(t, size):
        return F.interpolate(t, size, mode='bilinear', align_corners=True)

    with torch.no_grad():
        x2 = F.interpolate(x, scale_factor=0.3, mode='bilinear',
                           align_corners=True)
        cam1, rv1, _ = model._view(x)
        cam2, rv2, _ = model._view(x2)
        size1, size2 = x.shape[2:], x2.shape[2:]
        gap1 = multilabel_soft_margin_loss(up(cam1, size1).mean((2, 3)),
                                           labels)
        gap2 = multilabel_soft_margin_loss(up(cam2, size2).mean((2, 3)),
                                           labels)
        torch.manual_seed(7)
        isl1 = importance_sampling_loss(cam1, labels, num_samples=10)
        fsl1 = feature_similarity_loss(model.denormalize(x), cam1, labels,
                                       mu=2.5, sigma=5.0, impl='dense')
        pcm = (pcm_min_loss((up(rv1, size1) * mask)[:, 1:]) +
               pcm_min_loss((up(rv2, size2) * mask)[:, 1:])) / 2
    w = model.addon.loss_isl.loss_weight
    assert w == 0.2
    reference = (((1 - w) * gap1 + w * isl1 + gap2) / 2 + pcm +
                 losses['decode.loss_er'] + losses['decode.loss_ecr'] + fsl1)
    assert abs(float(total) - float(reference)) < 1e-5
    torch.testing.assert_close(losses['decode.loss_isl'], w * isl1 / 2)
    torch.testing.assert_close(losses['decode.loss_fsl'], fsl1)


def test_seam_second_view_gap_at_full_weight():
    model = build(HFPL_SEAM)
    model.eval()  # deterministic (no dropout) for the comparison
    data = model.data_preprocessor(batch(), True)
    cams = torch.randn(2, 20, 5, 5)
    off = model.cam_losses(cams, data['data_samples'], None,
                           with_addon=False)
    on = model.cam_losses(cams, data['data_samples'],
                          model.denormalize(data['inputs']))
    labels = torch.stack([s.gt_cls_label for s in data['data_samples']])
    gap = multilabel_soft_margin_loss(cams.mean((2, 3)), labels)
    torch.testing.assert_close(off['loss_cls'], gap)
    assert 'loss_isl' not in off
    torch.testing.assert_close(on['loss_cls'], 0.8 * gap)
    assert on['loss_isl'] > 0


def test_puzzlecam_tiles_without_addon(monkeypatch):
    model = build(HFPL_PUZZLE)
    model.train()
    calls = record_isl_calls(model, monkeypatch)
    data = model.data_preprocessor(batch(), True)
    model(**data, mode='loss')
    assert calls == [(2, 20, 4, 4)]  # the full image's CAM only


@pytest.mark.parametrize('path', [
    SEAM, HFPL_SEAM,
    'configs/affinity/affnet_wr38-d8_1xb8-8e_voc12aug-448x448.py'
])
def test_wr38_batchnorm_frozen(path):
    model = build(path)
    model.train()
    bns = [m for m in model.backbone.modules() if isinstance(m, _BatchNorm)]
    assert len(bns) > 30
    for m in bns:
        assert not m.training
        assert not m.weight.requires_grad and not m.bias.requires_grad
    # running statistics do not move during a training forward
    before = bns[5].running_mean.clone()
    with torch.no_grad():
        model.backbone(torch.randn(2, 3, 32, 32) * 5)
    torch.testing.assert_close(bns[5].running_mean, before)


def test_wr38_taps_are_preactivated():
    net = MODELS.build(dict(type='WideResNet38', out_indices=(2, 3, 5)))
    raw = MODELS.build(
        dict(type='WideResNet38', out_indices=(2, 3, 5), preact_outs=False))
    raw.load_state_dict(net.state_dict())
    net.eval()
    raw.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        taps, sums = net(x), raw(x)
        # stage 4's tap: the first block of stage 5 pre-activates it
        want4 = F.relu(net.stages[3][0].bn1(sums[0]))
        # stage 5's tap: stage 6's bottleneck pre-activates it
        want5 = F.relu(net.stages[4].bn1(sums[1]))
    torch.testing.assert_close(taps[0], want4)
    torch.testing.assert_close(taps[1], want5)
    torch.testing.assert_close(taps[2], sums[2])  # final BN-ReLU output
    assert taps[0].min() >= 0 and sums[0].min() < 0


def test_fsl_image_resize_matches_reference():
    torch.manual_seed(0)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    rgb = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    cams = torch.randn(2, 4, 8, 8, dtype=torch.float64)
    labels = torch.tensor([[1., 1., 0., 0.], [0., 1., 0., 1.]])
    # the reference: resize the normalised image (align_corners=True), then
    # denormalise
    normed = (rgb - mean) / std
    ref_img = F.interpolate(
        normed, (8, 8), mode='bilinear', align_corners=True) * std + mean
    want = feature_similarity_loss(ref_img, cams, labels, impl='dense')
    got = feature_similarity_loss(rgb, cams, labels, impl='dense')
    torch.testing.assert_close(got, want)
    # and align_corners=False would differ
    other = F.interpolate(rgb, (8, 8), mode='bilinear', align_corners=False)
    assert abs(float(feature_similarity_loss(other, cams, labels,
                                             impl='dense') - want)) > 1e-6


def test_seam_gap_after_upsampling():
    model = build(SEAM)
    data = model.data_preprocessor(batch(n=1), True)
    cam = torch.zeros(1, 20, 1, 3)
    cam[0, :, 0, 0] = 1.0  # [1, 0, 0] along the width
    out = model.cam_losses(cam, data['data_samples'], pool_size=(1, 5))
    # align_corners=True to 5 samples: 1, .5, 0, 0, 0 -> mean 0.3 (not 1/3)
    labels = data['data_samples'][0].gt_cls_label[None]
    want = multilabel_soft_margin_loss(torch.full((1, 20), 0.3), labels)
    torch.testing.assert_close(out['loss_cls'], want)


def test_coco_fsl_weight():
    cfg = Config.fromfile(
        osp.join(REPO,
                 'configs/cam/hfpl-cam_r50-d16_1xb8-8e_coco14-448x448.py'))
    assert cfg.model.addon.loss_fsl.loss_weight == 0.2
    voc = Config.fromfile(
        osp.join(REPO,
                 'configs/cam/hfpl-cam_r50-d16_1xb8-8e_voc12aug-448x448.py'))
    assert voc.model.addon.loss_fsl.loss_weight == 1.0
    # SEAM on COCO (train_cam_coco.py): the VOC recipe, 80 classes, FSL 0.2
    seam = Config.fromfile(osp.join(
        REPO, 'configs/seam/hfpl-seam_wr38-d8_1xb8-8e_coco14-448x448.py'))
    assert seam.model.addon.loss_fsl.loss_weight == 0.2
    assert seam.model.type == 'SEAMSegmentor'
    assert seam.model.decode_head.num_classes == 80
    assert seam.train_dataloader.dataset.type == 'COCOWeakDataset'


def test_predecessor_seam_recipe_is_its_formula():
    """The multinomial SEAM twin trains as the predecessor (arvijj/icam):
    per view c = logits, r = PCM(c) with gradient, p = softmax;
    (1 - w) (GAP1 + GAP2) + w (ISL1 + ISL2) + RV1 + RV2 + ER + ECR + 0.5 FSL1,
    views summed."""
    model = build(HFPL_MULTI_SEAM)
    model.eval()  # no dropout, so the views can be recomputed
    data = model.data_preprocessor(batch(), True)
    x = data['inputs']
    torch.manual_seed(3)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    labels = torch.stack([s.gt_cls_label for s in data['data_samples']])
    target = torch.cat([torch.ones(2, 1), labels], 1)
    head = model.decode_head
    with torch.no_grad():
        x2 = F.interpolate(x, scale_factor=0.3, mode='bilinear',
                           align_corners=True)
        views = []
        for img in (x, x2):
            feats = model.extract_feat(img)
            c = head(feats)
            views.append((c, head.propagate(c, feats, img)))
        torch.manual_seed(3)
        isl = [importance_sampling_loss(c, labels, 100, 'multinomial', 0.0)
               for c, _ in views]
        gap = [multilabel_soft_margin_loss(c.mean((2, 3))[:, 1:], labels)
               for c, _ in views]
        rv = [multilabel_soft_margin_loss(
            probs_to_logits(r.softmax(1).amax((2, 3))), target)
            for _, r in views]
        fsl = feature_similarity_loss(model.denormalize(x), views[0][0],
                                      labels, 'multinomial', 2.5, 5.0,
                                      'dense')
        size = views[1][0].shape[2:]
        c1, r1 = (F.interpolate(t.softmax(1), size, mode='bilinear',
                                align_corners=True) for t in views[0])
        c2, r2 = (t.softmax(1) for t in views[1])
        er = ((c1 - c2).abs().mean() + (r1 - r2).abs().mean() +
              (c1 - r1).abs().mean() + (c2 - r2).abs().mean())
        ecr = (c1 - r2).abs().mean() + (c2 - r1).abs().mean()
    w = 0.8
    reference = ((1 - w) * (gap[0] + gap[1]) + w * (isl[0] + isl[1]) +
                 rv[0] + rv[1] + er + ecr + 0.5 * fsl)
    assert abs(float(total) - float(reference)) < 1e-5
    torch.testing.assert_close(losses['decode.loss_rv'], rv[0] + rv[1])
    # inference: the mean of the two softmaxes, label-conditioned
    with torch.no_grad():
        probs = model.class_probs(x[:1])
        c, r = views[0][0][:1], views[0][1][:1]
    torch.testing.assert_close(probs, 0.5 * c.softmax(1) + 0.5 * r.softmax(1))
