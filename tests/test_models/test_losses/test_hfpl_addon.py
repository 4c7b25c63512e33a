"""HFPLAddon through CAMSegmentor.cam_losses: the GAP / ISL mix, FSL, the
views without the add-on and the checks of its inputs."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from hfpl_mm.models.losses import (feature_similarity_loss,
                                   importance_sampling_loss)

init_default_scope('mmseg')
HEAD = dict(type='CAMHead', in_channels=64, channels=64, num_classes=3)
ISL = dict(type='ImportanceSamplingLoss', loss_weight=0.3, num_samples=4)
FSL = dict(type='FeatureSimilarityLoss', sigma=1.0, impl='dense')


def segmentor(head=HEAD, addon=None):
    """A CAMSegmentor with a tiny backbone (the tests feed maps directly)."""
    return MODELS.build(
        dict(type='CAMSegmentor',
             data_preprocessor=dict(type='SegDataPreProcessor'),
             backbone=dict(type='ResNetV1c', depth=18, stem_channels=8,
                           base_channels=8, out_indices=(3, )),
             decode_head=head,
             addon=addon))


def samples(labels):
    out = []
    for row in labels:
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(16, 16)))
        s.gt_cls_label = torch.tensor(row, dtype=torch.float32)
        out.append(s)
    return out


def soft_margin(logits, labels):
    # multi-label soft margin loss written out
    return -(labels * F.logsigmoid(logits) +
             (1 - labels) * F.logsigmoid(-logits)).mean()


LABELS = [[1, 0, 1], [0, 1, 0]]


def test_gap_loss_hand_formula_without_addon():
    model = segmentor()
    maps = torch.randn(2, 3, 4, 4)
    losses = model.cam_losses(maps, samples(LABELS))
    ref = soft_margin(maps.mean((2, 3)), torch.tensor(LABELS).float())
    torch.testing.assert_close(losses['loss_cls'], ref)
    assert set(losses) == {'loss_cls', 'acc_cls'}
    assert model.addon is None and not model.addon_needs_images


def test_isl_mix_scales_gap_by_one_minus_w_and_adds_fsl():
    model = segmentor(addon=dict(type='HFPLAddon', loss_isl=ISL,
                                 loss_fsl=FSL))
    maps = torch.randn(2, 3, 4, 4)
    images = torch.rand(2, 3, 16, 16)
    labels = torch.tensor(LABELS).float()
    gap = soft_margin(maps.mean((2, 3)), labels)
    torch.manual_seed(3)
    losses = model.cam_losses(maps, samples(LABELS), images)
    torch.manual_seed(3)
    isl = importance_sampling_loss(maps, labels, num_samples=4)
    resized = F.interpolate(images, (4, 4), mode='bilinear',
                            align_corners=True)
    fsl = feature_similarity_loss(resized, maps, labels, sigma=1.0,
                                  impl='dense')
    torch.testing.assert_close(losses['loss_cls'], 0.7 * gap)
    torch.testing.assert_close(losses['loss_isl'], 0.3 * isl)
    torch.testing.assert_close(losses['loss_fsl'], fsl)
    # the order the losses are summed in (mmengine sums the dict in order)
    assert list(losses) == ['loss_isl', 'loss_cls', 'loss_fsl', 'acc_cls']
    # a view without the add-on keeps the plain GAP loss at full weight
    plain = model.cam_losses(maps, samples(LABELS), with_addon=False)
    torch.testing.assert_close(plain['loss_cls'], gap)
    assert set(plain) == {'loss_cls', 'acc_cls'}


def test_fsl_needs_images_and_label_count_must_match():
    model = segmentor(addon=dict(type='HFPLAddon', loss_fsl=FSL))
    assert model.addon_needs_images
    with pytest.raises(ValueError, match='needs the input images'):
        model.cam_losses(torch.randn(1, 3, 4, 4), samples([[1, 0, 0]]))
    with pytest.raises(ValueError, match='gt_cls_label has 2 classes'):
        model.cam_losses(torch.randn(1, 3, 4, 4), samples([[1, 0]]))


def test_background_channel_gap_uses_foreground_and_multinomial_losses():
    model = segmentor(
        dict(HEAD, background_channel=True),
        dict(type='HFPLAddon',
             loss_isl=dict(ISL, posterior='multinomial', loss_weight=0.8),
             loss_fsl=dict(FSL, posterior='multinomial', loss_weight=0.5)))
    maps = torch.randn(2, 4, 4, 4)
    losses = model.cam_losses(maps, samples(LABELS),
                              images=torch.rand(2, 3, 16, 16))
    gap = soft_margin(maps.mean((2, 3))[:, 1:], torch.tensor(LABELS).float())
    torch.testing.assert_close(losses['loss_cls'], 0.2 * gap)
    assert {'loss_isl', 'loss_fsl'} <= set(losses)
    with pytest.raises(ValueError, match='gt_cls_label has 2 classes'):
        model.cam_losses(maps[:1], samples([[1, 0]]))


@pytest.mark.parametrize('background_channel', [False, True])
def test_posterior_must_match_the_background_channel(background_channel):
    posterior = 'binomial' if background_channel else 'multinomial'
    for key, loss in (('loss_isl', ISL), ('loss_fsl', FSL)):
        with pytest.raises(ValueError, match='background_channel'):
            segmentor(dict(HEAD, background_channel=background_channel),
                      dict(type='HFPLAddon',
                           **{key: dict(loss, posterior=posterior)}))


def test_losses_of_different_posteriors_are_refused():
    with pytest.raises(ValueError, match='different posteriors'):
        MODELS.build(
            dict(type='HFPLAddon', loss_isl=ISL,
                 loss_fsl=dict(FSL, posterior='multinomial')))
