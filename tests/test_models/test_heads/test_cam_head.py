"""CAMHead: the classifier, the GAP / ISL mix and its input checks."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

DEFAULT_ARGS = dict(
    type='CAMHead', in_channels=8, channels=8, num_classes=3, num_convs=0)


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


def test_forward_is_a_1x1_classifier_without_bias():
    head = MODELS.build(DEFAULT_ARGS)
    x = torch.randn(2, 8, 4, 5)
    ref = F.conv2d(x, head.conv_seg.weight)
    torch.testing.assert_close(head([x]), ref)
    assert head.conv_seg.bias is None


def test_gap_loss_hand_formula():
    head = MODELS.build(DEFAULT_ARGS)
    maps = torch.randn(2, 3, 4, 4)
    labels = [[1, 0, 1], [0, 1, 0]]
    losses = head.loss_by_feat(maps, samples(labels))
    ref = soft_margin(maps.mean((2, 3)), torch.tensor(labels).float())
    torch.testing.assert_close(losses['loss_cls'], ref)
    assert set(losses) == {'loss_cls', 'acc_cls'}
    assert not head.needs_images


def test_isl_mix_scales_gap_by_one_minus_w():
    head = MODELS.build(
        dict(DEFAULT_ARGS, loss_isl=dict(type='ImportanceSamplingLoss',
                                         loss_weight=0.3)))
    maps = torch.randn(2, 3, 4, 4)
    labels = [[1, 0, 1], [0, 1, 0]]
    gap = soft_margin(maps.mean((2, 3)), torch.tensor(labels).float())
    losses = head.loss_by_feat(maps, samples(labels))
    torch.testing.assert_close(losses['loss_cls'], 0.7 * gap)
    assert 'loss_isl' in losses
    # a view without the add-on keeps the plain GAP loss at full weight
    plain = head.loss_by_feat(maps, samples(labels), with_addon=False)
    torch.testing.assert_close(plain['loss_cls'], gap)
    assert 'loss_isl' not in plain


def test_fsl_needs_images_and_label_count_must_match():
    head = MODELS.build(
        dict(DEFAULT_ARGS, loss_fsl=dict(type='FeatureSimilarityLoss')))
    assert head.needs_images
    with pytest.raises(ValueError, match='needs the input images'):
        head.loss([torch.randn(1, 8, 4, 4)], samples([[1, 0, 0]]), {})
    with pytest.raises(ValueError, match='gt_cls_label has 2 classes'):
        head.loss_by_feat(torch.randn(1, 3, 4, 4), samples([[1, 0]]))


def test_num_convs_zero_needs_equal_channels():
    with pytest.raises(ValueError, match='channels == in_channels'):
        MODELS.build(dict(DEFAULT_ARGS, channels=4))


# ------------------------- learned background channel (multinomial forms)
MULTI = dict(
    DEFAULT_ARGS,
    background_channel=True,
    loss_isl=dict(type='ImportanceSamplingLoss', posterior='multinomial',
                  loss_weight=0.8, num_samples=4),
    loss_fsl=dict(type='FeatureSimilarityLoss', posterior='multinomial',
                  loss_weight=0.5, sigma=1.0))


def test_background_channel_is_learned_and_gap_uses_foreground():
    head = MODELS.build(MULTI)
    x = torch.randn(2, 8, 4, 4)
    maps = head([x])
    assert maps.shape == (2, 4, 4, 4)  # background + 3 classes
    torch.testing.assert_close(head.image_logits(maps),
                               maps.mean((2, 3))[:, 1:])
    labels = [[1, 0, 1], [0, 1, 0]]
    losses = head.loss_by_feat(maps, samples(labels),
                               images=torch.rand(2, 3, 16, 16))
    gap = soft_margin(maps.mean((2, 3))[:, 1:], torch.tensor(labels).float())
    torch.testing.assert_close(losses['loss_cls'], 0.2 * gap)
    assert {'loss_isl', 'loss_fsl'} <= set(losses)
    with pytest.raises(ValueError, match='gt_cls_label has 2 classes'):
        head.loss_by_feat(maps[:1], samples([[1, 0]]))


@pytest.mark.parametrize('background_channel', [False, True])
def test_posterior_must_match_the_background_channel(background_channel):
    posterior = 'binomial' if background_channel else 'multinomial'
    for key, loss in (('loss_isl', 'ImportanceSamplingLoss'),
                      ('loss_fsl', 'FeatureSimilarityLoss')):
        with pytest.raises(ValueError, match='background_channel'):
            MODELS.build(dict(DEFAULT_ARGS,
                              background_channel=background_channel,
                              **{key: dict(type=loss, posterior=posterior)}))
