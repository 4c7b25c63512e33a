import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from hfpl_mm.datasets.synthetic import VOC_CLASSES

init_default_scope('mmseg')
PIPELINE = [dict(type='LoadCheckedImageFromFile'),
            dict(type='PackWeakSegInputs')]


def build(root, split='train', **kw):
    return DATASETS.build(
        dict(
            type='VOCWeakDataset',
            data_root=root,
            ann_file=f'ImageSets/Segmentation/{split}.txt',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            pipeline=PIPELINE,
            **kw))


@pytest.fixture
def voc_copy(synthetic_voc, tmp_path):
    dst = tmp_path / 'voc'
    shutil.copytree(synthetic_voc, dst)
    return str(dst)


def mask_classes(root, img_id):
    from PIL import Image
    m = np.array(Image.open(osp.join(root, 'SegmentationClass',
                                     img_id + '.png')))
    return sorted(int(c) - 1 for c in np.unique(m) if c not in (0, 255))


def test_labels_from_xml_match_masks(synthetic_voc):
    ds = build(synthetic_voc)
    assert len(ds) == 8
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        img_id = osp.splitext(osp.basename(info['img_path']))[0]
        assert np.nonzero(info['gt_cls_label'])[0].tolist() == mask_classes(
            synthetic_voc, img_id)
        assert info['seg_map_path'].endswith(img_id + '.png')
    packed = ds[0]
    label = packed['data_samples'].gt_cls_label
    assert label.shape == (20, ) and label.dtype.is_floating_point
    assert packed['inputs'].shape[0] == 3


def test_labels_from_cls_labels_npy(synthetic_voc):
    a = build(synthetic_voc)
    b = build(synthetic_voc, cls_label_file='cls_labels.npy')
    for i in range(len(a)):
        np.testing.assert_array_equal(a.get_data_info(i)['gt_cls_label'],
                                      b.get_data_info(i)['gt_cls_label'])


def test_missing_image(voc_copy):
    os.remove(osp.join(voc_copy, 'JPEGImages', 'synth_00003.jpg'))
    with pytest.raises(FileNotFoundError, match='synth_00003.jpg.*missing'):
        build(voc_copy)


def test_unreadable_image(voc_copy):
    with open(osp.join(voc_copy, 'JPEGImages', 'synth_00000.jpg'),
              'wb') as f:
        f.write(b'not a jpeg')
    # named when the dataset is built (header check) ...
    with pytest.raises(IOError, match='synth_00000.jpg: not a readable'):
        build(voc_copy)
    # ... and when loaded, if the build-time check is off
    ds = build(voc_copy, check_images=False)
    with pytest.raises(IOError, match='synth_00000.jpg'):
        ds[0]


def test_unknown_class_in_xml(voc_copy):
    path = osp.join(voc_copy, 'Annotations', 'synth_00002.xml')
    text = open(path).read()
    name = text.split('<name>')[1].split('</name>')[0]
    with open(path, 'w') as f:
        f.write(text.replace(f'<name>{name}</name>', '<name>unicorn</name>',
                             1))
    with pytest.raises(ValueError, match="synth_00002.xml.*'unicorn'"):
        build(voc_copy)


def test_empty_split_file(voc_copy):
    open(osp.join(voc_copy, 'ImageSets', 'Segmentation', 'train.txt'),
         'w').close()
    with pytest.raises(ValueError, match='train.txt lists no images'):
        build(voc_copy)


def test_no_foreground_label_skip_or_error(voc_copy):
    path = osp.join(voc_copy, 'Annotations', 'synth_00001.xml')
    with open(path, 'w') as f:
        f.write('<annotation><filename>synth_00001.jpg</filename>'
                '</annotation>')
    ds = build(voc_copy)
    assert len(ds) == 7
    assert not any('synth_00001' in ds.get_data_info(i)['img_path']
                   for i in range(len(ds)))
    with pytest.raises(ValueError, match='synth_00001.jpg.*no foreground'):
        build(voc_copy, no_label='error')


def test_synthetic_generator_deterministic(tmp_path):
    from hfpl_mm.datasets.synthetic import generate_synthetic_voc
    a = generate_synthetic_voc(str(tmp_path / 'a'), 3, 1, seed=7,
                               size=(48, 48))
    b = generate_synthetic_voc(str(tmp_path / 'b'), 3, 1, seed=7,
                               size=(48, 48))
    for sub in ('JPEGImages/synth_00002.jpg',
                'SegmentationClass/synth_00002.png',
                'Annotations/synth_00002.xml'):
        assert open(osp.join(a, sub), 'rb').read() == open(
            osp.join(b, sub), 'rb').read()
    with pytest.raises(FileExistsError):
        generate_synthetic_voc(a, 1, 1)
    assert set(VOC_CLASSES[1:]) >= {'cat', 'car', 'bottle'}
