# Copyright (c) hfpl-mm contributors. All rights reserved.
import os.path as osp
from typing import List

import numpy as np
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset, PascalVOCDataset
from mmseg.registry import DATASETS
from PIL import Image

from .class_list import ClassListMixin
from .coco_weak import COCOWeakDataset
from .transforms.affinity import load_affinity_scores
from .voc_weak import read_split_file

VALIDATE_MODES = ('full', 'size', 'none')


@DATASETS.register_module()
class PseudoLabelDataset(ClassListMixin, BaseSegDataset):
    """Images with pseudo-label masks for stage-3 segmentation training.

    Reads ``<img_path>/<id><img_suffix>`` and ``<seg_map_path>/<id>.png``
    for the ids of ``ann_file`` (``seg_map_path`` is the pseudo-label
    directory). At start it validates the directory: every image has a
    mask, of the image's size and (``validate='full'``) with values in
    ``[0, num_classes)`` or ``ignore_index``; otherwise it raises one error
    listing the first bad files.

    Args:
        ann_file (str): Split file of image ids.
        validate (str): 'full' (size and values), 'size' or 'none'.
            Defaults to 'full'.
        max_report (int): Bad files named in the error. Defaults to 10.
    """
    METAINFO = PascalVOCDataset.METAINFO
    label_kind = 'pseudo-label'

    def __init__(self,
                 ann_file: str,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 validate: str = 'full',
                 max_report: int = 10,
                 **kwargs) -> None:
        if validate not in VALIDATE_MODES:
            raise ValueError(f'validate must be one of {VALIDATE_MODES}, '
                             f'got {validate!r}')
        self.validate = validate
        self.max_report = max_report
        # largest label in the folder (validate='full'), for
        # PseudoLabelClassCheckHook
        self.max_label = None
        self.max_label_file = None
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def _check(self, img_path: str, seg_path: str, num_classes: int):
        """None if the pair is fine, else the problem."""
        if not osp.isfile(img_path):
            return f'{img_path}: image missing'
        if not osp.isfile(seg_path):
            return f'{seg_path}: {self.label_kind} missing'
        if self.validate == 'none':
            return None
        try:
            with Image.open(img_path) as im:
                img_size = im.size
        except Exception as e:
            return f'{img_path}: unreadable image ({e})'
        return self._check_labels(seg_path, img_size, num_classes)

    def _check_labels(self, seg_path: str, img_size: tuple,
                      num_classes: int):
        """Check one pseudo-label PNG against its image's (W, H); record the
        largest label value seen (``max_label``, ``max_label_file``)."""
        try:
            with Image.open(seg_path) as sm:
                seg_size = sm.size
                seg = np.array(sm) if self.validate == 'full' else None
        except Exception as e:
            return f'{seg_path}: unreadable ({e})'
        if img_size != seg_size:
            return (f'{seg_path}: size {seg_size} differs from the image '
                    f'{img_size} (W, H)')
        if seg is not None:
            if seg.ndim != 2:
                return f'{seg_path}: not a single-channel label map'
            values = np.unique(seg)
            bad = values[(values >= num_classes)
                         & (values != self.ignore_index)]
            if bad.size:
                return (f'{seg_path}: labels {bad.tolist()[:5]} outside '
                        f'[0, {num_classes}) and not {self.ignore_index}')
            values = values[values != self.ignore_index]
            if values.size and (self.max_label is None
                                or values.max() > self.max_label):
                self.max_label = int(values.max())
                self.max_label_file = seg_path
        return None

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        if not osp.isdir(seg_dir):
            raise FileNotFoundError(
                f'pseudo-label directory {seg_dir} does not exist')
        num_classes = len(self.metainfo['classes'])
        data_list, problems = [], []
        for img_id in read_split_file(self.ann_file):
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix)
            problem = self._check(img_path, seg_path, num_classes)
            if problem:
                problems.append(problem)
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_path,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        if problems:
            shown = '\n  '.join(problems[:self.max_report])
            raise ValueError(
                f'{len(problems)} of {len(problems) + len(data_list)} '
                f'training images in {self.ann_file} have no valid '
                f'pseudo-label in {seg_dir}; first ones:\n  {shown}')
        print_log(
            f'{type(self).__name__}: {len(data_list)} pseudo-labels in '
            f'{seg_dir} checked ({self.validate})', logger='current')
        return data_list


@DATASETS.register_module()
class PseudoLabelCOCODataset(PseudoLabelDataset):
    """:class:`PseudoLabelDataset` with the 81 COCO classes."""
    METAINFO = COCOWeakDataset.METAINFO


@DATASETS.register_module()
class AffinityLabelDataset(PseudoLabelDataset):
    """Images with AffinityNet score maps (``<seg_map_path>/<id>.npz`` of
    ``tools/make_affinity_labels.py``: ``keys``, ``la``, ``ha``), for
    AffinityNet training with :class:`LoadAffinityScores` and
    :class:`AffinityLabelFromScores` in the pipeline. The archives are
    checked at start (readable without unpickling, maps of the image's size)
    unless ``validate='none'``.
    """
    label_kind = 'affinity scores'

    def __init__(self,
                 ann_file: str,
                 seg_map_suffix: str = '.npz',
                 validate: str = 'size',
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            seg_map_suffix=seg_map_suffix,
            validate=validate,
            **kwargs)

    def _check_labels(self, seg_path: str, img_size: tuple,
                      num_classes: int):
        try:
            arch = load_affinity_scores(seg_path)
        except (IOError, ValueError) as e:
            return str(e)
        w, h = img_size
        if arch['la'].shape[1:] != (h, w):
            return (f'{seg_path}: score maps of {arch["la"].shape[1:]} but '
                    f'the image is {(h, w)} (H, W)')
        if len(arch['keys']) and (arch['keys'].min() < 0 or
                                  arch['keys'].max() >= num_classes - 1):
            return (f'{seg_path}: class keys {arch["keys"].tolist()} outside '
                    f'[0, {num_classes - 1})')
        return None


@DATASETS.register_module()
class AffinityLabelCOCODataset(AffinityLabelDataset):
    """:class:`AffinityLabelDataset` with the 81 COCO classes (the score
    maps' class keys are checked against COCO's 80 foreground classes)."""
    METAINFO = COCOWeakDataset.METAINFO
