"""CAMHead: the classifier, its pooling and the learned background channel."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

DEFAULT_ARGS = dict(
    type='CAMHead', in_channels=8, channels=8, num_classes=3, num_convs=0)


def test_forward_is_a_1x1_classifier_without_bias():
    head = MODELS.build(DEFAULT_ARGS)
    x = torch.randn(2, 8, 4, 5)
    ref = F.conv2d(x, head.conv_seg.weight)
    torch.testing.assert_close(head([x]), ref)
    assert head.conv_seg.bias is None


def test_image_logits_are_the_pooling_of_the_maps():
    head = MODELS.build(DEFAULT_ARGS)
    maps = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(head.image_logits(maps), maps.mean((2, 3)))


def test_num_convs_zero_needs_equal_channels():
    with pytest.raises(ValueError, match='channels == in_channels'):
        MODELS.build(dict(DEFAULT_ARGS, channels=4))


def test_pixel_level_training_is_refused():
    head = MODELS.build(DEFAULT_ARGS)
    with pytest.raises(NotImplementedError, match='cam_losses'):
        head.loss_by_feat(torch.randn(1, 3, 4, 4), [])


def test_background_channel_is_learned_and_pooling_uses_foreground():
    head = MODELS.build(dict(DEFAULT_ARGS, background_channel=True))
    x = torch.randn(2, 8, 4, 4)
    maps = head([x])
    assert maps.shape == (2, 4, 4, 4)  # background + 3 classes
    torch.testing.assert_close(head.image_logits(maps),
                               maps.mean((2, 3))[:, 1:])
