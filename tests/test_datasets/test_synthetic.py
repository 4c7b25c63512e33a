"""The synthetic renderer's presets: determinism, masks against images,
labels against masks, and what the 'hard' preset promises."""
import os.path as osp
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from hfpl_mm.datasets.synthetic import (HARD_REGIONS, SYNTH_CLASSES,
                                        VOC_CLASSES,
                                        generate_synthetic_voc,
                                        render_background,
                                        render_hard_sample)
from hfpl_mm.utils.safe_load import load_cls_labels


@pytest.fixture(scope='module')
def hard_root(tmp_path_factory):
    return generate_synthetic_voc(
        str(tmp_path_factory.mktemp('hard') / 'voc'), 12, 4, seed=3,
        size=(64, 64), preset='hard')


def test_hard_preset_deterministic_per_seed(hard_root, tmp_path):
    again = generate_synthetic_voc(
        str(tmp_path / 'again'), 12, 4, seed=3, size=(64, 64), preset='hard')
    other = generate_synthetic_voc(
        str(tmp_path / 'other'), 12, 4, seed=4, size=(64, 64), preset='hard')
    for sub in ('JPEGImages/synth_00005.jpg',
                'SegmentationClass/synth_00005.png',
                'Annotations/synth_00005.xml'):
        assert open(osp.join(hard_root, sub), 'rb').read() == open(
            osp.join(again, sub), 'rb').read()
    assert open(osp.join(hard_root, 'JPEGImages/synth_00005.jpg'),
                'rb').read() != open(
                    osp.join(other, 'JPEGImages/synth_00005.jpg'),
                    'rb').read()


def test_hard_labels_consistent_with_masks(hard_root):
    labels = load_cls_labels(osp.join(hard_root, 'cls_labels.npy'), 20)
    allowed = {VOC_CLASSES.index(n) for n in SYNTH_CLASSES}
    ids = [f'synth_{i:05d}' for i in range(16)]
    counts = []
    for img_id in ids:
        seg = np.array(
            Image.open(osp.join(hard_root, 'SegmentationClass',
                                img_id + '.png')))
        img = Image.open(osp.join(hard_root, 'JPEGImages', img_id + '.jpg'))
        assert img.size == seg.shape[::-1]
        present = sorted(int(c) for c in np.unique(seg) if c != 0)
        assert set(present) <= allowed
        counts.append(len(present))
        # the XML and cls_labels.npy name exactly the classes of the mask
        root = ET.parse(osp.join(hard_root, 'Annotations',
                                 img_id + '.xml')).getroot()
        names = sorted(o.find('name').text for o in root.iter('object'))
        assert names == sorted(VOC_CLASSES[c] for c in present)
        np.testing.assert_array_equal(
            np.nonzero(labels[img_id])[0] + 1, present)
    # co-occurrence: two to four classes in every image
    assert min(counts) >= 2 and max(counts) <= 4


def test_hard_objects_touch_and_masks_match_the_image():
    rng = np.random.default_rng(0)
    touching = 0
    for _ in range(10):
        state = np.random.default_rng(rng.integers(1 << 30))
        img, seg = render_hard_sample(state, (80, 80))
        assert img.shape == (80, 80, 3) and seg.shape == (80, 80)
        classes = [c for c in np.unique(seg) if c]
        # two classes touch: a pixel of one has a 4-neighbour of another
        a, b = seg[:, :-1], seg[:, 1:]
        c, d = seg[:-1], seg[1:]
        if (((a != b) & (a > 0) & (b > 0)).any()
                or ((c != d) & (c > 0) & (d > 0)).any()):
            touching += 1
        assert len(classes) >= 2
    assert touching >= 7
    # an object's pixels differ from the background drawn under it
    state = np.random.default_rng(5)
    background = render_background(np.random.default_rng(5), 80, 80)
    img, seg = render_hard_sample(state, (80, 80))
    diff = np.abs(img.astype(int) - background.astype(int)).sum(-1)
    assert diff[seg > 0].mean() > diff[seg == 0].mean()


def test_default_preset_unchanged_and_bad_preset(tmp_path):
    with pytest.raises(ValueError, match='preset'):
        generate_synthetic_voc(str(tmp_path / 'x'), 1, 1, preset='extreme')
    assert not osp.exists(tmp_path / 'x')


def test_hard_regions_partition_the_mask_and_leave_the_draws_alone():
    kinds = np.zeros(len(HARD_REGIONS))
    for seed in range(6):
        img, seg = render_hard_sample(np.random.default_rng(seed), (64, 64))
        img2, seg2, region = render_hard_sample(
            np.random.default_rng(seed), (64, 64), regions=True)
        assert (img == img2).all() and (seg == seg2).all()
        # background kinds on background pixels, object kinds on objects
        assert (seg[region <= 1] == 0).all() and (seg[region >= 2] > 0).all()
        kinds += np.bincount(region.ravel(), minlength=len(HARD_REGIONS))
    # over six images every kind occurs
    assert (kinds > 0).all()
