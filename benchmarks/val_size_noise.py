"""How far stage 3's val mIoU moves with the val images drawn, by val-set
size: the sampling noise of one evaluation.

A segmentation checkpoint (or two, e.g. DeepLab on the baseline's and on
the add-on's pseudo-labels) is run once over a large val split; every
image's confusion matrix is kept. For each size ``n`` the mIoU of ``n``
images drawn with replacement from that pool is recomputed ``--draws``
times (a bootstrap of the val set): the standard deviation is how much an
evaluation on ``n`` images moves from the images alone, and the
difference of two checkpoints on the same draws is how much a comparison
moves. mIoU as mmseg's ``IoUMetric`` computes it (classes in neither GT
nor prediction left out). Training noise (weights from another run, or a
checkpoint a few iterations apart) adds to this; a larger val set removes
only this part.

    python benchmarks/val_size_noise.py CONFIG CKPT [CKPT ...] \\
        --data-root DIR [--render 1200 --preset default --seed 0] \\
        [--sizes 60 120 240 300 600] [--draws 2000]

``--render N`` writes the synthetic VOC set of ``--preset`` / ``--seed``
with N val images to ``--data-root`` first (its train images are the
ablation's of the same seed: the generator renders train before val).
"""
import argparse
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def subset_miou(confusions: np.ndarray, index: np.ndarray) -> float:
    """mIoU (%) of the images ``index`` (repeats count again) from their
    per-image confusion matrices ``(images, C, C)``; classes in neither GT
    nor prediction of the subset are left out (mmseg's IoUMetric)."""
    from hfpl_mm.evaluation.functional import iou_from_confusion, mean_iou
    conf = confusions[index].sum(0)
    return 100 * mean_iou(iou_from_confusion(conf)['iou'],
                          count_absent=False)


def bootstrap_spread(confusions: Sequence[np.ndarray],
                     sizes: Sequence[int],
                     draws: int,
                     seed: int = 0) -> List[Dict]:
    """Per size: the standard deviation of each checkpoint's mIoU and of
    the first two checkpoints' difference over ``draws`` bootstrap val
    sets of that size (the same draws for every checkpoint).

    Args:
        confusions (Sequence[np.ndarray]): One ``(images, C, C)`` array
            per checkpoint, images in the same order.
        sizes (Sequence[int]): Val-set sizes.
        draws (int): Bootstrap draws per size.
        seed (int): Seed of the draws.

    Returns:
        list[dict]: ``size``, ``std`` (one per checkpoint), ``diff_std``
        (None with one checkpoint) and ``p95`` (half the width of the
        central 95 % of the first checkpoint's mIoU).
    """
    num = len(confusions[0])
    if any(len(c) != num for c in confusions):
        raise ValueError('every checkpoint needs the same images')
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        values = np.empty((len(confusions), draws))
        for d in range(draws):
            index = rng.integers(0, num, size)
            for k, conf in enumerate(confusions):
                values[k, d] = subset_miou(conf, index)
        lo, hi = np.percentile(values[0], [2.5, 97.5])
        rows.append(
            dict(size=int(size),
                 std=[float(v.std(ddof=1)) for v in values],
                 diff_std=(float((values[1] - values[0]).std(ddof=1))
                           if len(confusions) > 1 else None),
                 p95=float(hi - lo) / 2))
    return rows


def per_image_confusions(config: str, checkpoints: Sequence[str],
                         data_root: str, device: str) -> List[np.ndarray]:
    """Run every checkpoint over the val split of ``data_root`` (the
    config's test pipeline, each batch loaded once for all of them); per
    checkpoint one confusion matrix per image, in the split's order."""
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    from hfpl_mm.apis.inference import init_model
    from hfpl_mm.evaluation.functional import confusion_matrix
    cfg = Config.fromfile(config)
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.dataset.data_root = data_root
    loader_cfg.dataset.ann_file = 'ImageSets/Segmentation/val.txt'
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader_cfg.batch_size = 16
    loader = Runner.build_dataloader(loader_cfg)
    models = [init_model(cfg, ckpt, device=device) for ckpt in checkpoints]
    num_classes = len(loader.dataset.metainfo['classes'])
    out = [[] for _ in models]
    with torch.no_grad():
        for batch in loader:
            for model, confs in zip(models, out):
                for sample in model.test_step(batch):
                    pred = sample.pred_sem_seg.data[0].cpu().numpy()
                    gt = sample.gt_sem_seg.data[0].cpu().numpy()
                    confs.append(confusion_matrix(pred, gt, num_classes))
    return [np.stack(confs) for confs in out]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='segmentation config (stage 3)')
    p.add_argument('checkpoints', nargs='+',
                   help='one or more checkpoints of that config; the '
                   'difference of the first two is also measured')
    p.add_argument('--data-root', required=True,
                   help='synthetic VOC folder whose val split is the pool')
    p.add_argument('--render', type=int, default=None, metavar='N',
                   help='render the synthetic set with N val images to '
                   '--data-root first (refused if it exists)')
    p.add_argument('--num-train', type=int, default=240,
                   help='train images of --render (the ablation renders '
                   '240)')
    p.add_argument('--preset', default='default', choices=('default',
                                                           'hard'),
                   help='preset of --render')
    p.add_argument('--seed', type=int, default=0, help='seed of --render')
    p.add_argument('--sizes', type=int, nargs='+',
                   default=[60, 120, 240, 300, 600],
                   help='val-set sizes to measure')
    p.add_argument('--draws', type=int, default=2000,
                   help='bootstrap draws per size')
    p.add_argument('--device', default=None, help='cpu or cuda')
    args = p.parse_args()
    import torch

    import hfpl_mm  # noqa: F401
    if args.render is not None:
        if osp.exists(args.data_root):
            p.error(f'--data-root {args.data_root} exists; --render writes '
                    'a new folder')
        from hfpl_mm.datasets.synthetic import generate_synthetic_voc
        generate_synthetic_voc(args.data_root, args.num_train, args.render,
                               seed=args.seed, preset=args.preset)
    elif not osp.isdir(args.data_root):
        p.error(f'--data-root {args.data_root} does not exist; add '
                '--render N')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    t0 = time.time()
    confusions = per_image_confusions(args.config, args.checkpoints,
                                      args.data_root, device)
    num = len(confusions[0])
    print(f'{num} val images of {args.data_root}; {len(confusions)} '
          f'checkpoint(s) run in {time.time() - t0:.0f} s; {args.draws} '
          'bootstrap draws per size')
    full = [subset_miou(c, np.arange(num)) for c in confusions]
    for ckpt, value in zip(args.checkpoints, full):
        print(f'mIoU on all {num}: {value:.2f}  ({ckpt})')
    rows = bootstrap_spread(confusions, args.sizes, args.draws)
    head = ['val images'] + [f'std of mIoU, ckpt {k + 1}'
                             for k in range(len(confusions))]
    if len(confusions) > 1:
        head.append('std of the difference (2 - 1)')
    head.append('95 % half-width, ckpt 1')
    print('\n| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for row in rows:
        cells = [str(row['size'])] + [f'{s:.2f}' for s in row['std']]
        if row['diff_std'] is not None:
            cells.append(f'{row["diff_std"]:.2f}')
        cells.append(f'{row["p95"]:.2f}')
        print('| ' + ' | '.join(cells) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
