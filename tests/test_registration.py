import importlib

import pytest

import hfpl_mm
from hfpl_mm.utils import compat


def test_everything_registered():
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
    for name in ('CAMSegmentor', 'SEAMSegmentor', 'PuzzleCAMSegmentor',
                 'CAMHead', 'SEAMHead', 'WideResNet38', 'GlobalAvgPool',
                 'ImportanceSamplingPool', 'ImportanceSamplingLoss',
                 'FeatureSimilarityLoss', 'MultiLabelSoftMarginLoss'):
        assert MODELS.get(name) is not None, name
    assert PRETRAIN_MODELS.get('ImportanceSamplingPool') is not None
    for name in ('VOCWeakDataset', 'COCOWeakDataset'):
        assert DATASETS.get(name) is not None, name
    for name in ('PackWeakSegInputs', 'LoadCheckedImageFromFile'):
        assert TRANSFORMS.get(name) is not None, name
    assert METRICS is not None
    assert hfpl_mm.__version__.count('.') == 2


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
