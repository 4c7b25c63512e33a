"""Every non-base config parses and builds (no pretrained weights)."""
import glob
import os.path as osp

import pytest
from helpers import REPO, strip_pretrained_and_syncbn
from mmengine.config import Config
from mmengine.registry import init_default_scope

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    # configs/pipelines holds recipes (tests/test_apis/test_pipeline.py)
    if '_base_' not in p and '/pipelines/' not in p)


def test_every_method_folder_has_configs_and_twins():
    folders = {osp.basename(osp.dirname(p)) for p in CONFIGS}
    assert folders == {
        'affinity', 'cam', 'deeplab', 'puzzlecam', 'seam', 'synthetic'
    }
    # every CAM baseline has its add-on twin and the other way round
    for folder in ('cam', 'puzzlecam', 'seam', 'synthetic'):
        names = {osp.basename(p) for p in CONFIGS if f'/{folder}/' in p}
        twins = {n for n in names if n.startswith('hfpl-')}
        assert twins, folder
        for t in twins:
            assert twin_base(t) in names, t


def twin_base(name):
    """The baseline config of an add-on twin's file name."""
    for prefix in ('hfpl-multinomial-', 'hfpl-robust-', 'hfpl-'):
        if name.startswith(prefix):
            return name[len(prefix):]
    raise ValueError(name)


def test_multinomial_twins_follow_the_predecessor():
    base = Config.fromfile(osp.join(REPO, 'configs/_base_/hfpl_addon.py'))
    assert base.hfpl_multinomial_decode_head.background_channel is True
    addon = base.hfpl_multinomial_addon
    # arXiv 2203.12459 / arvijj/icam: w = 0.8, K = 100, FSL weight 0.5
    assert (addon.loss_isl.num_samples, addon.loss_isl.loss_weight,
            addon.loss_isl.posterior) == (100, 0.8, 'multinomial')
    assert (addon.loss_fsl.loss_weight, addon.loss_fsl.posterior,
            addon.loss_fsl.mu) == (0.5, 'multinomial', 2.5)
    names = [osp.basename(p) for p in CONFIGS]
    assert {n for n in names if n.startswith('hfpl-multinomial-')} == {
        'hfpl-multinomial-cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
        'hfpl-multinomial-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
        'hfpl-multinomial-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
        'hfpl-multinomial-seam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
    }
    # the predecessor's CAMs: upsampled once from feature resolution
    assert base.hfpl_multinomial_test_cfg == dict(cam_upsample='one_step')


def test_synthetic_twin_declares_its_sigma():
    twin = Config.fromfile(osp.join(
        REPO, 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-'
        '128x128.py'))
    addon = Config.fromfile(osp.join(REPO, 'configs/_base_/hfpl_addon.py'))
    # only sigma differs from the add-on's FSL (5 px at 56x56 -> 1.5 px)
    assert twin.model.addon.loss_fsl == dict(
        addon.hfpl_loss_fsl, sigma=1.5)
    assert twin.hfpl_loss_fsl.sigma == 5.0  # the base is not mutated


def test_robust_twins_are_the_plain_twins_with_the_robust_fsl():
    """Each hfpl-robust- twin is its hfpl- twin with FSL's warmup 0.5 and
    certainty weighting and nothing else; the synthetic one is the
    ablation's hfpl-warmup-certainty cell."""
    robust = [
        p for p in CONFIGS if osp.basename(p).startswith('hfpl-robust-')
    ]
    assert len(robust) == 3
    base = Config.fromfile(osp.join(REPO, 'configs/_base_/hfpl_addon.py'))
    # COCO: the COCO add-on (FSL weight 0.2) made robust the same way
    assert base.hfpl_robust_addon_coco == dict(
        base.hfpl_addon_coco,
        loss_fsl=dict(base.hfpl_addon_coco.loss_fsl, warmup=0.5,
                      certainty_weighting=True))
    for path in robust:
        cfg = Config.fromfile(path).to_dict()
        plain = Config.fromfile(osp.join(
            osp.dirname(path),
            osp.basename(path).replace('hfpl-robust-', 'hfpl-'))).to_dict()
        fsl = cfg['model']['addon']['loss_fsl']
        assert fsl.pop('warmup') == 0.5
        assert fsl.pop('certainty_weighting') is True
        for d in (cfg, plain):
            for k in [k for k in d if k.startswith('hfpl_')]:
                d.pop(k)
        assert cfg == plain
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'cells', osp.join(REPO, 'benchmarks', 'ablation_grid', 'cells.py'))
    cells = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cells)
    twin, options = cells.VARIANT_CONFIGS['hfpl-warmup-certainty']
    measured = Config.fromfile(osp.join(REPO, twin))
    measured.merge_from_dict(options)
    synthetic = Config.fromfile(osp.join(
        REPO, 'configs/synthetic/hfpl-robust-cam_r18h-d8_1xb8-400i_synthvoc-'
        '128x128.py'))
    assert synthetic.model.to_dict() == measured.model.to_dict()


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds(path):
    from mmseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['hfpl_mm']
    # a kill or a full disk during a save never loses the last checkpoint
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.to_dict()
    strip_pretrained_and_syncbn(model_cfg)
    model = MODELS.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    # dataset classes exist (the data itself is not here), and the heads
    # predict the dataset's classes: CAM heads the foreground ones
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    from hfpl_mm.apis import dataset_meta_from_config
    classes = dataset_meta_from_config(cfg, 'train_dataloader')['classes']
    head = model.decode_head if hasattr(model, 'decode_head') else None
    if head is not None:
        from hfpl_mm.models import CAMSegmentor
        cam = isinstance(model, CAMSegmentor)
        assert head.num_classes == len(classes) - cam, (head.num_classes,
                                                        len(classes))
    assert len(classes) == (81 if 'coco' in osp.basename(path) else 21)
    name = osp.basename(path)
    if name.startswith('hfpl-'):
        # an add-on twin differs from its baseline only in the HFPL fields
        addon = cfg.model.addon
        assert addon.type == 'HFPLAddon'
        assert addon.loss_isl.type == 'ImportanceSamplingLoss'
        assert addon.loss_fsl.type == 'FeatureSimilarityLoss'
        multinomial = name.startswith('hfpl-multinomial-')
        assert model.background_channel == multinomial
        assert addon.loss_isl.posterior == addon.loss_fsl.posterior == (
            'multinomial' if multinomial else 'binomial')
        if not multinomial:
            # w = 0.2; the add-on scales GAP by 1 - w (fidelity.md)
            assert addon.loss_isl.loss_weight == pytest.approx(0.2)
            assert addon.loss_fsl.loss_weight == (0.2 if 'coco' in name
                                                  else 1.0)
        base = Config.fromfile(osp.join(osp.dirname(path), twin_base(name)))
        assert base.model.get('addon') is None
        twin = cfg.to_dict()
        base = base.to_dict()
        for d in (twin, base):
            d['model'].pop('addon', None)
            d['model']['decode_head'].pop('background_channel', None)
            if multinomial:  # the predecessor's CAM upsampling
                d['model']['test_cfg'].pop('cam_upsample', None)
            for k in [k for k in d if k.startswith('hfpl_')]:
                d.pop(k)
        assert twin == base


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_iteration_configs_read_an_endless_stream(path):
    """A config trained by iteration draws its batches from mmengine's
    InfiniteSampler (a finite one is restarted at every epoch, with a
    warning and a pause); one trained by epoch from a DefaultSampler."""
    cfg = Config.fromfile(path)
    loop = cfg.train_cfg.get('type', 'EpochBasedTrainLoop')
    sampler = cfg.train_dataloader.sampler.type
    if loop == 'IterBasedTrainLoop':
        assert sampler == 'InfiniteSampler', sampler
    else:
        assert sampler == 'DefaultSampler', (loop, sampler)
