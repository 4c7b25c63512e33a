# Copyright (c) hfpl-mm contributors. All rights reserved.
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackWeakSegInputs(PackSegInputs):
    """:class:`PackSegInputs` that also packs the image-level labels.

    ``results['gt_cls_label']`` (multi-hot, float32) becomes
    ``data_sample.gt_cls_label`` (a tensor). A GT mask, when loaded, is packed
    as ``gt_sem_seg`` as usual (for evaluation only).
    """

    def transform(self, results: dict) -> dict:
        if 'gt_cls_label' not in results:
            raise KeyError(
                f'{results.get("img_path", "<unknown image>")}: no '
                'gt_cls_label in the results; use a weak-label dataset')
        packed = super().transform(results)
        label = np.asarray(results['gt_cls_label'], dtype=np.float32)
        packed['data_samples'].gt_cls_label = torch.from_numpy(label.copy())
        return packed


@TRANSFORMS.register_module()
class LoadCheckedImageFromFile(LoadImageFromFile):
    """:class:`LoadImageFromFile` that names the file when it cannot be
    read or decoded, instead of failing later with an unrelated error."""

    def transform(self, results: dict):
        path = results.get('img_path', '<unknown>')
        try:
            out = super().transform(results)
        except Exception as e:  # mmcv raises several types here
            raise IOError(f'{path}: cannot read image ({e})') from e
        if out is None or out.get('img') is None:
            raise IOError(f'{path}: cannot decode image (empty or corrupt)')
        return out
