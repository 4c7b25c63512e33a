"""``--cfg-options``: into fields a config sets to ``None``, values with
spaces, tokens that are not key=value, text where a number belongs."""
import os.path as osp

import pytest
import torch
from helpers import REPO, SYNTH_CAM, run_tool
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from hfpl_mm.utils.config import merge_cfg_options

# its schedule is mmseg's schedule_20k, which also says clip_grad=None
VOC_SEG = ('configs/deeplab/deeplabv2_r101-d8_4xb4-20k_voc12aug-pseudo-'
           '512x512.py')
VOC_CAM = 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py'


def test_synthetic_recipe_clips_and_the_reference_configs_do_not():
    """Our small-scale recipe clips stage 1 at norm 5 (the binomial FSL
    spikes when a labelled CAM is barely positive), baseline and twins
    alike; the VOC / COCO stage-1 configs keep the reference's none."""
    import glob
    synth = glob.glob(osp.join(REPO, 'configs/synthetic/*cam*_r18h-*.py'))
    synth += glob.glob(osp.join(REPO, 'configs/synthetic/*seam_r18h-*.py'))
    assert len(synth) >= 9
    for path in synth:
        clip = Config.fromfile(path).optim_wrapper.clip_grad
        assert clip == dict(max_norm=5.0), path
    reference = [
        p for d in ('cam', 'seam', 'puzzlecam')
        for p in glob.glob(osp.join(REPO, 'configs', d, '*.py'))
    ]
    assert len(reference) >= 8
    for path in reference:
        assert Config.fromfile(path).optim_wrapper.get('clip_grad') is None, \
            path


@pytest.mark.parametrize('path', [VOC_CAM, VOC_SEG])
def test_clip_grad_switched_on_from_the_command_line(path):
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.optim_wrapper.clip_grad is None
    merge_cfg_options(cfg, {'optim_wrapper.clip_grad.max_norm': 10.0})
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=10.0)
    # one SGD step with a gradient of norm 1000 * sqrt(12): the step uses
    # the gradient scaled to norm 10 (plus weight decay; the first step's
    # momentum buffer is the gradient itself)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 4, bias=False)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    group = wrapper.optimizer.param_groups[0]
    p0 = model.weight.detach().clone()
    wrapper.update_params(1000 * model.weight.sum())
    grad = torch.full_like(p0, 1000.0)
    clipped = grad * 10.0 / (grad.norm() + 1e-6)
    expected = p0 - group['lr'] * (clipped + group['weight_decay'] * p0)
    torch.testing.assert_close(model.weight.detach(), expected)


def test_none_fields_take_a_dict_or_stay_none():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', clip_grad=None),
                      model=dict(head=dict(loss=None))))
    merge_cfg_options(cfg, {'optim_wrapper.clip_grad': dict(max_norm=5.0),
                            'model.head.loss': None})
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=5.0)
    assert cfg.model.head.loss is None
    # a non-dict field is not replaced: mmengine's error stands
    with pytest.raises(TypeError):
        merge_cfg_options(cfg, {'optim_wrapper.type.name': 'x'})
    assert cfg.optim_wrapper.type == 'OptimWrapper'


def test_cfg_options_keep_spaces_and_name_bad_tokens():
    import argparse

    from hfpl_mm.utils.config import CfgOptionsAction
    p = argparse.ArgumentParser()
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    args = p.parse_args([
        '--cfg-options', 'work_dir=my runs/a b', 'train_cfg.max_iters=3',
        'model.test_cfg.flip=false', 'model.test_cfg.scales=[1.0, 0.5]',
        'load_from=None'
    ])
    assert args.cfg_options == {
        'work_dir': 'my runs/a b',  # mmengine's DictAction: 'myruns/ab'
        'train_cfg.max_iters': 3,
        'model.test_cfg.flip': False,
        'model.test_cfg.scales': [1.0, 0.5],
        'load_from': None,
    }
    with pytest.raises(SystemExit):
        p.parse_args(['--cfg-options', 'train_cfg.max_iters'])


def test_cfg_options_refuse_text_for_a_number():
    cfg = Config.fromfile(osp.join(REPO, SYNTH_CAM))
    with pytest.raises(ValueError, match=r"optim_wrapper.optimizer.lr='abc':"
                       r' expected a number \(the config has 0.05\)'):
        merge_cfg_options(cfg, {'optim_wrapper.optimizer.lr': 'abc'})
    with pytest.raises(ValueError, match='expected true / false'):
        merge_cfg_options(cfg, {'model.test_cfg.flip': 'yes'})
    res = run_tool('tools/train.py', SYNTH_CAM, '--cfg-options',
                   'train_cfg.max_iters', check=False)
    assert res.returncode == 2
    assert "'train_cfg.max_iters' is not key=value" in res.stderr


def test_iteration_schedule_makes_the_sampler_endless():
    from mmengine.config import Config

    from hfpl_mm.utils.config import iter_schedule_options, merge_cfg_options
    cfg = Config(dict(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=8),
        train_dataloader=dict(
            batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook')),
        param_scheduler=[dict(type='PolyLR', by_epoch=True, end=8)]))
    merge_cfg_options(cfg, iter_schedule_options(cfg, 5))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_dataloader.sampler.to_dict() == dict(
        type='InfiniteSampler', shuffle=True)
    # an already endless sampler is kept as it is
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=False,
                                        seed=3)
    merge_cfg_options(cfg, iter_schedule_options(cfg, 5))
    assert cfg.train_dataloader.sampler.seed == 3
