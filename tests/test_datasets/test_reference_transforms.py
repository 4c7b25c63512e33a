"""The reference's stage-1 augmentation (SEAM / HFPL train_cam_voc.py):
RandomResizeLong, mmpretrain's ColorJitter and a crop that pads at a random
position; its SGD momentum and dropped last batch."""
import os.path as osp

import numpy as np
import pytest
from helpers import REPO
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import TRANSFORMS
from PIL import Image

init_default_scope('mmseg')


def test_random_resize_long_draws_the_long_side_uniformly():
    t = TRANSFORMS.build(dict(type='RandomResizeLong', min_long=448,
                              max_long=768))
    np.random.seed(0)
    longs = np.array([t._long_side() for _ in range(4000)])
    assert longs.min() == 448 and longs.max() == 768  # both ends included
    assert longs.mean() == pytest.approx(608, abs=4)  # uniform
    # 4:3 landscape and portrait: the long side is the drawn one, the short
    # side rounded (not floored)
    assert t.target_size(300, 400, 500) == (500, 375)
    assert t.target_size(401, 300, 500) == (374, 500)  # 374.06 -> 374
    assert t.target_size(300, 401, 449) == (449, 336)  # 335.91 -> 336


def test_random_resize_long_is_pil_bicubic():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    seg = rng.integers(0, 3, (30, 40), dtype=np.uint8)
    t = TRANSFORMS.build(dict(type='RandomResizeLong', min_long=50,
                              max_long=50))
    out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
    want = np.array(Image.fromarray(img).resize((50, 38), Image.BICUBIC))
    np.testing.assert_array_equal(out['img'], want)
    assert out['img_shape'] == (38, 50)
    assert out['gt_seg_map'].shape == (38, 50)
    assert set(np.unique(out['gt_seg_map'])) <= set(np.unique(seg))


def test_random_crop_or_pad_places_a_short_axis_at_random():
    img = np.arange(10 * 6 * 3, dtype=np.uint8).reshape(10, 6, 3)
    seg = np.ones((10, 6), np.uint8)
    mean = (103.53, 116.28, 123.675)
    t = TRANSFORMS.build(dict(type='RandomCropOrPad', crop_size=(8, 8),
                              pad_val=mean))
    np.random.seed(0)
    lefts, tops = set(), set()
    for _ in range(60):
        out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
        canvas, lab = out['img'], out['gt_seg_map']
        assert canvas.shape == (8, 8, 3) and canvas.dtype == np.float32
        assert out['img_shape'] == (8, 8)
        inside = lab == 1
        cols = np.nonzero(inside.any(0))[0]
        left = int(cols[0])
        assert len(cols) == 6  # the width is kept whole, placed at `left`
        lefts.add(left)
        # the height (10 > 8) is cropped: the rows are a window of the image
        top = int(canvas[0, left, 0]) // (6 * 3)
        tops.add(top)
        np.testing.assert_array_equal(canvas[:, left:left + 6],
                                      img[top:top + 8].astype(np.float32))
        # padding: the mean colour exactly, and 255 in the labels
        pad = ~inside
        np.testing.assert_array_equal(canvas[pad],
                                      np.broadcast_to(np.float32(mean),
                                                      (pad.sum(), 3)))
        assert (lab[pad] == 255).all()
    assert lefts == {0, 1, 2}  # every placement, not only top-left
    assert tops == {0, 1, 2}


@pytest.mark.parametrize('dataset', ['voc12_weak', 'coco14_weak'])
def test_reference_pipelines_build_and_run(dataset, synthetic_voc):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', f'{dataset}.py'))
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['LoadCheckedImageFromFile', 'RandomResizeLong',
                     'RandomFlip', 'mmpretrain.ColorJitter',
                     'RandomCropOrPad', 'PackWeakSegInputs']
    jitter = cfg.train_dataloader.dataset.pipeline[3]
    assert (jitter.brightness, jitter.contrast, jitter.saturation,
            jitter.hue) == (0.3, 0.3, 0.3, 0.1)
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline])
    np.random.seed(0)
    out = pipeline(dict(
        img_path=osp.join(synthetic_voc, 'JPEGImages', 'synth_00000.jpg'),
        gt_cls_label=np.zeros(20, np.float32)))
    assert tuple(out['inputs'].shape) == (3, 448, 448)
    # the affinity pipeline jitters colours with the same transform
    aff = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   'voc12_affinity.py'))
    assert 'mmpretrain.ColorJitter' in [
        t['type'] for t in aff.train_dataloader.dataset.pipeline]
    for t in aff.train_dataloader.dataset.pipeline:
        TRANSFORMS.build(t)


def test_reference_schedule_and_batches(synthetic_voc):
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seam/hfpl-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py'))
    opt = cfg.optim_wrapper.optimizer
    assert (opt.momentum, opt.weight_decay) == (5e-4, 5e-4)
    assert cfg.train_dataloader.drop_last is True
    # mmengine passes drop_last to the DataLoader: 8 images, batches of 3
    from mmengine.runner import Runner
    dl = cfg.train_dataloader.to_dict()
    dl.update(batch_size=3, num_workers=0, persistent_workers=False)
    dl['dataset'].update(
        data_root=synthetic_voc, ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClass'),
        pipeline=[dict(type='LoadCheckedImageFromFile'),
                  dict(type='PackWeakSegInputs')])
    assert len(Runner.build_dataloader(dl)) == 2  # 8 // 3, the rest dropped


def test_final_network_augmentation_hand_values():
    """RandomRescale: one factor for both sides, rounded sizes, labels
    nearest; RandomHSVShift: integer shifts in OpenCV's 8-bit HSV."""
    import cv2
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    seg = rng.integers(0, 3, (20, 30), dtype=np.uint8)
    t = TRANSFORMS.build(dict(type='RandomRescale', ratio_range=(0.5, 1.5)))
    np.random.seed(1)
    ratios = [t._ratio() for _ in range(2000)]
    assert 0.5 <= min(ratios) and max(ratios) <= 1.5
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.02)
    t._ratio = lambda: 0.75
    out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
    assert out['img'].shape == (15, 22, 3)  # round(22.5) = 22, 15
    np.testing.assert_array_equal(
        out['img'], cv2.resize(img, (22, 15), interpolation=cv2.INTER_CUBIC))
    assert set(np.unique(out['gt_seg_map'])) <= {0, 1, 2}
    hsv = TRANSFORMS.build(dict(type='RandomHSVShift', hue=10,
                                saturation=10, value=10))
    hsv._deltas = lambda: (175, -300, 300)
    out = hsv(dict(img=img.copy()))
    h, s, v = cv2.split(cv2.cvtColor(out['img'], cv2.COLOR_BGR2HSV))
    # every pixel saturated to 0 and value 255: grey-white, whatever hue
    assert (s == 0).all() and (v == 255).all()
    fresh = TRANSFORMS.build(dict(type='RandomHSVShift', hue=2,
                                  saturation=1, value=0))
    np.random.seed(0)
    deltas = {fresh._deltas() for _ in range(300)}
    assert {d[0] for d in deltas} == {-2, -1, 0, 1, 2}
    assert {d[1] for d in deltas} == {-1, 0, 1}
    assert {d[2] for d in deltas} == {0}
