"""AffinityNet labels from block-averaged CRF scores."""
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from PIL import Image

from hfpl_mm.apis.affinity import save_affinity_scores

init_default_scope('mmseg')


def hand_scores():
    """16 x 16, stride 8, one class (keys [6] -> id 7); four blocks."""
    la = np.zeros((2, 16, 16), np.float32)
    ha = np.zeros((2, 16, 16), np.float32)
    # block (0, 0): 40 of 64 pixels lean foreground, but the block mean
    # leans background: bg (40*.3 + 24*.9)/64 = .525 > fg .475
    blk = np.array([[0.3, 0.7]] * 40 + [[0.9, 0.1]] * 24, np.float32)
    la[:, :8, :8] = blk.T.reshape(2, 8, 8)
    ha[:, :8, :8] = np.array([0.2, 0.8])[:, None, None]
    # block (0, 1): confident foreground in both
    la[:, :8, 8:] = np.array([0.1, 0.9])[:, None, None]
    ha[:, :8, 8:] = np.array([0.2, 0.8])[:, None, None]
    # block (1, 0): confident background
    la[:, 8:, :8] = np.array([0.9, 0.1])[:, None, None]
    ha[:, 8:, :8] = np.array([0.9, 0.1])[:, None, None]
    # block (1, 1): no score (padding)
    return la, ha


def pipeline(flip_prob=0.0):
    return Compose([
        dict(type='LoadCheckedImageFromFile'),
        dict(type='LoadAffinityScores'),
        dict(type='RandomFlip', prob=flip_prob),
        dict(type='AffinityLabelFromScores', stride=8),
    ])


def write_sample(tmp_path, la, ha):
    img = np.zeros((16, 16, 3), np.uint8)
    img[:, :4] = 255  # a white stripe on the left, to see the flip
    img_path = str(tmp_path / 'a.png')
    Image.fromarray(img).save(img_path)
    npz = str(tmp_path / 'a.npz')
    save_affinity_scores(npz, np.array([6]), la, ha)
    return dict(img_path=img_path, seg_map_path=npz, seg_fields=[])


def test_block_mean_then_argmax(tmp_path):
    la, ha = hand_scores()
    out = pipeline()(write_sample(tmp_path, la, ha))
    lab = out['gt_seg_map']
    assert lab.shape == (16, 16)
    blocks = lab[::8, ::8]
    # block mean -> background under la, foreground under ha: unsure; a
    # nearest or majority rule would have said class 7 here
    assert blocks.tolist() == [[255, 7], [0, 255]]
    # constant blocks at image resolution
    assert (lab[:8, 8:] == 7).all() and (lab[8:, :8] == 0).all()
    assert 'gt_aff_scores' not in out
    assert out['seg_fields'] == ['gt_seg_map']


def test_flip_moves_labels_with_the_image(tmp_path):
    la, ha = hand_scores()
    out = pipeline(flip_prob=1.0)(write_sample(tmp_path, la, ha))
    assert out['flip']
    assert (out['img'][:, -4:] == 255).all()  # the stripe moved right
    assert out['gt_seg_map'][::8, ::8].tolist() == [[7, 255], [255, 0]]


def test_bad_archive_named(tmp_path):
    la, ha = hand_scores()
    sample = write_sample(tmp_path, la, ha[:1])
    with pytest.raises(ValueError, match='a.npz'):
        pipeline()(sample)
    # a pickled object array is refused, not executed
    # (np.save pickles object arrays by default)
    np.save(str(tmp_path / 'b.npy'), np.array([object()], dtype=object))
    bad = str(tmp_path / 'b.npz')
    with open(str(tmp_path / 'b.npy'), 'rb') as f, open(bad, 'wb') as g:
        g.write(f.read())
    sample['seg_map_path'] = bad
    with pytest.raises(IOError, match='b.npz'):
        pipeline()(sample)


def test_dataset_checks_archives(synthetic_voc, tmp_path):
    aff = tmp_path / 'aff'
    aff.mkdir()
    ids = open(osp.join(synthetic_voc, 'ImageSets/Segmentation/train.txt')
               ).read().split()
    for i in ids:
        save_affinity_scores(str(aff / f'{i}.npz'), np.array([0]),
                             np.ones((2, 64, 64)), np.ones((2, 64, 64)))
    cfg = dict(
        type='AffinityLabelDataset',
        data_root=synthetic_voc,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=str(aff)),
        pipeline=[])
    assert len(DATASETS.build(cfg)) == len(ids)
    save_affinity_scores(str(aff / f'{ids[1]}.npz'), np.array([0]),
                         np.ones((2, 32, 64)), np.ones((2, 32, 64)))
    with pytest.raises(ValueError, match=f'{ids[1]}.npz'):
        DATASETS.build(cfg)
