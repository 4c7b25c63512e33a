"""CAMVisualizationHook draws into the configured vis backends."""
import glob
import os.path as osp

import numpy as np
from helpers import REPO, SYNTH_CAM, tiny_train_cfg
from mmengine.config import Config
from PIL import Image


def test_hook_writes_panels_through_local_backend(synthetic_voc, tmp_path):
    from mmengine.runner import Runner
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, work, max_iters=2)
    snippet = Config.fromfile(
        osp.join(REPO, 'configs/_base_/cam_visualization.py'))
    cfg.custom_hooks = snippet.custom_hooks
    cfg.visualizer = snippet.visualizer
    # a visualizer of its own: mmengine keeps instances by name per process,
    # and an earlier test's would still write to that test's work dir
    cfg.visualizer['name'] = f'cam_vis_{tmp_path.name}'
    cfg.custom_hooks[0]['num_images'] = 3
    cfg.train_cfg.val_interval = 1  # validate after each iteration
    runner = Runner.from_cfg(cfg)
    runner.train()
    files = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'vis_image',
                                      'cam_*.png')))
    names = sorted(osp.basename(f) for f in files)
    # the first 3 val images, at both validation runs (iterations 1 and 2)
    val = [f'synth_{i:05d}' for i in range(8, 11)]
    assert names == sorted(f'cam_{s}_{it}.png' for s in val
                           for it in (1, 2))
    panel = np.array(Image.open(files[0]))
    assert panel.shape == (64, 3 * 64, 3)
    # the first tile is the image itself
    stem = osp.basename(files[0])[len('cam_'):].rsplit('_', 1)[0]
    img = np.array(Image.open(
        osp.join(synthetic_voc, 'JPEGImages', stem + '.jpg')).convert('RGB'))
    np.testing.assert_array_equal(panel[:, :64], img)


def test_hook_interval_and_arguments():
    import pytest

    from hfpl_mm.engine import CAMVisualizationHook
    with pytest.raises(ValueError, match='interval'):
        CAMVisualizationHook(interval=0)
    hook = CAMVisualizationHook(interval=2)
    # in runs 1 and 3 (0-based 0 and 2) it draws; run 2 is skipped
    drawn = []
    hook.draw = lambda sample, palette: np.zeros((1, 1, 3), np.uint8)

    class FakeVis:
        def add_image(self, name, image, step):
            drawn.append((name, step))

    class FakeRunner:
        iter = 7
        visualizer = FakeVis()

        class val_dataloader:  # noqa: N801
            class dataset:  # noqa: N801
                metainfo = dict(palette=[[0, 0, 0]])

    class Sample:
        img_path = '/x/a.jpg'

    for run in range(3):
        hook.before_val_epoch(FakeRunner)
        hook.after_val_iter(FakeRunner, 0, None, [Sample()])
        hook.after_val_epoch(FakeRunner)
        assert len(drawn) == (1 if run < 2 else 2)
    assert drawn[0] == ('cam_a', 7)
