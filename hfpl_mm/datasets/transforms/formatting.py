# Copyright (c) hfpl-mm contributors. All rights reserved.
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from hfpl_mm.utils.image import read_image


@TRANSFORMS.register_module()
class PackWeakSegInputs(PackSegInputs):
    """:class:`PackSegInputs` that also packs the image-level labels.

    ``results['gt_cls_label']`` (multi-hot, float32) becomes
    ``data_sample.gt_cls_label`` (a tensor). A GT mask, when loaded, is packed
    as ``gt_sem_seg`` as usual (for evaluation only). ``load_error`` (see
    :class:`LoadCheckedImageFromFile`) joins the metainfo when present.

    Args:
        meta_keys (tuple): Defaults to :class:`PackSegInputs`' keys plus
            ``'load_error'``.
    """

    def __init__(self,
                 meta_keys=('img_path', 'seg_map_path', 'ori_shape',
                            'img_shape', 'pad_shape', 'scale_factor', 'flip',
                            'flip_direction', 'reduce_zero_label',
                            'load_error')) -> None:
        super().__init__(meta_keys=meta_keys)

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
    """:class:`LoadImageFromFile` that checks the file first and names it
    when it is missing, empty, truncated (a JPEG OpenCV would decode with
    blank rows) or undecodable (:func:`hfpl_mm.utils.image.read_image`).

    Args:
        on_error (str): 'raise' an :class:`IOError` naming the file (training)
            or 'mark' the sample: a 1 x 1 black image and the message in
            ``load_error`` (packed into the metainfo), so inference can count
            the image as failed and go on with the rest. Defaults to 'raise'.
        **kwargs: Of :class:`LoadImageFromFile` (``color_type='color'``
            and ``imdecode_backend='cv2'`` only).
    """

    def __init__(self, on_error: str = 'raise', **kwargs) -> None:
        if on_error not in ('raise', 'mark'):
            raise ValueError(f"on_error must be 'raise' or 'mark', got "
                             f'{on_error!r}')
        super().__init__(**kwargs)
        if self.color_type != 'color' or self.imdecode_backend != 'cv2':
            raise ValueError('LoadCheckedImageFromFile reads colour images '
                             'with OpenCV only')
        self.on_error = on_error

    def transform(self, results: dict):
        path = results.get('img_path', '<unknown>')
        try:
            img = read_image(path, backend_args=self.backend_args)
        except IOError as e:
            if self.on_error == 'raise':
                raise
            img = np.zeros((1, 1, 3), np.uint8)
            results['load_error'] = str(e)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
