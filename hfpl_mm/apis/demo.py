# Copyright (c) hfpl-mm contributors. All rights reserved.
"""CAMs and a pseudo-label of one image through stage 2's inference path
(for ``demo/cam_demo.py``)."""
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

from ..utils.label_io import palette_bytes, save_png_atomic
from ..visualization import (cam_heatmap, label_overlay, legend_items,
                             save_panel)
from .inference import inference_pipeline


def pack_image(img_path: str, num_classes: int) -> dict:
    """One image through stage 2's transforms (an unreadable image raises,
    naming the file), with all-zero image-level labels.

    Args:
        img_path (str): The image.
        num_classes (int): Foreground classes.

    Returns:
        dict: ``inputs`` (BGR uint8, C x H x W) and ``data_samples``.
    """
    from mmengine.registry import init_default_scope
    from mmseg.registry import TRANSFORMS
    init_default_scope('mmseg')
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in inference_pipeline('raise')])
    return pipeline(
        dict(img_path=img_path,
             gt_cls_label=np.zeros(num_classes, np.float32)))


@torch.no_grad()
def classifier_labels(model: torch.nn.Module, packed: dict) -> np.ndarray:
    """The image-level labels the classifier predicts: the classes whose
    pooled logit (:meth:`CAMSegmentor.image_logits` of the single-scale
    CAMs: the head's pooling, else global average pooling) is
    positive, or the best class when none is.

    Args:
        model (CAMSegmentor): A CAM model in eval mode.
        packed (dict): An image of :func:`pack_image`.

    Returns:
        np.ndarray: Multi-hot float32 labels (num_classes, ).
    """
    data = model.data_preprocessor(pseudo_collate([packed]), False)
    logits = model.image_logits(model.forward_cams(data['inputs']))[0]
    labels = (logits > 0).float()
    if not labels.any():
        labels[logits.argmax()] = 1
    return labels.cpu().numpy()


@torch.no_grad()
def infer_cams(model: torch.nn.Module, packed: dict,
               labels: np.ndarray) -> torch.Tensor:
    """Stage 2's scores of one image: ``model.test_step`` on the packed
    image with its labels (the config's scales, flip and background rule).

    Args:
        model (CAMSegmentor): A CAM model in eval mode.
        packed (dict): An image of :func:`pack_image`; its labels are set
            to ``labels``.
        labels (np.ndarray): Multi-hot image-level labels (num_classes, ).

    Returns:
        Tensor: Scores (num_classes + 1, H, W), background first; the
        argmax is the pseudo-label.
    """
    packed['data_samples'].gt_cls_label = torch.from_numpy(
        np.asarray(labels, np.float32))
    result = model.test_step(pseudo_collate([packed]))[0]
    return result.seg_logits.data


def cam_demo_outputs(model: torch.nn.Module,
                     img_path: str,
                     out_dir: str,
                     meta: dict,
                     labels: Optional[np.ndarray] = None) -> Dict:
    """Write the CAM heat-map of each present class, the pseudo-label and
    a panel of one image.

    Args:
        model (CAMSegmentor): A CAM model in eval mode.
        img_path (str): The image.
        out_dir (str): Gets ``<stem>_cam_<class>.png``, ``<stem>_label.png``
            and ``<stem>_panel.png`` (all written through temporary files).
        meta (dict): The dataset meta (``classes`` with background first,
            ``palette``).
        labels (np.ndarray, optional): Multi-hot image-level labels; None
            uses :func:`classifier_labels`.

    Returns:
        dict: ``classes`` (names used), ``predicted_labels`` (whether they
        came from the classifier), ``cams`` (paths), ``label`` and
        ``panel`` (paths).
    """
    names = list(meta['classes'][1:])
    packed = pack_image(img_path, len(names))  # the image is read once
    predicted = labels is None
    if predicted:
        labels = classifier_labels(model, packed)
    scores = infer_cams(model, packed, labels).float().cpu()
    label = scores.argmax(0).numpy().astype(np.uint8)
    img = np.ascontiguousarray(packed['inputs'].permute(1, 2, 0).numpy()[
        ..., ::-1])  # BGR -> RGB
    stem = osp.splitext(osp.basename(img_path))[0]
    present = [int(c) for c in np.nonzero(labels)[0]]
    tiles, titles, cams = [img], [stem], []
    for c in present:
        heat = cam_heatmap(img, scores[c + 1].numpy())
        safe = names[c].replace(' ', '_').replace('/', '_')
        cams.append(
            save_panel([heat], osp.join(out_dir, f'{stem}_cam_{safe}.png'),
                       [f'CAM: {names[c]}']))
        tiles.append(heat)
        titles.append(f'CAM: {names[c]}')
    tiles.append(label_overlay(img, label, meta['palette']))
    titles.append('pseudo-label')
    label_path = osp.join(out_dir, f'{stem}_label.png')
    save_png_atomic(label, label_path, palette_bytes(meta['palette']))
    panel = save_panel(
        tiles, osp.join(out_dir, f'{stem}_panel.png'), titles,
        legend_items(np.unique(label), meta['classes'], meta['palette']))
    return dict(
        classes=[names[c] for c in present],
        predicted_labels=predicted,
        cams=cams,
        label=label_path,
        panel=panel)
