import os
import shutil

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from PIL import Image

init_default_scope('mmseg')


def build(root, pseudo):
    return DATASETS.build(
        dict(
            type='PseudoLabelDataset',
            data_root=root,
            ann_file='ImageSets/Segmentation/train.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations'),
                      dict(type='PackSegInputs')]))


def test_valid_directory_loads(synthetic_voc, tmp_path):
    pseudo = tmp_path / 'pl'
    shutil.copytree(os.path.join(synthetic_voc, 'SegmentationClass'), pseudo)
    ds = build(synthetic_voc, str(pseudo))
    assert len(ds) == 8
    assert ds[0]['data_samples'].gt_sem_seg.data.shape[-2:] == (64, 64)


def test_bad_files_are_listed(synthetic_voc, tmp_path):
    pseudo = tmp_path / 'pl'
    shutil.copytree(os.path.join(synthetic_voc, 'SegmentationClass'), pseudo)
    os.remove(pseudo / 'synth_00001.png')
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(pseudo /
                                                       'synth_00002.png')
    Image.fromarray(np.full((64, 64), 40, np.uint8)).save(pseudo /
                                                          'synth_00004.png')
    with pytest.raises(ValueError) as err:
        build(synthetic_voc, str(pseudo))
    msg = str(err.value)
    assert '3 of 8' in msg
    assert 'synth_00001.png: pseudo-label missing' in msg
    assert 'synth_00002.png: size (10, 10) differs' in msg
    assert 'synth_00004.png: labels [40] outside [0, 21)' in msg


def test_missing_directory(synthetic_voc, tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        build(synthetic_voc, str(tmp_path / 'nowhere'))


def test_uncertain_pixels_load_as_ignore(synthetic_voc, tmp_path):
    """Pseudo-labels of other WSSS codebases mark uncertain pixels 255:
    they load unchanged and the stage-3 loss ignores them
    (test_stage3_models.py checks the loss)."""
    pseudo = tmp_path / 'pl'
    shutil.copytree(os.path.join(synthetic_voc, 'SegmentationClass'), pseudo)
    path = pseudo / 'synth_00000.png'
    label = np.array(Image.open(path))
    label[:8] = 255
    Image.fromarray(label).save(path)
    ds = build(synthetic_voc, str(pseudo))
    seg = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    assert (seg[:8] == 255).all()
    np.testing.assert_array_equal(seg[8:], label[8:])
