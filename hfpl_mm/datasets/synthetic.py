# Copyright (c) hfpl-mm contributors. All rights reserved.
"""A small VOC-format dataset rendered from a seed (no download).

Objects of six VOC classes, each with its own shape family and colour /
texture distribution, are drawn with random size, aspect, rotation and
position (possibly overlapping) on textured, natural-looking backgrounds:
smooth colour fields, horizon gradients and noise of several scales. The
output is a VOC 2012 tree (``JPEGImages``, ``SegmentationClass`` palette
PNGs used for evaluation only, ``Annotations`` XML giving the image-level
labels, ``ImageSets/Segmentation/{train,val}.txt``, and ``cls_labels.npy``).
The same seed gives the same files.

Two presets:

* ``'default'``: one to three objects per image, whose outlines are colour
  edges against the background (quick; the main job's default).
* ``'hard'``: what photographs have and the default lacks: two to four
  classes per image placed so that they touch and occlude each other,
  two-tone objects (an internal colour edge), objects that take on the
  background's colour in places (camouflage), clutter shapes of no class
  (labelled background), a lighting gradient over the whole image and blur.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Tuple
from xml.sax.saxutils import escape

import cv2
import numpy as np
from PIL import Image

from mmseg.datasets import PascalVOCDataset

VOC_CLASSES = PascalVOCDataset.METAINFO['classes']
VOC_PALETTE = PascalVOCDataset.METAINFO['palette']

# class -> (shape family, base hue range in OpenCV degrees [0, 180))
SYNTH_CLASSES: Dict[str, Tuple[str, Tuple[int, int]]] = {
    'aeroplane': ('triangle', (100, 125)),
    'bottle': ('capsule', (40, 80)),
    'car': ('rounded_rect', (0, 12)),
    'cat': ('ellipse', (12, 25)),
    'pottedplant': ('star', (50, 75)),
    'tvmonitor': ('rect', (125, 165)),
}


def _smooth_noise(rng: np.random.Generator, h: int, w: int,
                  cells: int) -> np.ndarray:
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def render_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """An RGB uint8 background: a horizon split with two colour fields,
    low-frequency colour variation and fine grain."""
    top = rng.integers(0, 256, 3).astype(np.float32)
    bottom = rng.integers(0, 256, 3).astype(np.float32)
    horizon = rng.uniform(0.3, 0.7) * h
    rows = np.arange(h, dtype=np.float32)[:, None, None]
    blend = 1 / (1 + np.exp(-(rows - horizon) / rng.uniform(2, 12)))
    img = top * (1 - blend) + bottom * blend
    img = np.broadcast_to(img, (h, w, 3)).copy()
    for cells, amp in ((3, 50), (8, 25), (24, 12)):
        for c in range(3):
            img[..., c] += (_smooth_noise(rng, h, w, cells) - 0.5) * amp
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _shape_mask(rng: np.random.Generator, family: str, h: int,
                w: int) -> np.ndarray:
    """A binary mask of one object of ``family``, randomly placed."""
    mask = np.zeros((h, w), np.uint8)
    size = rng.uniform(0.18, 0.42) * min(h, w)
    cx = rng.uniform(0.2, 0.8) * w
    cy = rng.uniform(0.2, 0.8) * h
    angle = rng.uniform(0, 360)
    aspect = rng.uniform(0.6, 1.5)
    rx, ry = size * aspect, size / aspect
    if family == 'ellipse':
        cv2.ellipse(mask, (int(cx), int(cy)), (int(rx), int(ry)), angle, 0,
                    360, 1, -1)
        return mask
    if family == 'triangle':
        pts = np.array([[0, -1.2], [1.1, 0.8], [-1.1, 0.8]])
    elif family == 'star':
        k = int(rng.integers(5, 8))
        t = np.arange(2 * k) * np.pi / k
        r = np.where(np.arange(2 * k) % 2 == 0, 1.0, 0.45)
        pts = np.stack([np.cos(t) * r, np.sin(t) * r], 1)
    elif family == 'capsule':
        t = np.linspace(0, np.pi, 12)
        cap = np.stack([0.35 * np.cos(t), -1.0 - 0.35 * np.sin(t)], 1)
        pts = np.concatenate([cap, -cap], 0)
    elif family == 'rounded_rect':
        t = np.linspace(0, np.pi / 2, 6)
        corners = []
        for (sx, sy), off in zip(((1, 1), (-1, 1), (-1, -1), (1, -1)),
                                 (0, np.pi / 2, np.pi, 1.5 * np.pi)):
            corners.append(
                np.stack([
                    sx * 0.8 + 0.3 * np.cos(t + off) * 1,
                    sy * 0.45 + 0.3 * np.sin(t + off)
                ], 1))
        pts = np.concatenate(corners, 0)
    elif family == 'rect':
        pts = np.array([[-1, -0.7], [1, -0.7], [1, 0.7], [-1, 0.7]])
    else:
        raise ValueError(f'unknown shape family {family!r}')
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = (pts * [rx, ry]) @ rot.T + [cx, cy]
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask


def _object_texture(rng: np.random.Generator, hue_range: Tuple[int, int],
                    h: int, w: int) -> np.ndarray:
    hue = rng.uniform(*hue_range)
    sat = rng.uniform(120, 255)
    val = rng.uniform(110, 250)
    hsv = np.empty((h, w, 3), np.float32)
    hsv[..., 0] = hue + (_smooth_noise(rng, h, w, 6) - 0.5) * 10
    hsv[..., 1] = sat
    hsv[..., 2] = val * (0.8 + 0.2 * _smooth_noise(rng, h, w, 10))
    if rng.random() < 0.5:  # stripes
        period = rng.uniform(6, 16)
        yy, xx = np.mgrid[0:h, 0:w]
        theta = rng.uniform(0, np.pi)
        stripes = np.sin((xx * np.cos(theta) + yy * np.sin(theta)) /
                         period * 2 * np.pi)
        hsv[..., 2] *= 0.85 + 0.15 * stripes
    hsv[..., 0] %= 180
    hsv = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


PRESETS = ('default', 'hard')


def _shape_near(rng: np.random.Generator, family: str, h: int, w: int,
                anchor: np.ndarray) -> np.ndarray:
    """A mask of ``family`` that touches or overlaps the mask ``anchor``:
    redrawn until it does (or returned after 20 tries)."""
    grown = cv2.dilate(anchor, np.ones((5, 5), np.uint8))
    mask = _shape_mask(rng, family, h, w)
    for _ in range(20):
        if (mask & grown).any() and (mask & ~anchor.astype(bool)).sum() > (
                0.01 * h * w):
            break
        mask = _shape_mask(rng, family, h, w)
    return mask


def _two_tone(rng: np.random.Generator, tex: np.ndarray,
              mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``tex`` with the part of the object on one side of a random line
    through it recoloured (an internal colour edge), and that side."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean(), xs.mean()
    theta = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w]
    side = ((xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)) > 0
    hsv = cv2.cvtColor(tex.astype(np.uint8), cv2.COLOR_RGB2HSV).astype(
        np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(40, 140)) % 180
    hsv[..., 2] *= rng.uniform(0.5, 0.9)
    other = cv2.cvtColor(
        np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8),
        cv2.COLOR_HSV2RGB).astype(np.float32)
    return np.where(side[..., None], other, tex), side


def _camouflage(rng: np.random.Generator, tex: np.ndarray,
                background: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``tex`` replaced by the background's own colours in smooth random
    regions (about a third of the object; no colour edge there), and the
    share of background colour per pixel."""
    h, w = tex.shape[:2]
    blob = _smooth_noise(rng, h, w, 4)
    amount = np.clip((blob - np.quantile(blob, 0.66)) * 8, 0, 1)[..., None]
    return tex * (1 - amount) + background * amount, amount[..., 0]


def _clutter(rng: np.random.Generator, h: int, w: int) -> Tuple[np.ndarray,
                                                                np.ndarray]:
    """A small shape of no class and its texture (hues between the
    classes' ranges, so it is not a class seen in another colour)."""
    family = str(rng.choice(['ellipse', 'rect', 'triangle', 'star']))
    mask = _shape_mask(rng, family, h, w)
    # shrink around its centre to clutter size
    ys, xs = np.nonzero(mask)
    if len(ys):
        m = cv2.getRotationMatrix2D((float(xs.mean()), float(ys.mean())), 0,
                                    rng.uniform(0.35, 0.6))
        mask = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST)
    tex = _object_texture(rng, (165, 180), h, w)
    return mask, tex


def _lighting(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A multiplicative linear lighting gradient (0.55 to 1.15)."""
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xx / w - 0.5) * np.cos(theta) + (yy / h - 0.5) * np.sin(theta)
    lo, hi = rng.uniform(0.55, 0.8), rng.uniform(0.95, 1.15)
    return (lo + (hi - lo) * (ramp - ramp.min()) /
            max(float(np.ptp(ramp)), 1e-6))[..., None]


#: The kinds of pixel :func:`render_hard_sample` reports in ``regions``,
#: by index: background, clutter (background), an object's plain part, the
#: recoloured and the other part of a two-tone object, and the part of an
#: object in the background's colours (camouflage, at least half).
HARD_REGIONS = ('background', 'clutter', 'object', 'two-tone recoloured',
                'two-tone other', 'camouflaged')


def render_hard_sample(rng: np.random.Generator,
                       size: Tuple[int, int],
                       regions: bool = False) -> Tuple[np.ndarray, ...]:
    """One image and mask of the 'hard' preset (see the module docstring):
    two to four distinct classes, each object touching an earlier one.

    Args:
        rng (np.random.Generator): The source of randomness.
        size (tuple[int, int]): (H, W).
        regions (bool): Also return, per pixel, the index in
            :data:`HARD_REGIONS` of what made it (the image and mask, and
            the draws from ``rng``, are the same either way).

    Returns:
        tuple: The RGB image (uint8), the class mask (uint8) and, with
        ``regions``, the region map (uint8).
    """
    h, w = size
    background = render_background(rng, h, w).astype(np.float32)
    img = background.copy()
    seg = np.zeros((h, w), np.uint8)
    kind = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(0, 3))):  # clutter under the objects
        mask, tex = _clutter(rng, h, w)
        kind[mask > 0] = 1
        alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.7)
        img = img * (1 - alpha[..., None]) + tex * alpha[..., None]
    names = list(SYNTH_CLASSES)
    count = int(rng.integers(2, 5))
    chosen = rng.choice(len(names), size=count, replace=False)
    union = np.zeros((h, w), np.uint8)
    for k in chosen:
        name = names[k]
        family, hues = SYNTH_CLASSES[name]
        if union.any():
            mask = _shape_near(rng, family, h, w, union)
        else:
            mask = _shape_mask(rng, family, h, w)
        tex = _object_texture(rng, hues, h, w).astype(np.float32)
        obj = mask > 0
        kind[obj] = 2
        if rng.random() < 0.5:
            tex, side = _two_tone(rng, tex, mask)
            kind[obj & side] = 3
            kind[obj & ~side] = 4
        if rng.random() < 0.4:
            tex, amount = _camouflage(rng, tex, background)
            kind[obj & (amount >= 0.5)] = 5
        alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.7)
        img = img * (1 - alpha[..., None]) + tex * alpha[..., None]
        seg[mask > 0] = VOC_CLASSES.index(name)
        union |= mask
    if rng.random() < 0.5:  # clutter in front, occluding
        mask, tex = _clutter(rng, h, w)
        alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.7)
        img = img * (1 - alpha[..., None]) + tex * alpha[..., None]
        seg[mask > 0] = 0
        kind[mask > 0] = 1
    present = [c for c in np.unique(seg) if c != 0]
    if len(present) < 2:  # occlusion hid a class: draw again
        return render_hard_sample(rng, size, regions)
    img = img * _lighting(rng, h, w)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    img += rng.normal(0, 3, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return (img, seg, kind) if regions else (img, seg)


def render_sample(rng: np.random.Generator,
                  size: Tuple[int, int],
                  max_objects: int = 3) -> Tuple[np.ndarray, np.ndarray]:
    """One RGB image and its mask (VOC indices; 0 is background) of the
    'default' preset."""
    h, w = size
    img = render_background(rng, h, w).astype(np.float32)
    seg = np.zeros((h, w), np.uint8)
    names = list(SYNTH_CLASSES)
    count = int(rng.integers(1, max_objects + 1))
    chosen = rng.choice(len(names), size=count, replace=True)
    for k in chosen:
        name = names[k]
        family, hues = SYNTH_CLASSES[name]
        mask = _shape_mask(rng, family, h, w)
        if mask.sum() < 0.01 * h * w:
            continue
        tex = _object_texture(rng, hues, h, w).astype(np.float32)
        # slightly soft edges as in photographs
        alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.7)
        img = img * (1 - alpha[..., None]) + tex * alpha[..., None]
        seg[mask > 0] = VOC_CLASSES.index(name)
    if not (seg > 0).any():  # every image has at least one object
        return render_sample(rng, size, max_objects)
    img += rng.normal(0, 2, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), seg


def _xml(img_id: str, size: Tuple[int, int], names: List[str]) -> str:
    objs = ''.join(f'<object><name>{escape(n)}</name><difficult>0'
                   '</difficult></object>' for n in names)
    return (f'<annotation><filename>{img_id}.jpg</filename><size><width>'
            f'{size[1]}</width><height>{size[0]}</height><depth>3</depth>'
            f'</size>{objs}</annotation>')


def generate_synthetic_voc(out_dir: str,
                           num_train: int = 240,
                           num_val: int = 60,
                           seed: int = 0,
                           size: Tuple[int, int] = (160, 160),
                           max_objects: int = 3,
                           overwrite: bool = False,
                           preset: str = 'default') -> str:
    """Write the dataset to ``out_dir`` (atomically: a temporary folder is
    renamed into place) and return ``out_dir``.

    Args:
        out_dir (str): The VOC-layout folder to write.
        num_train (int): Train images. Defaults to 240.
        num_val (int): Val images. Defaults to 60.
        seed (int): The same seed gives the same files. Defaults to 0.
        size (tuple[int, int]): Image (H, W). Defaults to (160, 160).
        max_objects (int): Objects per image of the 'default' preset.
            Defaults to 3.
        overwrite (bool): Replace an existing ``out_dir``.
            Defaults to False.
        preset (str): 'default' or 'hard' (see the module docstring).
            Defaults to 'default'.

    Returns:
        str: ``out_dir`` (absolute).

    Raises:
        FileExistsError: ``out_dir`` exists and ``overwrite`` is False.
    """
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir):
        if not overwrite:
            raise FileExistsError(f'{out_dir} exists; pass overwrite=True '
                                  '(--overwrite) to replace it')
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.synthvoc-', dir=parent)
    try:
        for sub in ('JPEGImages', 'SegmentationClass', 'Annotations',
                    'ImageSets/Segmentation'):
            os.makedirs(osp.join(tmp, sub))
        rng = np.random.default_rng(seed)
        labels, splits = {}, {'train': [], 'val': []}
        palette = np.array(VOC_PALETTE, np.uint8).flatten().tolist()
        palette += [224, 224, 192] * (256 - len(VOC_PALETTE))
        for i in range(num_train + num_val):
            split = 'train' if i < num_train else 'val'
            img_id = f'synth_{i:05d}'
            if preset == 'hard':
                img, seg = render_hard_sample(rng, size)
            else:
                img, seg = render_sample(rng, size, max_objects)
            Image.fromarray(img).save(
                osp.join(tmp, 'JPEGImages', img_id + '.jpg'), quality=95)
            png = Image.fromarray(seg, mode='P')
            png.putpalette(palette)
            png.save(osp.join(tmp, 'SegmentationClass', img_id + '.png'))
            present = sorted(int(c) for c in np.unique(seg) if c not in (0, 255))
            names = [VOC_CLASSES[c] for c in present]
            with open(osp.join(tmp, 'Annotations', img_id + '.xml'), 'w') as f:
                f.write(_xml(img_id, size, names))
            vec = np.zeros(len(VOC_CLASSES) - 1, np.float32)
            vec[[c - 1 for c in present]] = 1
            labels[img_id] = vec
            splits[split].append(img_id)
        for split, ids in splits.items():
            with open(osp.join(tmp, 'ImageSets', 'Segmentation',
                               split + '.txt'), 'w') as f:
                f.write('\n'.join(ids) + '\n')
        np.save(osp.join(tmp, 'cls_labels.npy'), labels)
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
