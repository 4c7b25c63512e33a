"""docs/your_own_dataset.md: its config, as the page gives it, on a
3-class set of its own class names through stage 1, stage 2, the
evaluation tools and the demo; the label sources agree; mistakes are
named."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from helpers import REPO, documented_config, run_tool, tiny_train_cfg
from PIL import Image

GUIDE = osp.join(REPO, 'docs', 'your_own_dataset.md')
CLASSES = ('background', 'circle', 'square', 'triangle')


def render_shapes(root, num_train=8, num_val=4, size=64, seed=0):
    """A VOC-layout set of coloured circles, squares and triangles on noisy
    backgrounds: masks with values 1..3, split files, labels.csv and
    labels.json with the classes of each mask."""
    rng = np.random.default_rng(seed)
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, d), exist_ok=True)
    yy, xx = np.mgrid[:size, :size]
    ids, table = [], {}
    for i in range(num_train + num_val):
        img = rng.integers(60, 120, (size, size, 3)).astype(np.float32)
        mask = np.zeros((size, size), np.uint8)
        classes = rng.choice([1, 2, 3], rng.integers(1, 3), replace=False)
        for k, c in enumerate(classes):
            cx, cy = (16 + 32 * k) % size + 4, int(rng.integers(16, 48))
            r = int(rng.integers(8, 13))
            if c == 1:
                shape = (xx - cx)**2 + (yy - cy)**2 <= r * r
            elif c == 2:
                shape = (abs(xx - cx) <= r) & (abs(yy - cy) <= r)
            else:
                shape = (yy - cy <= r) & (abs(xx - cx) <= (yy - cy + r) / 2)
            mask[shape] = c
            img[shape] = [(220, 40, 60), (40, 200, 70), (30, 90, 220)][c - 1]
        stem = f'img_{i:03d}'
        Image.fromarray(img.astype(np.uint8)).save(
            osp.join(root, 'JPEGImages', stem + '.jpg'), quality=95)
        Image.fromarray(mask).save(
            osp.join(root, 'SegmentationClass', stem + '.png'))
        present = sorted(int(v) for v in np.unique(mask) if v)
        table[stem] = [CLASSES[v] for v in present]
        ids.append(stem)
    sets = osp.join(root, 'ImageSets', 'Segmentation')
    for name, part in (('train', ids[:num_train]), ('val', ids[num_train:])):
        with open(osp.join(sets, name + '.txt'), 'w') as f:
            f.write('\n'.join(part) + '\n')
    with open(osp.join(root, 'labels.csv'), 'w') as f:
        f.write('image,labels\n')
        f.writelines(f'{k},{";".join(v)}\n' for k, v in table.items())
    with open(osp.join(root, 'labels.json'), 'w') as f:
        json.dump(table, f)
    return root


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    return render_shapes(str(tmp_path_factory.mktemp('data') / 'shapes'))


def test_guide_config_through_the_stages(shapes, tmp_path):
    from mmengine.runner import Runner
    config = documented_config(GUIDE, '## The configs to change',
                               tmp_path / 'project')
    cfg = tiny_train_cfg(config, shapes, str(tmp_path / 'work'), max_iters=2)
    assert cfg.train_dataloader.dataset.type == 'WeakSegDataset'
    runner = Runner.from_cfg(cfg)
    # the dataset's classes are the page's, labels from the masks
    ds = runner.train_dataloader.dataset
    assert ds.metainfo['classes'] == CLASSES
    table = json.load(open(osp.join(shapes, 'labels.json')))
    assert len(ds) == 8
    for item in map(ds.get_data_info, range(len(ds))):
        stem = osp.splitext(osp.basename(item['img_path']))[0]
        names = [CLASSES[i + 1] for i in np.nonzero(item['gt_cls_label'])[0]]
        assert names == table[stem]
    runner.train()
    ckpt = str(tmp_path / 'work' / 'iter_2.pth')
    dumped = str(tmp_path / 'cfg.py')
    cfg.dump(dumped)
    # stage 2 through the tool: labels in 0..3, the manifest's classes
    pl = str(tmp_path / 'pl')
    res = run_tool('tools/make_pseudo_labels.py', dumped, ckpt, '--split',
                   'val', '--out-dir', pl, '--save-cams')
    assert 'written 4' in res.stdout
    pngs = sorted(os.listdir(pl))
    assert len([p for p in pngs if p.endswith('.png')]) == 4
    for p in pngs:
        if p.endswith('.png'):
            assert np.array(Image.open(osp.join(pl, p))).max() <= 3
    # the evaluation tool names the three classes
    res = run_tool('tools/eval_pseudo_labels.py', pl,
                   osp.join(shapes, 'SegmentationClass'), '--config',
                   dumped)
    for name in CLASSES:
        assert re.search(rf'\| +{name} +\|', res.stdout), name
    assert 'aeroplane' not in res.stdout
    assert 'over 4 classes' in res.stdout
    res = run_tool('tools/visualize_cams.py', pl,
                   osp.join(shapes, 'JPEGImages'), '--out-dir',
                   str(tmp_path / 'vis'), '--num', '1', '--config', dumped)
    assert len(os.listdir(tmp_path / 'vis')) == 1
    # the demo takes the class names of the checkpoint
    img = osp.join(shapes, 'JPEGImages', 'img_008.jpg')
    res = run_tool('demo/cam_demo.py', img, dumped, ckpt, '--labels',
                   'circle', 'triangle', '--out-dir', str(tmp_path / 'demo'),
                   '--device', 'cpu')
    assert (tmp_path / 'demo' / 'img_008_cam_circle.png').is_file()
    assert (tmp_path / 'demo' / 'img_008_cam_triangle.png').is_file()
    bad = run_tool('demo/cam_demo.py', img, dumped, ckpt, '--labels', 'cat',
                   '--out-dir', str(tmp_path / 'demo2'), check=False)
    assert bad.returncode != 0 and 'cat' in bad.stdout + bad.stderr


def dataset(root, **kw):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    import hfpl_mm  # noqa: F401
    init_default_scope('mmseg')
    return DATASETS.build(dict(
        type='WeakSegDataset', data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClass'),
        pipeline=[], **kw))


def test_label_sources_agree(shapes):
    meta = dict(classes=CLASSES)
    labels = {}
    for name, kw in (('masks', dict(labels_from='masks')),
                     ('csv', dict(cls_label_file='labels.csv')),
                     ('json', dict(cls_label_file='labels.json'))):
        ds = dataset(shapes, metainfo=meta, **kw)
        labels[name] = [ds.get_data_info(i)['gt_cls_label'].tolist()
                        for i in range(len(ds))]
        # no palette given: the VOC colour map of 4 classes
        assert ds.metainfo['palette'][:2] == [[0, 0, 0], [128, 0, 0]]
        assert len(ds.metainfo['palette']) == 4
    assert labels['masks'] == labels['csv'] == labels['json']
    assert sum(map(sum, labels['masks'])) >= 8  # every image has a class


def test_mistakes_are_named(shapes, tmp_path):
    with pytest.raises(ValueError, match='WeakSegDataset needs metainfo'):
        dataset(shapes, labels_from='masks')
    with pytest.raises(ValueError, match='background first'):
        dataset(shapes, metainfo=dict(classes=('circle', 'square')),
                labels_from='masks')
    with pytest.raises(ValueError, match='one RGB triple'):
        dataset(shapes, metainfo=dict(classes=CLASSES, palette=[[0, 0, 0]]),
                labels_from='masks')
    bad = tmp_path / 'bad.csv'
    bad.write_text('image,labels\nimg_000,circle;hexagon\n')
    with pytest.raises(ValueError,
                       match=r"bad.csv, line 2: unknown class 'hexagon'"):
        dataset(shapes, metainfo=dict(classes=CLASSES),
                cls_label_file=str(bad))
    # masks with a value beyond the class list
    two = dict(classes=('background', 'circle'))
    with pytest.raises(ValueError, match=r'img_000.png: labels \[[0-9, ]+\] '
                       r'outside 0..1'):
        dataset(shapes, metainfo=two, labels_from='masks')
