import os.path as osp

import pytest

from hfpl_mm.datasets.synthetic import generate_synthetic_voc


@pytest.fixture(scope='session')
def synthetic_voc(tmp_path_factory):
    """A tiny synthetic VOC tree: 8 train, 4 val images of 64x64."""
    root = tmp_path_factory.mktemp('data') / 'synthvoc'
    return generate_synthetic_voc(
        str(root), num_train=8, num_val=4, seed=0, size=(64, 64))


@pytest.fixture(scope='session')
def real_mini():
    """The shared real images (not shipped with the repo): skip if absent."""
    from helpers import SHARED
    if not osp.isdir(SHARED):
        pytest.skip(f'{SHARED} not available')
    return SHARED


@pytest.fixture(scope='session')
def checkpoint(synthetic_voc, tmp_path_factory):
    """A CAM checkpoint of the synthetic config after 2 iterations."""
    from helpers import SYNTH_CAM, tiny_train_cfg
    from mmengine.runner import Runner
    work = str(tmp_path_factory.mktemp('stage1'))
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, work, max_iters=2)
    Runner.from_cfg(cfg).train()
    return osp.join(work, 'iter_2.pth')
