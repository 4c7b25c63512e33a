# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Feature-similarity loss (FSL).

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024 (https://arxiv.org/abs/2304.02621).

For pixel pairs (i, j) at CAM resolution::

    dx_ij = clamp(|x_i - x_j|_1 / C_img, 0, 1)          colour distance
    t_ij  = tanh(mu + log((dx_ij + eps) / (1 - dx_ij + eps)))
    dy_ij = 0.5 * ||y_i - y_j||^2                       prediction distance
    (y: min-max normalised, label-masked CAMs, background 1 - max)
    w_ij  = exp(-d_ij^2 / (2 sigma^2)) / (2 pi sigma^2)  spatial weight
    L     = -sum_{i, j} w_ij * dy_ij * t_ij / (N * H * W)

Similar colours (t < 0) pull predictions together, colour edges (t > 0)
push them apart.

Two implementations share this interface:

* ``dense``: every ordered pair, exact; O(N (HW)^2) memory.
* ``local``: only pairs with ``max(|row_i - row_j|, |col_i - col_j|) <= r``
  (``r = ceil(3 sigma)`` by default), looping over the window's offsets with
  a hand-written backward; O(N HW r^2) memory for the colour kernel and
  O(N C HW) for the predictions. Its truncation error is bounded by
  ``|L_dense - L_local| <= dy_max * tail(sigma, r)`` where ``dy_max`` is the
  largest prediction distance (see :func:`max_prediction_distance`) and
  ``tail`` the Gaussian weight outside the window
  (:func:`gaussian_tail_mass`): since ``|t| <= 1`` and, for every pixel i,
  ``sum_{j outside} w_ij <= tail``. For sigma=5, r=15 the tail is 3.8e-3.
"""
import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..utils.cam_norm import CAM_NORMS, normalize_cams
from ..utils.importance_sampling import POSTERIORS
from ..utils.pairs import pair_slices, square_window_offsets

IMPLS = ('local', 'dense')


def prediction_maps(cams: Tensor,
                    labels: Tensor,
                    posterior: str = 'binomial',
                    eps: float = 1e-5,
                    bg_logit: float = 0.0,
                    cam_norm: str = 'minmax') -> Tensor:
    """Per-pixel class predictions y used by FSL, with a background channel.

    Binomial (classes independent): foreground maps are the CAMs normalised
    by :func:`normalize_cams` (``cam_norm``; the reference min-max
    normalises ``relu(cam)`` per map), multiplied by the image-level labels;
    background is ``1 - max_c fg_c``. Multinomial (classes mutually
    exclusive): a softmax over ``[bg_logit, cams]`` where classes absent
    from the image are masked out with -inf.

    Args:
        cams (Tensor): CAM logits (N, C, H, W).
        labels (Tensor): Multi-hot foreground labels (N, C).
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        eps (float): Keeps the max-normalisation finite. Defaults to 1e-5.
        bg_logit (float): Background logit of the multinomial form.
            Defaults to 0.0.
        cam_norm (str): Normalisation of the binomial form, 'minmax'
            (reference) or 'max' (``relu(cam) / max``, our earlier variant).
            Defaults to 'minmax'.

    Returns:
        Tensor: Predictions (N, C + 1, H, W), background first, in float32
        (float64 for float64 CAMs).
    """
    if posterior not in POSTERIORS:
        raise ValueError(f'posterior must be one of {POSTERIORS}, '
                         f'got {posterior!r}')
    if labels.shape != cams.shape[:2]:
        raise ValueError(f'labels of shape {tuple(labels.shape)} do not '
                         f'match CAMs of shape {tuple(cams.shape)}')
    if cams.dtype != torch.float64:  # half precision is upcast
        cams = cams.float()
    mask = labels.to(cams.dtype)[:, :, None, None]
    if posterior == 'binomial':
        fg = normalize_cams(cams, cam_norm, eps) * mask
        bg = 1.0 - fg.amax(dim=1, keepdim=True)
        return torch.cat([bg, fg], dim=1)
    logits = cams.masked_fill(mask == 0, float('-inf'))
    bg = cams.new_full((cams.shape[0], 1, *cams.shape[2:]), bg_logit)
    return torch.cat([bg, logits], dim=1).softmax(dim=1)


def colour_term(dx: Tensor, mu: float = 2.5, eps: float = 1e-5) -> Tensor:
    """``tanh(mu + logit(dx))`` with dx clamped to [0, 1]."""
    dx = dx.clamp(0.0, 1.0)
    return torch.tanh(mu + torch.log((dx + eps) / (1.0 - dx + eps)))


def gaussian_weight(dist_sq: Tensor, sigma: float) -> Tensor:
    """Spatial weight ``exp(-d^2 / (2 sigma^2)) / (2 pi sigma^2)``."""
    return torch.exp(-dist_sq / (2 * sigma**2)) / (2 * math.pi * sigma**2)


def default_radius(sigma: float) -> int:
    """Window radius of the local implementation, ``ceil(3 sigma)``."""
    return int(math.ceil(3 * sigma))


def gaussian_tail_mass(sigma: float, radius: int) -> float:
    """Sum of the spatial weights of all integer offsets outside the square
    window ``max(|a|, |b|) <= radius`` (on an unbounded lattice, so an upper
    bound for any pixel of a finite image)."""

    def line_sum(r: int) -> float:
        return sum(
            math.exp(-a * a / (2 * sigma**2)) for a in range(-r, r + 1))

    full = line_sum(radius + int(math.ceil(40 * sigma)) + 1)
    inside = line_sum(radius)
    return (full**2 - inside**2) / (2 * math.pi * sigma**2)


def max_prediction_distance(y: Tensor) -> float:
    """An upper bound of ``dy_ij`` for predictions y (N, C, H, W):
    ``0.5 * sum_c (max y_c - min y_c)^2``."""
    flat = y.detach().flatten(2)
    rng = flat.amax(-1) - flat.amin(-1)
    return float(0.5 * (rng**2).sum(1).max())


def _check_inputs(img: Tensor, y: Tensor) -> None:
    if img.dim() != 4 or y.dim() != 4:
        raise ValueError('FSL expects img (N, 3, H, W) and predictions '
                         f'(N, C, H, W), got {tuple(img.shape)} and '
                         f'{tuple(y.shape)}')
    if img.shape[0] != y.shape[0] or img.shape[2:] != y.shape[2:]:
        raise ValueError('FSL needs the image at CAM resolution: got image '
                         f'{tuple(img.shape)} for predictions '
                         f'{tuple(y.shape)}')


def fsl_dense(img: Tensor,
              y: Tensor,
              mu: float = 2.5,
              sigma: float = 5.0,
              eps: float = 1e-5) -> Tensor:
    """FSL over all ordered pixel pairs (exact).

    Args:
        img (Tensor): Image (N, 3, H, W) in [0, 1] at CAM resolution.
        y (Tensor): Predictions (N, C, H, W), see :func:`prediction_maps`.
        mu (float): Colour threshold shift. Defaults to 2.5.
        sigma (float): Spatial Gaussian std in pixels. Defaults to 5.0.
        eps (float): Epsilon of the colour logit. Defaults to 1e-5.

    Returns:
        Tensor: Scalar loss.
    """
    _check_inputs(img, y)
    n, _, h, w = y.shape
    with torch.no_grad():
        xf = img.detach().to(y.dtype).flatten(2).transpose(1, 2)
        dx = torch.cdist(xf, xf, p=1) / img.shape[1]
        rows, cols = torch.meshgrid(
            torch.arange(h, device=y.device, dtype=y.dtype),
            torch.arange(w, device=y.device, dtype=y.dtype),
            indexing='ij')
        pos = torch.stack([rows.flatten(), cols.flatten()], dim=1)
        dist_sq = torch.cdist(pos, pos).pow(2)
        kernel = gaussian_weight(dist_sq, sigma) * colour_term(dx, mu, eps)
    yf = y.flatten(2).transpose(1, 2)
    sq = yf.pow(2).sum(-1)
    dy = 0.5 * (sq[:, :, None] + sq[:, None, :]) - yf @ yf.transpose(1, 2)
    return -(kernel * dy).sum() / (n * h * w)


class _LocalFSL(torch.autograd.Function):
    """Sum over window offsets; the backward loops again instead of storing
    per-offset intermediates, so memory stays O(N HW (C + r^2))."""

    @staticmethod
    def forward(ctx, y: Tensor, kernels: List[Tensor], offsets) -> Tensor:
        n, _, h, w = y.shape
        total = y.new_zeros(())
        for (a, b), k in zip(offsets, kernels):
            (ri, ci), (rj, cj) = pair_slices(h, w, a, b)
            diff = y[:, :, ri, ci] - y[:, :, rj, cj]
            total += (k * diff.pow(2).sum(1)).sum()
        ctx.save_for_backward(y)
        ctx.kernels, ctx.offsets = kernels, offsets
        # both orders of every pair: 2 * 0.5 * ||y_i - y_j||^2
        return -total / (n * h * w)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        y, = ctx.saved_tensors
        n, _, h, w = y.shape
        acc = torch.zeros_like(y)
        for (a, b), k in zip(ctx.offsets, ctx.kernels):
            (ri, ci), (rj, cj) = pair_slices(h, w, a, b)
            g = k[:, None] * (y[:, :, ri, ci] - y[:, :, rj, cj])
            acc[:, :, ri, ci] += g
            acc[:, :, rj, cj] -= g
        return acc * (grad_out * (-2.0 / (n * h * w))), None, None


def fsl_local(img: Tensor,
              y: Tensor,
              mu: float = 2.5,
              sigma: float = 5.0,
              radius: Optional[int] = None,
              eps: float = 1e-5) -> Tensor:
    """FSL over pixel pairs within a square window of ``radius``.

    Equal to :func:`fsl_dense` when the window covers the image, otherwise
    within ``max_prediction_distance(y) * gaussian_tail_mass(sigma, r)``.

    Args:
        img (Tensor): Image (N, 3, H, W) in [0, 1] at CAM resolution.
        y (Tensor): Predictions (N, C, H, W).
        mu (float): Colour threshold shift. Defaults to 2.5.
        sigma (float): Spatial Gaussian std in pixels. Defaults to 5.0.
        radius (int, optional): Window radius; ``ceil(3 sigma)`` if None.
        eps (float): Epsilon of the colour logit. Defaults to 1e-5.

    Returns:
        Tensor: Scalar loss.
    """
    _check_inputs(img, y)
    radius = default_radius(sigma) if radius is None else int(radius)
    if radius < 1:
        raise ValueError(f'radius must be >= 1, got {radius}')
    _, _, h, w = y.shape
    offsets = square_window_offsets(h, w, radius)
    x = img.detach().to(y.dtype)
    kernels = []
    with torch.no_grad():
        for a, b in offsets:
            (ri, ci), (rj, cj) = pair_slices(h, w, a, b)
            dx = (x[:, :, ri, ci] - x[:, :, rj, cj]).abs().sum(1) / x.shape[1]
            wgt = gaussian_weight(
                torch.tensor(float(a * a + b * b), dtype=torch.float64),
                sigma)
            kernels.append(colour_term(dx, mu, eps) * wgt.item())
    return _LocalFSL.apply(y, kernels, offsets)


def feature_similarity_loss(img: Tensor,
                            cams: Tensor,
                            labels: Tensor,
                            posterior: str = 'binomial',
                            mu: float = 2.5,
                            sigma: float = 5.0,
                            impl: str = 'local',
                            radius: Optional[int] = None,
                            eps: float = 1e-5,
                            cam_norm: str = 'minmax') -> Tensor:
    """FSL from the image, the CAM logits and the image-level labels.

    Args:
        img (Tensor): Image (N, 3, H, W) in [0, 1]; resized to the CAM
            resolution when it differs (bilinear, ``align_corners=True``, as
            the reference; resizing commutes with the per-channel affine
            denormalisation, so resizing the RGB image equals the
            reference's resize-then-denormalise).
        cams (Tensor): CAM logits (N, C, h, w).
        labels (Tensor): Multi-hot labels (N, C).
        posterior (str): 'binomial' or 'multinomial'. Defaults to 'binomial'.
        mu (float): Defaults to 2.5.
        sigma (float): Defaults to 5.0.
        impl (str): 'local' or 'dense'. Defaults to 'local'.
        radius (int, optional): Window radius of 'local'. Defaults to None.
        eps (float): Defaults to 1e-5.
        cam_norm (str): See :func:`prediction_maps`. Defaults to 'minmax'.

    Returns:
        Tensor: Scalar loss in float32 (float64 for float64 CAMs).
    """
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}')
    y = prediction_maps(cams, labels, posterior, eps, cam_norm=cam_norm)
    if img.shape[2:] != y.shape[2:]:
        img = F.interpolate(
            img.to(y.dtype), size=y.shape[2:], mode='bilinear',
            align_corners=True)
    if impl == 'dense':
        return fsl_dense(img, y, mu, sigma, eps)
    return fsl_local(img, y, mu, sigma, radius, eps)


@MODELS.register_module()
class FeatureSimilarityLoss(nn.Module):
    """Feature-similarity loss (FSL) of `High-fidelity Pseudo-labels for
    Boosting Weakly-Supervised Segmentation
    <https://arxiv.org/abs/2304.02621>`_.

    Args:
        posterior (str): 'binomial' (default, one sigmoid-like map per class)
            or 'multinomial' (softmax over classes, for ablation).
        mu (float): Colour threshold shift. Defaults to 2.5.
        sigma (float): Spatial Gaussian std in CAM pixels. Defaults to 5.0.
        impl (str): 'local' (windowed, fast) or 'dense' (all pairs, exact).
            Defaults to 'local'.
        radius (int, optional): Window radius of 'local'; ``ceil(3 sigma)``
            when None. Defaults to None.
        eps (float): Defaults to 1e-5.
        cam_norm (str): Normalisation of the binomial predictions: 'minmax'
            (the reference's, default) or 'max' (``relu(cam) / max``, a
            variant kept for ablation; equal unless a map is positive
            everywhere).
        loss_weight (float): Defaults to 1.0 (the reference's weight on VOC;
            it uses 0.2 on COCO).
        loss_name (str): Defaults to 'loss_fsl'.
    """

    def __init__(self,
                 posterior: str = 'binomial',
                 mu: float = 2.5,
                 sigma: float = 5.0,
                 impl: str = 'local',
                 radius: Optional[int] = None,
                 eps: float = 1e-5,
                 cam_norm: str = 'minmax',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_fsl') -> None:
        super().__init__()
        if posterior not in POSTERIORS:
            raise ValueError(f'posterior must be one of {POSTERIORS}, '
                             f'got {posterior!r}')
        if impl not in IMPLS:
            raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}')
        if cam_norm not in CAM_NORMS:
            raise ValueError(f'cam_norm must be one of {CAM_NORMS}, '
                             f'got {cam_norm!r}')
        self.posterior = posterior
        self.cam_norm = cam_norm
        self.mu = mu
        self.sigma = sigma
        self.impl = impl
        self.radius = radius
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, img: Tensor, cams: Tensor, labels: Tensor,
                **kwargs) -> Tensor:
        return self.loss_weight * feature_similarity_loss(
            img, cams, labels, self.posterior, self.mu, self.sigma,
            self.impl, self.radius, self.eps, self.cam_norm)

    @property
    def loss_name(self) -> str:
        return self._loss_name
