# Copyright (c) hfpl-mm contributors. All rights reserved.
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

import numpy as np
from mmengine.fileio import exists, get_local_path, list_from_file
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset, PascalVOCDataset
from mmseg.registry import DATASETS

from ..utils.safe_load import load_cls_labels, load_label_table
from .class_list import ClassListMixin

NO_LABEL_POLICIES = ('skip', 'error')
#: Where a weak-label dataset reads image-level labels from.
LABEL_SOURCES = ('auto', 'xml', 'file', 'masks')


def image_stem(img_id: str) -> str:
    """The file stem of a split file's image id (its last path part, with
    either separator): the name every output of the image is saved under."""
    return img_id.replace('\\', '/').split('/')[-1]


def read_split_file(ann_file: str) -> List[str]:
    """Image ids of a split file, one per line (the whole line without its
    surrounding white space, so an id may contain spaces); blank lines are
    ignored. A repeated id is an error, and so is an id that would leave the
    image folder (an absolute path or a ``..`` component: its outputs would
    collide with those of an id of the same name), or two ids that name the
    same file stem (every output is named by the stem)."""
    if not exists(ann_file):
        raise FileNotFoundError(f'split file {ann_file} does not exist')
    ids, seen, stems = [], {}, {}
    for num, line in enumerate(list_from_file(ann_file), 1):
        img_id = line.strip()
        if not img_id:
            continue
        if img_id in seen:
            raise ValueError(f'{ann_file}: image id {img_id!r} on line {num} '
                             f'repeats line {seen[img_id]}')
        parts = img_id.replace('\\', '/').split('/')
        if img_id.startswith(('/', '\\')) or '..' in parts or ':' in parts[0]:
            raise ValueError(
                f'{ann_file}: image id {img_id!r} on line {num} leaves the '
                'image folder (absolute or ..); ids are names under it')
        stem = image_stem(img_id)
        if stem in stems:
            raise ValueError(
                f'{ann_file}: image ids {stems[stem][0]!r} (line '
                f'{stems[stem][1]}) and {img_id!r} (line {num}) have the same '
                f'name {stem!r}: their outputs would overwrite each other')
        seen[img_id] = num
        stems[stem] = (img_id, num)
        ids.append(img_id)
    if not ids:
        raise ValueError(f'split file {ann_file} lists no images')
    return ids


def multi_hot(indices, num_classes: int) -> np.ndarray:
    vec = np.zeros(num_classes, dtype=np.float32)
    vec[list(indices)] = 1.0
    return vec


class WeakLabelMixin:
    """Shared checks of the weak-label datasets."""

    def _handle_no_label(self, path: str, skipped: List[str]) -> None:
        if self.no_label == 'error':
            raise ValueError(f'{path}: image has no foreground label '
                             "(set no_label='skip' to drop such images)")
        skipped.append(path)

    def _report_skipped(self, skipped: List[str]) -> None:
        if skipped:
            print_log(
                f'{type(self).__name__}: skipped {len(skipped)} image(s) '
                f'with no foreground label, e.g. {skipped[0]}',
                logger='current',
                level=30)

    def _check_image(self, img_path: str, ann_file: str) -> None:
        """Fail at dataset build, naming the file, when a listed image is
        missing or its header is not an image's (reads a few bytes; a
        truncated body is caught when the image is loaded)."""
        if not exists(img_path):
            raise FileNotFoundError(
                f'{img_path}: image listed in {ann_file} is missing')
        if not self.check_images or '://' in img_path:
            return
        from PIL import Image
        try:
            with Image.open(img_path) as im:
                im.size
        except Exception as e:
            raise IOError(f'{img_path}: not a readable image ({e})') from e

    def _check_policy(self, no_label: str) -> str:
        if no_label not in NO_LABEL_POLICIES:
            raise ValueError(f'no_label must be one of {NO_LABEL_POLICIES}, '
                             f'got {no_label!r}')
        return no_label


@DATASETS.register_module()
class VOCWeakDataset(ClassListMixin, WeakLabelMixin, BaseSegDataset):
    """PASCAL VOC 2012 (+SBD "aug") with image-level labels.

    Labels come from ``Annotations/<id>.xml`` (every ``<object>``), from a
    label file given as ``cls_label_file`` (a ``cls_labels.npy`` dict
    ``{id: float[20]}``, read without running code from it: see
    :func:`hfpl_mm.utils.safe_load.load_cls_labels`; or a CSV / JSON table
    of class names, :func:`hfpl_mm.utils.safe_load.load_label_table`), or
    from the GT masks themselves (``labels_from='masks'``: the classes
    present in each mask). GT masks (``seg_map_path``) are attached when
    the file exists and are used for evaluation only. ``gt_cls_label`` is
    a float32 multi-hot vector over the foreground classes (background
    excluded). ``metainfo=dict(classes=..., palette=...)`` sets another
    class list (:class:`ClassListMixin`; :class:`WeakSegDataset` is the
    same dataset without VOC's classes as the default).

    Args:
        ann_file (str): Split file of image ids (e.g. ``train_aug.txt``).
        xml_dir (str): Folder of the XML annotations, relative to
            ``data_root``. Defaults to 'Annotations'.
        cls_label_file (str, optional): ``cls_labels.npy``, ``.csv`` or
            ``.json`` label file, relative to ``data_root`` unless absolute.
            Defaults to None.
        labels_from (str): 'xml', 'file' (``cls_label_file``), 'masks' (the
            classes in each GT mask: every image needs one), or 'auto'
            (the file when given, else XML). Defaults to 'auto'.
        no_label (str): 'skip' images with no foreground label (with a
            warning giving the count) or raise an 'error'.
            Defaults to 'skip'.
        ignore_difficult (bool): Drop objects marked difficult.
            Defaults to False.
        check_images (bool): Open every image's header at build, so an
            unreadable file is named before training starts.
            Defaults to True.
    """
    METAINFO = PascalVOCDataset.METAINFO

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 xml_dir: str = 'Annotations',
                 cls_label_file: Optional[str] = None,
                 labels_from: str = 'auto',
                 no_label: str = 'skip',
                 ignore_difficult: bool = False,
                 check_images: bool = True,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        if labels_from not in LABEL_SOURCES:
            raise ValueError(f'labels_from must be one of {LABEL_SOURCES}, '
                             f'got {labels_from!r}')
        if labels_from == 'auto':
            labels_from = 'file' if cls_label_file else 'xml'
        if labels_from == 'file' and not cls_label_file:
            raise ValueError("labels_from='file' needs cls_label_file")
        self.labels_from = labels_from
        self.xml_dir = xml_dir
        self.cls_label_file = cls_label_file
        self.no_label = self._check_policy(no_label)
        self.ignore_difficult = ignore_difficult
        self.check_images = check_images
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    @property
    def fg_classes(self) -> tuple:
        return tuple(self.metainfo['classes'][1:])

    def _labels_from_xml(self, img_id: str) -> List[int]:
        xml_path = osp.join(self.data_root or '', self.xml_dir,
                            img_id + '.xml')
        if not exists(xml_path):
            raise FileNotFoundError(f'{xml_path}: annotation XML missing for '
                                    f'image {img_id}')
        try:
            with get_local_path(xml_path) as local:
                root = ET.parse(local).getroot()
        except ET.ParseError as e:
            raise ValueError(f'{xml_path}: malformed XML ({e})') from e
        index = {name: i for i, name in enumerate(self.fg_classes)}
        labels = set()
        for obj in root.iter('object'):
            name = (obj.findtext('name') or '').strip()
            if name not in index:
                raise ValueError(f'{xml_path}: unknown class name {name!r}; '
                                 f'expected one of {self.fg_classes}')
            if self.ignore_difficult and obj.findtext('difficult') == '1':
                continue
            labels.add(index[name])
        return sorted(labels)

    def _load_label_file(self) -> Dict[str, np.ndarray]:
        path = self.cls_label_file
        if not osp.isabs(path) and self.data_root:
            path = osp.join(self.data_root, path)
        if path.endswith(('.csv', '.json')):
            return load_label_table(path, self.fg_classes)
        # read without unpickling arbitrary objects; every entry checked
        return load_cls_labels(path, len(self.fg_classes))

    def _labels_from_mask(self, seg_map: str) -> np.ndarray:
        """Multi-hot labels of the classes present in a GT mask."""
        if not exists(seg_map):
            raise FileNotFoundError(
                f"{seg_map}: labels_from='masks' needs a GT mask per image")
        from PIL import Image
        with get_local_path(seg_map) as local:
            try:
                values = np.unique(np.array(Image.open(local)))
            except Exception as e:
                raise IOError(f'{seg_map}: cannot read the mask ({e})') from e
        if self.label_map:
            values = np.array([self.label_map.get(int(v), 255)
                               for v in values])
        num_fg = len(self.fg_classes)
        bad = [int(v) for v in values if v != 255 and not 0 <= v <= num_fg]
        if bad:
            raise ValueError(f'{seg_map}: labels {bad} outside 0..{num_fg} '
                             'and not 255 (ignore)')
        return multi_hot([int(v) - 1 for v in values if 0 < v <= num_fg],
                         num_fg)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        table = self._load_label_file() if self.labels_from == 'file' \
            else None
        num_fg = len(self.fg_classes)
        data_list, skipped = [], []
        for img_id in read_split_file(self.ann_file):
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            self._check_image(img_path, self.ann_file)
            seg_map = osp.join(ann_dir, img_id + self.seg_map_suffix)
            if table is not None:
                if img_id not in table:
                    raise KeyError(f'{self.cls_label_file}: no label for '
                                   f'image {img_id}')
                label = np.asarray(table[img_id], dtype=np.float32)
            elif self.labels_from == 'masks':
                label = self._labels_from_mask(seg_map)
            else:
                label = multi_hot(self._labels_from_xml(img_id), num_fg)
            if label.sum() == 0:
                self._handle_no_label(img_path, skipped)
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_map if exists(seg_map) else None,
                    gt_cls_label=label,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        self._report_skipped(skipped)
        return data_list


@DATASETS.register_module()
class WeakSegDataset(VOCWeakDataset):
    """A VOC-layout dataset of your own classes with image-level labels:
    :class:`VOCWeakDataset` without a default class list.

    Give the classes (background first) and, optionally, their colours in
    ``metainfo`` as mmseg's datasets take them, and the labels' source::

        dataset=dict(
            type='WeakSegDataset',
            metainfo=dict(classes=('background', 'cat', 'dog', 'bird')),
            data_root='data/pets', ann_file='ImageSets/Segmentation/train.txt',
            data_prefix=dict(img_path='JPEGImages',
                             seg_map_path='SegmentationClass'),
            labels_from='masks')   # or cls_label_file='labels.csv'

    See ``docs/your_own_dataset.md``.
    """
    METAINFO = dict()

    def __init__(self, *args, metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if not (metainfo or {}).get('classes'):
            raise ValueError(
                "WeakSegDataset needs metainfo=dict(classes=('background', "
                "'your', 'classes', ...)): it has no class list of its own")
        super().__init__(*args, metainfo=metainfo, **kwargs)
