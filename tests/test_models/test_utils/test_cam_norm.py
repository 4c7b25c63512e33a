"""One CAM normalisation, the reference's min-max form."""
import pytest
import torch

from hfpl_mm.models.heads.seam_head import SEAMHead
from hfpl_mm.models.losses import prediction_maps
from hfpl_mm.models.segmentors.cam_segmentor import cams_to_scores
from hfpl_mm.models.utils import normalize_cams

EPS = 1e-5


def test_positive_map_reaches_zero_at_its_minimum():
    # a class map positive everywhere (common after PCM or a positive shift)
    cam = torch.tensor([[[[2.0, 3.0], [4.0, 6.0]]]])
    out = normalize_cams(cam)
    # hand values: relu(p - 2 - eps) / (6 - 2 + eps)
    want = torch.tensor([[[[0.0, 1 - EPS], [2 - EPS, 4 - EPS]]]]) / (4 + EPS)
    torch.testing.assert_close(out, want)
    assert out.min() == 0 and out.max() == pytest.approx(1.0, abs=1e-5)
    # max-only would keep the minimum at 1/3: the two forms differ here
    mx = normalize_cams(cam, 'max')
    assert mx.min().item() == pytest.approx((2 - EPS) / (6 + EPS))


def test_map_with_a_negative_pixel_same_under_both_forms():
    cam = torch.tensor([[[[-1.0, 0.5], [1.0, 2.0]]]])
    torch.testing.assert_close(
        normalize_cams(cam), normalize_cams(cam, 'max'))


def test_bad_mode():
    with pytest.raises(ValueError, match='mode'):
        normalize_cams(torch.zeros(1, 1, 2, 2), 'l2')


def test_every_user_normalises_the_same_way():
    torch.manual_seed(0)
    cams = torch.rand(2, 3, 5, 5) + 0.5  # positive everywhere
    labels = torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    ref = normalize_cams(cams) * labels[:, :, None, None]
    # FSL predictions: foreground and background 1 - max
    y = prediction_maps(cams, labels)
    torch.testing.assert_close(y[:, 1:], ref)
    torch.testing.assert_close(y[:, 0], 1 - ref.amax(1))
    # stage-2 scores
    scores = cams_to_scores(cams, labels, 'threshold', 0.26)
    torch.testing.assert_close(scores[:, 1:], ref)
    # the FSL option keeps the earlier max-only variant
    ymax = prediction_maps(cams, labels, cam_norm='max')
    torch.testing.assert_close(
        ymax[:, 1:], normalize_cams(cams, 'max') * labels[:, :, None, None])


def test_pcm_seeds_use_max_only_as_seam(monkeypatch):
    head = SEAMHead(
        in_channels=8, channels=8, num_classes=2, pcm_in_channels=(4, 4),
        pcm_channels=(2, 2), pcm_out_channels=4)
    cams = torch.rand(1, 2, 3, 3) + 1.0
    seen = {}

    def spy(x, mode='minmax', eps=1e-5):
        seen['mode'] = mode
        return normalize_cams(x, mode, eps)

    import hfpl_mm.models.heads.seam_head as mod
    monkeypatch.setattr(mod, 'normalize_cams', spy)
    head.refine(cams, [torch.rand(1, 4, 3, 3)] * 2, torch.rand(1, 3, 6, 6))
    assert seen['mode'] == 'max'
