"""How reliable FSL's colour cue is on a dataset with masks.

FSL pulls the predictions of two nearby pixels together where their colours
are similar (``t_ij < 0``) and pushes them apart across a colour edge
(``t_ij > 0``), each pair weighted by the spatial Gaussian. Against the
ground-truth masks a pull is right when both pixels carry the same label
and a push is right when the labels differ. This script sums the pair
weights ``w_ij |t_ij|`` of each kind over a dataset's images at CAM
resolution and prints:

* pull precision: right pulls / all pulls;
* push precision: right pushes / all pushes (pairs across a label edge);
* push share: pushes / all pair weight;
* right: the weight whose sign agrees with the masks;
* background pushes: pushes between two background pixels / right
  pushes.

Pixels labelled 255 take part in no pair. Nothing is trained: the numbers
describe the data, not a model.

    python benchmarks/fsl_colour_cue.py \\
        --data-root work_dirs/ablation/data/hard-seed0
    python benchmarks/fsl_colour_cue.py --data-root data/VOCdevkit/VOC2012 \\
        --split train --num 200 --sigma 5
"""
import argparse
import os.path as osp
from typing import Dict, Iterator, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from hfpl_mm.models.losses.feature_similarity_loss import pair_kernel

KEYS = ('pull_right', 'pull_wrong', 'push_right', 'push_wrong', 'bg_push')


def cue_sums(img: torch.Tensor,
             seg: torch.Tensor,
             mu: float = 2.5,
             sigma: float = 5.0,
             eps: float = 1e-5,
             ignore_index: int = 255) -> Dict[str, float]:
    """Summed pair weights ``w_ij |t_ij|`` of one image at CAM resolution,
    by kind (:data:`KEYS`), over the ordered pairs i != j.

    Args:
        img (Tensor): RGB (3, h, w) in [0, 1] at CAM resolution.
        seg (Tensor): Labels (h, w); ``ignore_index`` takes part in no pair.
        mu (float): FSL's colour shift. Defaults to 2.5.
        sigma (float): FSL's spatial Gaussian in pixels. Defaults to 5.0.
        eps (float): FSL's colour epsilon. Defaults to 1e-5.
        ignore_index (int): Defaults to 255.

    Returns:
        dict: The sums of :data:`KEYS`.
    """
    h, w = seg.shape
    lab = seg.flatten()
    wt = pair_kernel(img[None].double(), mu, sigma, eps)[0]
    valid = lab != ignore_index
    keep = valid[:, None] & valid[None] & ~torch.eye(h * w, dtype=torch.bool)
    wt = torch.where(keep, wt, torch.zeros_like(wt))
    differ = lab[:, None] != lab[None]
    pull, push = (-wt).clamp_min(0), wt.clamp_min(0)
    both_bg = (lab[:, None] == 0) & (lab[None] == 0)
    return dict(pull_right=float(pull[~differ].sum()),
                pull_wrong=float(pull[differ].sum()),
                push_right=float(push[differ].sum()),
                push_wrong=float(push[~differ].sum()),
                bg_push=float(push[both_bg].sum()))


def cue_table_row(sums: Dict[str, float]) -> Dict[str, float]:
    """The printed ratios of summed :func:`cue_sums`."""
    pull = sums['pull_right'] + sums['pull_wrong']
    push = sums['push_right'] + sums['push_wrong']
    nan = float('nan')
    return dict(
        pull_precision=sums['pull_right'] / pull if pull else nan,
        push_precision=sums['push_right'] / push if push else nan,
        push_share=push / (pull + push) if pull + push else nan,
        right=(sums['pull_right'] + sums['push_right']) / (pull + push)
        if pull + push else nan,
        bg_pushes=sums['bg_push'] / sums['push_right']
        if sums['push_right'] else nan)


def read_samples(data_root: str, split: str, num: int,
                 stride: int) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """(image at CAM resolution, mask at CAM resolution) of the first
    ``num`` images of a VOC-format split: the image resized bilinearly with
    ``align_corners=True`` (as FSL resizes it), the mask by nearest."""
    from hfpl_mm.datasets.voc_weak import read_split_file
    split_file = osp.join(data_root, 'ImageSets', 'Segmentation',
                          f'{split}.txt')
    for stem in read_split_file(split_file)[:num]:
        img_path = osp.join(data_root, 'JPEGImages', stem + '.jpg')
        seg_path = osp.join(data_root, 'SegmentationClass', stem + '.png')
        img = np.asarray(Image.open(img_path).convert('RGB'), np.float32)
        seg = np.asarray(Image.open(seg_path))
        if seg.shape != img.shape[:2]:
            raise ValueError(f'{seg_path}: mask {seg.shape} does not match '
                             f'its image {img.shape[:2]}')
        size = (max(1, img.shape[0] // stride), max(1, img.shape[1] // stride))
        x = torch.from_numpy(img / 255).permute(2, 0, 1)[None]
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=True)
        s = torch.from_numpy(seg.astype(np.int64))[None, None].float()
        s = F.interpolate(s, size=size, mode='nearest').long()
        yield x[0], s[0, 0]


def cue_table(data_root: str, split: str, num: int, stride: int, mu: float,
              sigma: float) -> str:
    sums = dict.fromkeys(KEYS, 0.0)
    count = 0
    for img, seg in read_samples(data_root, split, num, stride):
        for k, v in cue_sums(img, seg, mu, sigma).items():
            sums[k] += v
        count += 1
    r = cue_table_row(sums)
    return '\n'.join([
        f'{data_root} ({split}, {count} images at 1/{stride}, mu {mu}, '
        f'sigma {sigma} CAM pixels)', '',
        '| pull precision | push precision | push share | right | '
        'background pushes |', '|---|---|---|---|---|',
        f'| {r["pull_precision"]:.3f} | {r["push_precision"]:.3f} | '
        f'{r["push_share"]:.3f} | {r["right"]:.3f} | {r["bg_pushes"]:.3f} |'
    ])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', required=True,
                   help='a VOC-format tree with SegmentationClass masks')
    p.add_argument('--split', default='train')
    p.add_argument('--num', type=int, default=120,
                   help='the first NUM images of the split')
    p.add_argument('--stride', type=int, default=8,
                   help='the CAM network\'s output stride')
    p.add_argument('--mu', type=float, default=2.5)
    p.add_argument('--sigma', type=float, default=1.5,
                   help='FSL\'s sigma in CAM pixels (1.5: the synthetic '
                   'configs; 5: the reference\'s VOC recipe)')
    args = p.parse_args(argv)
    print(cue_table(args.data_root, args.split, args.num, args.stride,
                    args.mu, args.sigma))


if __name__ == '__main__':
    main()
