"""The add-on attaches to any head that meets the CAM-head contract
(``docs/add_hfpl_to_your_method.md``): mmseg's FCNHead trains, predicts and
runs stage 2 and the demo with it; heads that miss a piece are refused when
the model is built, naming it."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from helpers import REPO, check_stage2_and_demo, tiny_train_cfg
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from test_cam_models import batch

from hfpl_mm.models.losses import (feature_similarity_loss,
                                   importance_sampling_loss,
                                   multilabel_soft_margin_loss)

init_default_scope('mmseg')
SYNTH = 'configs/synthetic/{}_r18h-d8_1xb8-400i_synthvoc-128x128.py'
CAM_TWIN = SYNTH.format('hfpl-cam')
FCN = SYNTH.format('cam-fcn')
FCN_TWIN = SYNTH.format('hfpl-cam-fcn')


def build(path, **model_changes):
    cfg = Config.fromfile(osp.join(REPO, path))
    model_cfg = cfg.model.to_dict()
    model_cfg.update(model_changes)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def head_cfg(path):
    return Config.fromfile(osp.join(REPO, path)).model.decode_head.to_dict()


def test_fcn_head_gives_the_cam_head_losses_where_the_maths_is_the_same():
    cam = build(CAM_TWIN)
    fcn = build(FCN_TWIN)
    assert type(fcn.decode_head).__name__ == 'FCNHead'
    fcn.backbone.load_state_dict(cam.backbone.state_dict())
    with torch.no_grad():
        fcn.decode_head.conv_seg.weight.copy_(cam.decode_head.conv_seg.weight)
        fcn.decode_head.conv_seg.bias.zero_()
    cam.train()
    fcn.train()
    out = []
    for model in (cam, fcn):
        torch.manual_seed(0)
        data = model.data_preprocessor(batch(crop=128), True)
        out.append(model(**data, mode='loss'))
    assert list(out[0]) == list(out[1]) == [
        'decode.loss_isl', 'decode.loss_cls', 'decode.loss_fsl',
        'decode.acc_cls'
    ]
    for k in out[0]:
        torch.testing.assert_close(out[0][k], out[1][k], rtol=1e-6,
                                   atol=1e-7, msg=k)


@pytest.mark.parametrize('path', [
    CAM_TWIN, FCN_TWIN,
    SYNTH.format('hfpl-multinomial-cam'),
    'configs/cam/hfpl-cam-fcn_r50-d16_1xb8-8e_voc12aug-448x448.py'
])
def test_single_view_loss_is_the_addon_formula_of_its_parts(path):
    """The whole segmentor loss against the paper's combination of the same
    network outputs: (1 - w) GAP + w ISL (same draw) + FSL."""
    from helpers import shrink_model
    cfg = Config.fromfile(osp.join(REPO, path))
    model = MODELS.build(shrink_model(cfg.model.to_dict(), 64))
    model.init_weights()
    model.eval()  # no dropout, so the maps can be recomputed
    data = model.data_preprocessor(batch(), True)
    torch.manual_seed(5)
    losses = model(**data, mode='loss')
    labels = torch.stack([s.gt_cls_label for s in data['data_samples']])
    with torch.no_grad():
        cams = model.forward_cams(data['inputs'])
    addon = cfg.model.addon
    w = addon.loss_isl.loss_weight
    bg = int(model.background_channel)
    gap = multilabel_soft_margin_loss(cams.mean((2, 3))[:, bg:], labels)
    torch.manual_seed(5)
    isl = importance_sampling_loss(
        cams, labels, addon.loss_isl.num_samples, addon.loss_isl.posterior,
        addon.loss_isl.get('eps', 1e-5))
    fsl = feature_similarity_loss(
        model.denormalize(data['inputs']), cams, labels,
        addon.loss_fsl.posterior, addon.loss_fsl.mu, addon.loss_fsl.sigma,
        'dense')
    want = {
        'decode.loss_isl': w * isl,
        'decode.loss_cls': (1 - w) * gap,
        'decode.loss_fsl': addon.loss_fsl.loss_weight * fsl,
    }
    for k, v in want.items():
        torch.testing.assert_close(losses[k], v, rtol=1e-5, atol=1e-6,
                                   msg=k)


def test_fcn_twin_trains_runs_stage2_and_the_demo(synthetic_voc, tmp_path):
    from mmengine.runner import Runner

    work = str(tmp_path / 'fcn')
    cfg = tiny_train_cfg(FCN_TWIN, synthetic_voc, work, max_iters=3)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert type(runner.model.decode_head).__name__ == 'FCNHead'
    logged = runner.message_hub.log_scalars
    assert {'train/decode.loss_isl', 'train/decode.loss_fsl'} <= set(logged)
    check_stage2_and_demo(cfg, FCN_TWIN, osp.join(work, 'iter_3.pth'),
                          synthetic_voc, tmp_path)


# ---------------------------------------------------------------- refusals
@MODELS.register_module()
class HeadWithoutClasses(nn.Module):
    """Class maps, but no num_classes and no loss."""

    def __init__(self, in_channels=256):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 20, 1)

    def forward(self, feats):
        return self.conv(feats[-1])


def test_head_without_num_classes_is_refused_at_build():
    with pytest.raises(TypeError, match='has num_classes.*'
                       'add_hfpl_to_your_method'):
        build(FCN_TWIN, decode_head=dict(type='HeadWithoutClasses'))


def test_head_without_a_loss_is_refused_at_build():
    class NoLoss(HeadWithoutClasses):
        num_classes = 20

    MODELS.register_module(module=NoLoss, force=True)
    with pytest.raises(TypeError, match='has loss_decode'):
        build(FCN_TWIN, decode_head=dict(type='NoLoss'))


def test_softmax_pixel_loss_is_refused_at_build():
    head = head_cfg(FCN)
    head['loss_decode'] = dict(type='CrossEntropyLoss', use_sigmoid=False)
    with pytest.raises(ValueError, match='softmax CrossEntropyLoss'):
        build(FCN_TWIN, decode_head=head)
    # the sigmoid form is a multi-label loss and is accepted
    head['loss_decode'] = dict(type='CrossEntropyLoss', use_sigmoid=True)
    assert build(FCN_TWIN, decode_head=head).addon is not None


def test_addon_merged_into_the_head_is_refused_at_build():
    head = head_cfg(FCN)
    head['loss_isl'] = dict(type='ImportanceSamplingLoss')
    with pytest.raises(ValueError, match='belongs to the segmentor.*'
                       'model.addon'):
        build(FCN, decode_head=head)


def test_class_maps_of_the_wrong_count_are_refused_at_build():
    head = dict(head_cfg(FCN), out_channels=1, threshold=0.3)
    with pytest.raises(ValueError, match='gives 1 class maps, a CAM head 20'):
        build(FCN, decode_head=head)


def test_seam_needs_a_head_with_pcm():
    from helpers import shrink_model
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seam/seam_wr38-d8_1xb8-8e_voc12aug-448x448.py'))
    model = shrink_model(cfg.model.to_dict(), 64)
    model['decode_head']['type'] = 'CAMHead'
    model['decode_head'].pop('pcm_in_channels')
    with pytest.raises(TypeError, match='refine'):
        MODELS.build(model)
