# Copyright (c) hfpl-mm contributors. All rights reserved.
"""AffinityNet refinement (Ahn and Kwak, CVPR 2018): learn pixel affinities
from confident CAM regions, then propagate CAMs by a random walk."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ..heads.affinity_head import pairwise_affinity
from ..utils.pairs import half_disk_offsets, pair_slices
from ..utils.test_cfg import check_test_cfg_keys


def affinity_labels(label: Tensor,
                    radius: int,
                    ignore_index: int = 255,
                    band: int = 0):
    """Per offset: (bg_pos, fg_pos, neg) masks of pairs of a label map
    (N, h, w); pairs touching ``ignore_index`` are in none of them. ``band``
    restricts the pairs as :func:`pair_slices` does."""
    _, h, w = label.shape
    out = []
    for a, b in half_disk_offsets(radius):
        (ri, ci), (rj, cj) = pair_slices(h, w, a, b, band)
        li, lj = label[:, ri, ci], label[:, rj, cj]
        valid = (li != ignore_index) & (lj != ignore_index)
        same = (li == lj) & valid
        out.append((same & (li == 0), same & (li > 0), valid & (li != lj)))
    return out


def affinity_loss(affs: List[Tensor], labels) -> Dict[str, Tensor]:
    """AffinityNet's class-balanced cross-entropy: mean -log(a) over
    background-positive and foreground-positive pairs and mean
    -log(1 - a) over negative pairs, weighted as the reference:
    ``bg/4 + fg/4 + neg/2``."""
    eps = 1e-5
    sums = dict(bg=0.0, fg=0.0, neg=0.0)
    counts = dict(bg=0, fg=0, neg=0)
    for a, (bg, fg, neg) in zip(affs, labels):
        sums['bg'] = sums['bg'] - torch.log(a[bg] + eps).sum()
        sums['fg'] = sums['fg'] - torch.log(a[fg] + eps).sum()
        sums['neg'] = sums['neg'] - torch.log(1 + eps - a[neg]).sum()
        counts['bg'] += int(bg.sum())
        counts['fg'] += int(fg.sum())
        counts['neg'] += int(neg.sum())
    mean = {
        k: sums[k] / counts[k] if counts[k] else affs[0].sum() * 0
        for k in sums
    }
    return dict(
        loss_aff_bg=mean['bg'] / 4,
        loss_aff_fg=mean['fg'] / 4,
        loss_aff_neg=mean['neg'] / 2)


def transition_matrix(feats: Tensor,
                      radius: int,
                      beta: float,
                      band: int = 0) -> Tensor:
    """Sparse row-stochastic (HW, HW) matrix of one image's affinities
    ``a_ij^beta`` within ``radius`` (symmetric, self-affinity 1), over the
    pairs of :func:`pair_slices` with ``band``."""
    _, _, h, w = feats.shape
    idx = torch.arange(h * w, device=feats.device).view(h, w)
    rows, cols, vals = [idx.flatten()], [idx.flatten()], [
        torch.ones(h * w, device=feats.device)
    ]
    for (a, b), aff in zip(half_disk_offsets(radius),
                           pairwise_affinity(feats, radius, band)):
        (ri, ci), (rj, cj) = pair_slices(h, w, a, b, band)
        i, j, v = idx[ri, ci].flatten(), idx[rj, cj].flatten(), aff[0].flatten()
        v = v.pow(beta)
        rows += [i, j]
        cols += [j, i]
        vals += [v, v]
    rows, cols, vals = torch.cat(rows), torch.cat(cols), torch.cat(vals)
    degree = torch.zeros(h * w, device=feats.device).index_add_(0, rows, vals)
    return torch.sparse_coo_tensor(
        torch.stack([rows, cols]), vals / degree[rows],
        (h * w, h * w)).coalesce()


def random_walk(cams: Tensor, trans: Tensor, steps: int) -> Tensor:
    """Propagate (C, h, w) scores ``steps`` times: ``x <- T x`` per class
    (``T`` row-stochastic, so each step averages over affine neighbours)."""
    c, h, w = cams.shape
    x = cams.reshape(c, h * w).t()
    for _ in range(steps):
        x = torch.sparse.mm(trans, x)
    return x.t().reshape(c, h, w)


@MODELS.register_module()
class AffinityNet(BaseSegmentor):
    """AffinityNet: backbone + :class:`AffinityHead`, trained on affinity
    labels whose confident foreground / background come from CAMs (255
    elsewhere), and a random walk that refines CAMs with the learnt
    affinities, following PSA as the HFPL reference uses it.

    Training labels arrive at input resolution as constant ``stride x
    stride`` blocks (:class:`AffinityLabelFromScores` average-pools the CRF
    score maps per block and takes the argmax, as the reference); the model
    reads one pixel per block. For the random walk the (zero-padded) CAMs are
    average-pooled by ``stride``, walked ``2**logt`` steps with the
    transition matrix of ``affinity**beta`` and upsampled back.

    Args:
        stride (int): Output stride of the backbone. Defaults to 8.
        border_band (bool): As PSA, leave out pairs whose "from" pixel lies
            in the border band of width ``radius - 1`` (bottom rows, left and
            right columns), in training and in the random walk. False uses
            every pair inside the map. Defaults to True.
        test_cfg (dict): ``beta`` (8) and ``logt`` (6; ``2**logt`` walk
            steps), the reference's values.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 stride: int = 8,
                 border_band: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.radius = self.head.radius
        self.stride = stride
        self.band = self.radius - 1 if border_band else 0
        self.test_cfg = dict(beta=8.0, logt=6)
        self.test_cfg.update(test_cfg or {})
        check_test_cfg_keys(self.test_cfg, ('beta', 'logt'),
                            type(self).__name__)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        return self.head(self.backbone(inputs))

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]):
        return self.extract_feat(inputs)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(inputs)
        h, w = feats.shape[2:]
        label = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        # one pixel per stride x stride block of the block-constant labels
        label = label[:, ::self.stride, ::self.stride]
        if label.shape[1:] != (h, w):
            raise ValueError(
                f'labels of {tuple(label.shape[1:])} blocks do not match '
                f'features of {(h, w)}: is stride={self.stride} the '
                "backbone's output stride?")
        affs = pairwise_affinity(feats, self.radius, self.band)
        return affinity_loss(
            affs, affinity_labels(label, self.radius, band=self.band))

    def refine(self, inputs: Tensor, cams: Tensor) -> Tensor:
        """Random-walk refinement of one image's scores (C, H, W), background
        included; returns refined scores at the input resolution.

        As the reference: image and scores are zero-padded to a multiple of
        ``stride``, the scores average-pooled by ``stride``, walked, then
        upsampled (bilinear) to the padded size and cropped."""
        s = self.stride
        height, width = cams.shape[1:]
        ph, pw = -(-height // s) * s, -(-width // s) * s
        inputs = F.pad(inputs, (0, pw - inputs.shape[3], 0,
                                ph - inputs.shape[2]))
        feats = self.extract_feat(inputs)
        padded = F.pad(cams[None].float(), (0, pw - width, 0, ph - height))
        small = F.avg_pool2d(padded, s, s)[0]
        if small.shape[1:] != feats.shape[2:]:
            raise ValueError(
                f'pooled CAMs {tuple(small.shape[1:])} do not match features '
                f'{tuple(feats.shape[2:])}: is stride={s} the backbone\'s '
                'output stride?')
        trans = transition_matrix(feats[:1], self.radius,
                                  self.test_cfg['beta'], self.band)
        walked = random_walk(small, trans, 2**int(self.test_cfg['logt']))
        return F.interpolate(
            walked[None], size=(ph, pw), mode='bilinear',
            align_corners=False)[0, :, :height, :width]

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        raise NotImplementedError(
            'AffinityNet refines CAMs: use tools/refine_random_walk.py')

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None):
        return self.extract_feat(inputs)
