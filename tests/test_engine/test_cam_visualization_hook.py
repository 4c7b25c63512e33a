"""CAMVisualizationHook draws into the configured vis backends."""
import glob
import os.path as osp

import numpy as np
from helpers import REPO, documented_config, tiny_train_cfg
from mmengine.config import Config
from PIL import Image


DOC = osp.join(REPO, 'docs', 'stage1_cams.md')


def test_documented_route_draws_titled_panels(synthetic_voc, tmp_path):
    from mmengine.runner import Runner
    # the route that failed with "Duplicate key is not allowed among bases"
    config = documented_config(DOC, '## See CAMs during training',
                               tmp_path / 'project')
    cfg = Config.fromfile(config)
    assert cfg.custom_hooks[0]['type'] == 'CAMVisualizationHook'
    assert cfg.visualizer.vis_backends[0]['type'] == 'LocalVisBackend'
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(config, synthetic_voc, work, max_iters=2)
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
    # three 64-px tiles enlarged 3x to 192 px under a title banner, 4-px
    # gaps, and a legend row below
    assert panel.shape[1] == 3 * 192 + 2 * 4
    # the first tile is the image itself, enlarged by pixel replication
    stem = osp.basename(files[0])[len('cam_'):].rsplit('_', 1)[0]
    img = np.array(Image.open(
        osp.join(synthetic_voc, 'JPEGImages', stem + '.jpg')).convert('RGB'))
    big = img.repeat(3, 0).repeat(3, 1)
    top = next(y for y in range(panel.shape[0] - 191)
               if np.array_equal(panel[y:y + 192, :192], big))
    assert 14 <= top <= 40, top  # the banner above it
    assert panel.shape[0] > top + 192  # the legend below


def test_panel_titles_and_legend_name_the_classes():
    from hfpl_mm.engine import CAMVisualizationHook
    from hfpl_mm.visualization import legend_items
    palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]
    classes = ['background', 'cat', 'dog']
    # legend: the foreground classes shown, in class order, and ignore
    assert legend_items([0, 2, 1, 255, 2], classes, palette) == [
        ('cat', (128, 0, 0)), ('dog', (0, 128, 0)),
        ('ignore', (255, 255, 255))]
    titles = []
    import hfpl_mm.visualization as vis
    real = vis.compose_panel

    def spy(tiles, titles_, legend=None, **kw):
        titles.append((titles_, legend))
        return real(tiles, titles_, legend, **kw)

    import pytest
    mp = pytest.MonkeyPatch()
    mp.setattr(vis, 'compose_panel', spy)
    try:
        import torch
        from mmseg.structures import SegDataSample
        from mmengine.structures import PixelData
        sample = SegDataSample()
        sample.set_metainfo(dict(img_path=osp.join(
            REPO, 'docs', 'images', 'cam_demo.png')))
        img = np.array(Image.open(sample.img_path).convert('RGB'))
        h, w = img.shape[:2]
        scores = torch.zeros(3, h, w)
        scores[0] = 0.26
        scores[2, :h // 2] = 0.9  # only 'dog' scores: the image's label
        sample.seg_logits = PixelData(data=scores)
        sample.pred_sem_seg = PixelData(
            data=scores.argmax(0, keepdim=True))
        panel = CAMVisualizationHook().draw(
            sample, dict(classes=classes, palette=palette), step=7)
    finally:
        mp.undo()
    (names, legend), = titles
    assert names == ['cam_demo', 'CAM: dog', 'pseudo-label, iter 7']
    assert legend == [('dog', (0, 128, 0))]
    assert panel.dtype == np.uint8 and panel.shape[2] == 3


def test_hook_interval_and_arguments():
    import pytest

    from hfpl_mm.engine import CAMVisualizationHook
    with pytest.raises(ValueError, match='interval'):
        CAMVisualizationHook(interval=0)
    hook = CAMVisualizationHook(interval=2)
    # in runs 1 and 3 (0-based 0 and 2) it draws; run 2 is skipped
    drawn = []
    hook.draw = lambda sample, meta, step: np.zeros((1, 1, 3), np.uint8)

    class FakeVis:
        def add_image(self, name, image, step):
            drawn.append((name, step))

    class FakeRunner:
        iter = 7
        visualizer = FakeVis()

        class val_dataloader:  # noqa: N801
            class dataset:  # noqa: N801
                metainfo = dict(classes=['background'],
                                palette=[[0, 0, 0]])

    class Sample:
        img_path = '/x/a.jpg'

    for run in range(3):
        hook.before_val_epoch(FakeRunner)
        hook.after_val_iter(FakeRunner, 0, None, [Sample()])
        hook.after_val_epoch(FakeRunner)
        assert len(drawn) == (1 if run < 2 else 2)
    assert drawn[0] == ('cam_a', 7)
