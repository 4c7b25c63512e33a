import json

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from PIL import Image

from hfpl_mm.datasets import COCO_CLASSES

init_default_scope('mmseg')


def make_coco(root, anns, images=('a.jpg', 'b.jpg', 'c.jpg')):
    (root / 'train2014').mkdir(parents=True, exist_ok=True)
    for name in images:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(
            root / 'train2014' / name)
    # category ids are not contiguous in COCO: 1..90 with gaps
    ids = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68,
                                                 69, 71, 83)]
    cats = [dict(id=i, name=n) for i, n in zip(ids, COCO_CLASSES)]
    data = dict(
        images=[dict(id=k, file_name=n) for k, n in enumerate(images)],
        annotations=[
            dict(id=j, image_id=i, category_id=c)
            for j, (i, c) in enumerate(anns)
        ],
        categories=cats)
    (root / 'ann.json').write_text(json.dumps(data))
    return ids


def build(root, **kw):
    return DATASETS.build(
        dict(
            type='COCOWeakDataset',
            data_root=str(root),
            ann_file='ann.json',
            data_prefix=dict(img_path='train2014', seg_map_path='mask'),
            pipeline=[],
            **kw))


def test_labels_from_instances(tmp_path):
    ids = make_coco(tmp_path, [(0, 1), (0, 1), (0, 18), (1, 90)])
    ds = build(tmp_path)
    assert len(ds) == 2  # image 2 has no instances: skipped
    l0 = ds.get_data_info(0)['gt_cls_label']
    assert l0.shape == (80, )
    assert np.nonzero(l0)[0].tolist() == [0, ids.index(18)]  # person, dog
    assert COCO_CLASSES[ids.index(18)] == 'dog'
    assert np.nonzero(ds.get_data_info(1)['gt_cls_label'])[0].tolist() == [79]
    with pytest.raises(ValueError, match='c.jpg.*no foreground'):
        build(tmp_path, no_label='error')


def test_unknown_category_and_missing_image(tmp_path):
    make_coco(tmp_path, [(0, 12)])  # 12 is not a COCO category id
    with pytest.raises(ValueError, match='unknown category_id 12'):
        build(tmp_path)
    make_coco(tmp_path, [(0, 1)], images=('a.jpg', ))
    data = json.loads((tmp_path / 'ann.json').read_text())
    data['images'].append(dict(id=9, file_name='zz.jpg'))
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(FileNotFoundError, match='zz.jpg.*missing'):
        build(tmp_path)
