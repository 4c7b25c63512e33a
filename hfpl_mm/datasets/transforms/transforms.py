# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The geometric transforms of the reference's CAM training (SEAM / HFPL),
where mmseg's own differ: the long side drawn uniformly (mmseg's
``RandomResize`` draws both edges' scale independently) and a crop that
pads at a random position (mmseg pads at the bottom and right)."""
from typing import Dict, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

#: Keys of per-pixel maps that follow the image's geometry.
SEG_KEYS = ('gt_seg_map', )


@TRANSFORMS.register_module()
class RandomResizeLong(BaseTransform):
    """Resize so that the long side is an integer drawn uniformly from
    ``[min_long, max_long]`` (both included), keeping the aspect ratio; the
    short side is ``round(short * long_new / long)``. The reference's
    ``RandomResizeLong(448, 768)`` with PIL's bicubic filter.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``,
    ``gt_seg_map`` (nearest). Added keys: ``scale_factor``.

    Args:
        min_long (int): Smallest long side. Defaults to 448.
        max_long (int): Largest long side. Defaults to 768.
        interpolation (str): Of the image, mmcv's name with the 'pillow'
            backend. Defaults to 'bicubic' (the reference's).
    """

    def __init__(self,
                 min_long: int = 448,
                 max_long: int = 768,
                 interpolation: str = 'bicubic') -> None:
        if not 0 < min_long <= max_long:
            raise ValueError('RandomResizeLong needs 0 < min_long <= '
                             f'max_long, got {min_long}, {max_long}')
        self.min_long = min_long
        self.max_long = max_long
        self.interpolation = interpolation

    @cache_randomness
    def _long_side(self) -> int:
        return int(np.random.randint(self.min_long, self.max_long + 1))

    def target_size(self, h: int, w: int, long_side: int) -> Tuple[int, int]:
        """(new_w, new_h) for an image of h x w and the drawn long side."""
        if w < h:
            return int(round(w * long_side / h)), long_side
        return long_side, int(round(h * long_side / w))

    def transform(self, results: Dict) -> Dict:
        h, w = results['img'].shape[:2]
        new_w, new_h = self.target_size(h, w, self._long_side())
        results['img'] = mmcv.imresize(
            results['img'], (new_w, new_h),
            interpolation=self.interpolation,
            backend='pillow')
        for key in SEG_KEYS:
            if key in results:
                results[key] = mmcv.imresize(
                    results[key], (new_w, new_h),
                    interpolation='nearest',
                    backend='pillow')
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (new_w / w, new_h / h)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(min_long={self.min_long}, '
                f'max_long={self.max_long}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class RandomCropOrPad(BaseTransform):
    """A ``crop_size`` window: along each axis, a random crop where the
    image is longer, and the image placed at a random offset of a padded
    canvas where it is shorter (the reference's ``RandomCrop``; mmseg's
    ``RandomCrop`` + the data preprocessor pad at the bottom / right).

    The canvas is float32 so that ``pad_val`` can be the normalisation mean
    exactly: the reference pads its normalised image with 0, i.e. with the
    mean colour (in the image's channel order, BGR when loaded by mmcv).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``,
    ``gt_seg_map``.

    Args:
        crop_size (int | tuple[int, int]): (h, w) of the window.
        pad_val (float | Sequence[float]): Image padding, per channel.
            Defaults to 0.
        seg_pad_val (int): Padding of per-pixel maps. Defaults to 255.
    """

    def __init__(self,
                 crop_size: Union[int, Tuple[int, int]],
                 pad_val: Union[float, Sequence[float]] = 0.0,
                 seg_pad_val: int = 255) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be (h, w) > 0, got {crop_size}')
        self.crop_size = tuple(int(c) for c in crop_size)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    @staticmethod
    def _axis(size: int, crop: int) -> Tuple[int, int, int]:
        """(image start, canvas start, length) along one axis."""
        space = size - crop
        if space > 0:
            return int(np.random.randint(space + 1)), 0, crop
        return 0, int(np.random.randint(-space + 1)), size

    @cache_randomness
    def _box(self, h: int, w: int) -> Tuple[Tuple[int, int, int], ...]:
        return self._axis(h, self.crop_size[0]), self._axis(
            w, self.crop_size[1])

    def _place(self, arr: np.ndarray, box, fill, dtype) -> np.ndarray:
        (iy, cy, lh), (ix, cx, lw) = box
        canvas = np.empty(self.crop_size + arr.shape[2:], dtype)
        canvas[...] = fill
        canvas[cy:cy + lh, cx:cx + lw] = arr[iy:iy + lh, ix:ix + lw]
        return canvas

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        box = self._box(*img.shape[:2])
        results['img'] = self._place(img, box, self.pad_val, np.float32)
        for key in SEG_KEYS:
            if key in results:
                results[key] = self._place(results[key], box,
                                           self.seg_pad_val,
                                           results[key].dtype)
        results['img_shape'] = self.crop_size
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'pad_val={self.pad_val}, seg_pad_val={self.seg_pad_val})')


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale by a factor drawn uniformly from ``ratio_range``, the
    reference's ``RandomScale`` of its final network's training (OpenCV,
    bicubic for the image, nearest for the labels; sizes
    ``round(w * r)`` x ``round(h * r)``).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``,
    ``gt_seg_map``. Added keys: ``scale_factor``.

    Args:
        ratio_range (tuple[float, float]): Defaults to (0.5, 1.5).
        interpolation (str): Of the image. Defaults to 'bicubic'.
    """

    def __init__(self,
                 ratio_range: Tuple[float, float] = (0.5, 1.5),
                 interpolation: str = 'bicubic') -> None:
        if not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(f'ratio_range must be 0 < low <= high, got '
                             f'{ratio_range}')
        self.ratio_range = tuple(ratio_range)
        self.interpolation = interpolation

    @cache_randomness
    def _ratio(self) -> float:
        return float(np.random.uniform(*self.ratio_range))

    def transform(self, results: Dict) -> Dict:
        h, w = results['img'].shape[:2]
        r = self._ratio()
        size = (max(1, int(round(w * r))), max(1, int(round(h * r))))
        results['img'] = mmcv.imresize(
            results['img'], size, interpolation=self.interpolation)
        for key in SEG_KEYS:
            if key in results:
                results[key] = mmcv.imresize(
                    results[key], size, interpolation='nearest')
        results['img_shape'] = (size[1], size[0])
        results['scale_factor'] = (size[0] / w, size[1] / h)
        return results


@TRANSFORMS.register_module()
class RandomHSVShift(BaseTransform):
    """Shift hue, saturation and value by integers drawn uniformly from
    ``[-h, h]``, ``[-s, s]``, ``[-v, v]`` in OpenCV's 8-bit HSV (hue modulo
    180, the others clipped to 0..255), the reference's ``RandomHSV`` of
    its final network's training.

    Required keys: ``img`` (BGR uint8). Modified keys: ``img``.

    Args:
        hue (int): Defaults to 10.
        saturation (int): Defaults to 10.
        value (int): Defaults to 10.
    """

    def __init__(self, hue: int = 10, saturation: int = 10,
                 value: int = 10) -> None:
        self.ranges = (int(hue), int(saturation), int(value))

    @cache_randomness
    def _deltas(self) -> Tuple[int, int, int]:
        return tuple(int(np.random.randint(-r, r + 1)) for r in self.ranges)

    def transform(self, results: Dict) -> Dict:
        import cv2
        dh, ds, dv = self._deltas()
        hsv = cv2.cvtColor(results['img'], cv2.COLOR_BGR2HSV).astype(
            np.int32)
        hsv[..., 0] = (hsv[..., 0] + dh) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] + ds, 0, 255)
        hsv[..., 2] = np.clip(hsv[..., 2] + dv, 0, 255)
        results['img'] = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
        return results
