# Copyright (c) hfpl-mm contributors. All rights reserved.
import torch
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from hfpl_mm.utils.labels import stack_cls_labels
from hfpl_mm.utils.schedule import ramped_weight
from ..utils.cam_contract import loss_modules
from .cam_segmentor import CAMSegmentor


def tile(x: Tensor, grid: int) -> Tensor:
    """Split (N, C, H, W) into grid*grid tiles stacked on the batch axis,
    tile-major: (grid*grid*N, C, H/grid, W/grid)."""
    n, c, h, w = x.shape
    if h % grid or w % grid:
        raise ValueError(f'input size {h}x{w} is not divisible by the '
                         f'puzzle grid {grid}')
    th, tw = h // grid, w // grid
    return torch.cat([
        x[:, :, r * th:(r + 1) * th, q * tw:(q + 1) * tw]
        for r in range(grid) for q in range(grid)
    ])


def merge(x: Tensor, grid: int) -> Tensor:
    """Inverse of :func:`tile`."""
    parts = x.chunk(grid * grid)
    rows = [torch.cat(parts[r * grid:(r + 1) * grid], dim=3)
            for r in range(grid)]
    return torch.cat(rows, dim=2)


@MODELS.register_module()
class PuzzleCAMSegmentor(CAMSegmentor):
    """Puzzle-CAM (`Jo and Yu, ICIP 2021
    <https://arxiv.org/abs/2101.11253>`_).

    The image and its ``grid x grid`` tiles go through the same network; the
    tiles' CAMs are merged back. Losses: classification of the full image
    and of the merged CAM (``loss_cls`` / ``loss_cls_puzzle``) and the
    reconstruction loss
    ``mean(label_mask * |cam - merged_cam|)`` whose weight ramps linearly
    from 0 to ``re_weight`` over the first ``re_warmup`` fraction of
    training, as in the paper. The HFPL add-on (ISL mixed into the
    classification loss, and FSL) applies to the full image's CAM only, as
    the reference applies it to SEAM's full-resolution view; the merged
    tiles keep the plain GAP loss.

    Args:
        grid (int): Tiles per side. Defaults to 2.
        re_weight (float): Final weight of the reconstruction loss.
            Defaults to 4.0.
        re_warmup (float): Fraction of ``max_iters`` of the ramp.
            Defaults to 0.5.
    """

    # its multi-view losses compare CAMs channel by channel with the
    # foreground labels: no learned background channel (the multinomial
    # forms run on CAMSegmentor)
    supports_background_channel = False

    def __init__(self,
                 *args,
                 grid: int = 2,
                 re_weight: float = 4.0,
                 re_warmup: float = 0.5,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.re_weight = re_weight
        self.re_warmup = re_warmup

    def current_re_weight(self) -> float:
        return ramped_weight(self.re_weight, self.re_warmup)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        head = self.decode_head
        labels = stack_cls_labels(data_samples, inputs.device)
        images = self.denormalize(inputs) if self.addon_needs_images else None
        cams = self.forward_cams(inputs)
        merged = merge(self.forward_cams(tile(inputs, self.grid)), self.grid)
        losses = self.cam_losses(cams, data_samples, images)
        puzzle = self.cam_losses(merged, data_samples, None, with_addon=False)
        for loss in loss_modules(head.loss_decode):
            losses[f'{loss.loss_name}_puzzle'] = puzzle[loss.loss_name]
        mask = labels[:, :, None, None]
        losses['loss_re'] = self.current_re_weight() * (
            mask * (cams - merged).abs()).mean()
        return self._add_prefix(losses, 'decode')
