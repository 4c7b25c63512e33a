"""Pseudo-label generation speed (stage 2) and dense-CRF speed.

Images/second of multi-scale (0.5, 1, 1.5, 2) + flip CAM inference at
448x448, as tools/make_pseudo_labels.py runs it (model forward, restriction
to the labels, background, resizing, argmax), for the stage-1 networks, and
of the dense CRF (10 iterations, the reference's pairwise settings).
Random weights: the speed does not depend on them.

    python benchmarks/bench_pseudo_labels.py [--images 3] [--device cpu]
"""
import argparse
import os.path as osp
import time

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'vanilla CAM R50-d16': 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'SEAM WR38-d8': 'configs/seam/seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', type=int, default=3)
    p.add_argument('--size', type=int, default=448)
    p.add_argument('--device', default=None)
    args = p.parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import hfpl_mm  # noqa: F401
    from hfpl_mm.models.segmentors import cams_to_scores
    from hfpl_mm.utils.crf import dense_crf
    init_default_scope('mmseg')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    s = args.size
    print(f'device: {device}, {torch.get_num_threads()} CPU threads, '
          f'{args.images} images of {s}x{s}, scales 0.5/1/1.5/2 + flip')
    print('\n| stage | model | images/s | s/image |\n|---|---|---|---|')
    for name, path in CONFIGS.items():
        cfg = Config.fromfile(osp.join(REPO, path))
        model_cfg = cfg.model.to_dict()
        model_cfg['backbone']['init_cfg'] = None
        model_cfg['backbone']['norm_cfg'] = dict(type='BN')
        model_cfg['test_cfg'].update(scales=(0.5, 1.0, 1.5, 2.0), flip=True)
        model = MODELS.build(model_cfg).to(device).eval()
        labels = torch.zeros(1, 20, device=device)
        labels[0, [3, 14]] = 1
        x = torch.randn(1, 3, s, s, device=device)
        with torch.no_grad():
            model.multiscale_cams(x)  # warm-up
            t0 = time.perf_counter()
            for _ in range(args.images):
                scores = cams_to_scores(model.multiscale_cams(x), labels)
                scores.argmax(1).cpu()
            if device == 'cuda':
                torch.cuda.synchronize()
            dt = (time.perf_counter() - t0) / args.images
        print(f'| CAM inference | {name} | {1 / dt:.2f} | {dt:.2f} |')
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (s, s, 3), dtype=np.uint8)
    scores = rng.random((21, s, s)).astype(np.float32)
    scores[3:] = 0
    dense_crf(img, scores)
    t0 = time.perf_counter()
    for _ in range(args.images):
        dense_crf(img, scores)
    dt = (time.perf_counter() - t0) / args.images
    print(f'| dense CRF (3 labels, 10 it.) | - | {1 / dt:.2f} | {dt:.2f} |')


if __name__ == '__main__':
    main()
