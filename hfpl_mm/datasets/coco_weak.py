# Copyright (c) hfpl-mm contributors. All rights reserved.
import json
import os.path as osp
from collections import defaultdict
from typing import List

from mmengine.fileio import exists, get_local_path
from mmseg.registry import DATASETS
from mmseg.datasets import BaseSegDataset

from .class_list import voc_colour_map
from .voc_weak import WeakLabelMixin, multi_hot

COCO_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
    'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
    'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush')


@DATASETS.register_module()
class COCOWeakDataset(WeakLabelMixin, BaseSegDataset):
    """MS COCO 2014 with image-level labels from the instance annotations.

    ``ann_file`` is an ``instances_{train,val}2014.json``; an image's labels
    are the categories of its instances (crowd ones too), mapped to 80
    contiguous foreground indices in the order of the file's ``categories``
    (sorted by id). GT masks are attached when
    ``<seg_map_path>/<file stem>.png`` exists (81 classes, background 0),
    for evaluation only.

    Args:
        ann_file (str): COCO instances JSON.
        no_label (str): 'skip' or 'error' for images without instances.
            Defaults to 'skip'.
        check_images (bool): Open every image's header at build, so an
            unreadable file is named before training starts.
            Defaults to True.
    """
    METAINFO = dict(
        classes=('background', ) + COCO_CLASSES, palette=voc_colour_map(81))

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(
                     img_path='train2014', seg_map_path='mask/train2014'),
                 no_label: str = 'skip',
                 check_images: bool = True,
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        self.no_label = self._check_policy(no_label)
        self.check_images = check_images
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        if not exists(self.ann_file):
            raise FileNotFoundError(f'{self.ann_file} does not exist')
        try:
            with get_local_path(self.ann_file) as local, open(local) as f:
                coco = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{self.ann_file}: not valid JSON ({e})') from e
        for key in ('images', 'annotations', 'categories'):
            if key not in coco:
                raise ValueError(f'{self.ann_file}: missing "{key}"')
        if not coco['images']:
            raise ValueError(f'{self.ann_file} lists no images')
        cats = sorted(coco['categories'], key=lambda c: c['id'])
        num_fg = len(self.metainfo['classes']) - 1
        if len(cats) != num_fg:
            raise ValueError(f'{self.ann_file}: {len(cats)} categories, '
                             f'expected {num_fg}')
        cat_index = {c['id']: i for i, c in enumerate(cats)}
        labels = defaultdict(set)
        for ann in coco['annotations']:
            if ann['category_id'] not in cat_index:
                raise ValueError(f'{self.ann_file}: annotation {ann.get("id")}'
                                 f' has unknown category_id '
                                 f'{ann["category_id"]}')
            labels[ann['image_id']].add(cat_index[ann['category_id']])
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        data_list, skipped = [], []
        for img in coco['images']:
            img_path = osp.join(img_dir, img['file_name'])
            self._check_image(img_path, self.ann_file)
            if not labels[img['id']]:
                self._handle_no_label(img_path, skipped)
                continue
            stem = osp.splitext(img['file_name'])[0]
            seg_map = osp.join(ann_dir, stem + self.seg_map_suffix)
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_map if exists(seg_map) else None,
                    gt_cls_label=multi_hot(labels[img['id']], num_fg),
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        self._report_skipped(skipped)
        return data_list
