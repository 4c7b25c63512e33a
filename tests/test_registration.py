import importlib

import pytest

import hfpl_mm
from hfpl_mm.utils import compat


# every class the package registers, by registry: a registration that goes
# missing, or a name that resolves to someone else's class, fails here
REGISTERED = {
    'MODELS': [
        ('CAMSegmentor', 'models.segmentors.cam_segmentor'),
        ('SEAMSegmentor', 'models.segmentors.seam'),
        ('PuzzleCAMSegmentor', 'models.segmentors.puzzle_cam'),
        ('AffinityNet', 'models.segmentors.affinity_net'),
        ('CAMHead', 'models.heads.cam_head'),
        ('SEAMHead', 'models.heads.seam_head'),
        ('AffinityHead', 'models.heads.affinity_head'),
        ('ASPPV2Head', 'models.heads.aspp_v2_head'),
        ('DeepLabV1Head', 'models.heads.deeplab_v1_head'),
        ('CRFSegTTAModel', 'models.segmentors.crf_tta'),
        ('WideResNet38', 'models.backbones.wide_resnet38'),
        ('GlobalAvgPool', 'models.necks.global_avg_pool'),
        ('ImportanceSamplingPool', 'models.necks.importance_sampling'),
        ('ImportanceSamplingLoss', 'models.losses.importance_sampling_loss'),
        ('FeatureSimilarityLoss', 'models.losses.feature_similarity_loss'),
        ('HFPLAddon', 'models.losses.hfpl_addon'),
        ('MultiLabelSoftMarginLoss',
         'models.losses.multilabel_soft_margin_loss'),
    ],
    'DATASETS': [
        ('VOCWeakDataset', 'datasets.voc_weak'),
        ('COCOWeakDataset', 'datasets.coco_weak'),
        ('PseudoLabelDataset', 'datasets.pseudo_label'),
        ('PseudoLabelCOCODataset', 'datasets.pseudo_label'),
        ('AffinityLabelCOCODataset', 'datasets.pseudo_label'),
        ('WeakSegDataset', 'datasets.voc_weak'),
        ('AffinityLabelDataset', 'datasets.pseudo_label'),
    ],
    'TRANSFORMS': [
        ('PackWeakSegInputs', 'datasets.transforms.formatting'),
        ('LoadCheckedImageFromFile', 'datasets.transforms.formatting'),
        ('LoadAffinityScores', 'datasets.transforms.affinity'),
        ('RandomResizeLong', 'datasets.transforms.transforms'),
        ('RandomCropOrPad', 'datasets.transforms.transforms'),
        ('RandomRescale', 'datasets.transforms.transforms'),
        ('RandomHSVShift', 'datasets.transforms.transforms'),
        ('AffinityLabelFromScores', 'datasets.transforms.affinity'),
    ],
    'METRICS': [
        ('CAMThresholdSweepMetric', 'evaluation.metrics.cam_sweep_metric'),
        ('ContourFMetric', 'evaluation.metrics.contour_f_metric'),
    ],
    'HOOKS': [
        ('PseudoLabelClassCheckHook', 'engine.hooks.label_check_hook'),
        ('CAMVisualizationHook', 'engine.hooks.cam_visualization_hook'),
        ('AtomicCheckpointHook', 'engine.hooks.checkpoint_hook'),
    ],
}


@pytest.mark.parametrize('registry', sorted(REGISTERED))
def test_everything_registered(registry):
    import mmseg.registry
    reg = getattr(mmseg.registry, registry)
    for name, module in REGISTERED[registry]:
        cls = reg.get(name)
        assert cls is not None, f'{name} missing from mmseg {registry}'
        assert cls.__module__ == f'hfpl_mm.{module}', (name, cls.__module__)


def test_no_registration_left_untested():
    """Every register_module in the package is listed in REGISTERED."""
    import glob
    import os.path as osp
    import re
    root = osp.dirname(hfpl_mm.__file__)
    found = set()
    for path in glob.glob(osp.join(root, '**', '*.py'), recursive=True):
        text = open(path).read()
        found |= set(
            re.findall(r'register_module\(\)\s*\nclass (\w+)', text))
    listed = {n for entries in REGISTERED.values() for n, _ in entries}
    assert found == listed


def test_pool_also_in_mmpretrain_and_version():
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmseg.registry import MODELS
    assert PRETRAIN_MODELS.get('ImportanceSamplingPool') is MODELS.get(
        'ImportanceSamplingPool')
    major, minor, patch = hfpl_mm.__version__.split('.')
    assert all(v.isdigit() for v in (major, minor, patch))


def test_check_mmcv_accepts_this_environment():
    compat.check_mmcv()


def test_check_mmcv_names_missing_ops(monkeypatch):
    real = importlib.import_module

    def fake(name, *args):
        if name == 'mmcv._ext':
            raise ImportError("No module named 'mmcv._ext'")
        return real(name, *args)

    monkeypatch.setattr(compat.importlib, 'import_module', fake)
    with pytest.raises(ImportError, match='no compiled ops.*mmcv-lite'):
        compat.check_mmcv()


def test_check_mmcv_names_wrong_version(monkeypatch):
    import mmcv
    monkeypatch.setattr(mmcv, '__version__', '2.2.0')
    with pytest.raises(ImportError, match=r'found mmcv 2\.2\.0'):
        compat.check_mmcv()
