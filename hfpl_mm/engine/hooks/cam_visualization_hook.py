# Copyright (c) hfpl-mm contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from hfpl_mm.utils.image import read_image


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Draw CAMs and pseudo-labels of a few fixed validation images into the
    visualizer's backends, as mmseg's ``SegVisualizationHook`` draws
    segmentations.

    In every ``interval``-th validation run, the first ``num_images`` images
    of the validation set (a fixed set: the val dataloader does not shuffle)
    are drawn as one panel each: the image, the heat-map of the strongest
    present class's CAM score (foreground channels of the model's
    ``seg_logits``), and the pseudo-label (``pred_sem_seg``) in the
    dataset's palette, titled with the image's name, the classes shown and
    the iteration, with a colour legend. Each panel goes to
    ``runner.visualizer.add_image`` under ``cam_<image stem>`` at the
    current training iteration, so it
    appears in whatever ``vis_backends`` the config sets
    (``LocalVisBackend`` files, TensorBoard, ...); switch it on by listing
    ``configs/_base_/cam_visualization.py`` after the CAM config in a
    config's ``_base_``.

    Args:
        interval (int): Draw in every ``interval``-th validation run.
            Defaults to 1.
        num_images (int): Images drawn per run. Defaults to 4.
        alpha (float): Opacity of the heat-map (the label colours take at
            least 0.6). Defaults to 0.5.
    """

    def __init__(self,
                 interval: int = 1,
                 num_images: int = 4,
                 alpha: float = 0.5) -> None:
        if interval < 1 or num_images < 1:
            raise ValueError('interval and num_images must be >= 1, got '
                             f'{interval} and {num_images}')
        self.interval = interval
        self.num_images = num_images
        self.alpha = alpha
        self._runs = 0
        self._seen = 0

    def before_val_epoch(self, runner) -> None:
        self._seen = 0

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._runs += 1

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch: dict = None,
                       outputs: Optional[Sequence] = None) -> None:
        if self._runs % self.interval or not outputs:
            return
        meta = runner.val_dataloader.dataset.metainfo
        for sample in outputs:
            if self._seen >= self.num_images:
                return
            self._seen += 1
            panel = self.draw(sample, meta, runner.iter)
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            runner.visualizer.add_image(
                f'cam_{stem}', panel, step=runner.iter)

    def draw(self, sample, meta: dict, step: int = 0) -> np.ndarray:
        """Image | CAM heat-map | pseudo-label overlay (RGB uint8), each
        under a title (the image's name; the classes the heat-map shows;
        the iteration), with a colour legend of the pseudo-label's classes.

        Args:
            sample (SegDataSample): A prediction with ``seg_logits``
                (background first) and ``pred_sem_seg``.
            meta (dict): The dataset meta (``classes``, ``palette``).
            step (int): The training iteration, for the title.

        Returns:
            np.ndarray: The panel.
        """
        from hfpl_mm.visualization import (cam_heatmap, compose_panel,
                                           label_overlay, legend_items)
        img = read_image(sample.img_path, channel_order='rgb')
        scores = sample.seg_logits.data.float().cpu().numpy()
        label = sample.pred_sem_seg.data[0].cpu().numpy()
        if scores.shape[1:] != img.shape[:2]:
            raise ValueError(f'{sample.img_path}: scores of shape '
                             f'{scores.shape[1:]} for an image of '
                             f'{img.shape[:2]}')
        classes, palette = meta['classes'], meta['palette']
        heat = scores[1:].max(0) if len(scores) > 1 else scores[0] * 0
        # the classes with a score: the image's labels (CAM models restrict
        # the maps to them)
        shown = [classes[c + 1] for c in range(len(scores) - 1)
                 if c + 1 < len(classes) and scores[c + 1].max() > 0]
        stem = osp.splitext(osp.basename(sample.img_path))[0]
        return compose_panel(
            [img,
             cam_heatmap(img, heat, self.alpha),
             label_overlay(img, label, palette, max(self.alpha, 0.6))],
            [stem, f'CAM: {", ".join(shown) or "no class"}',
             f'pseudo-label, iter {step}'],
            legend_items(np.unique(label), classes, palette))
