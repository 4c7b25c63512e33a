"""Training step time of a baseline vs its HFPL add-on twin (same run).

Forward + backward + SGD step at 448x448 on random data; the ratio is the
add-on's cost. Batch 8 is the reference's; on a CPU pass a smaller
``--batch`` to keep it short (the ratio is what matters).

    python benchmarks/bench_train_step.py [--batch 2] [--steps 3] [--size 448]
"""
import argparse
import os.path as osp
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = {
    'vanilla CAM R50-d16': 'configs/cam/{}cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'SEAM WR38-d8': 'configs/seam/{}seam_wr38-d8_1xb8-8e_voc12aug-448x448.py',
    'Puzzle-CAM R50-d16':
    'configs/puzzlecam/{}puzzlecam_r50-d16_1xb8-8e_voc12aug-448x448.py',
}


def build(path, size):
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, path))
    m = cfg.model.to_dict()
    m['backbone']['init_cfg'] = None
    m['backbone']['norm_cfg'] = dict(type='BN', requires_grad=True)
    m['data_preprocessor']['size'] = (size, size)
    return MODELS.build(m)


def step_time(model, batch, size, steps, device):
    from mmseg.structures import SegDataSample
    model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    samples = []
    for i in range(batch):
        s = SegDataSample(metainfo=dict(img_shape=(size, size)))
        lab = torch.zeros(20)
        lab[[i % 20, (i + 7) % 20]] = 1
        s.gt_cls_label = lab
        samples.append(s)
    x = torch.randn(batch, 3, size, size, device=device)
    samples = [s.to(device) for s in samples]

    def one():
        opt.zero_grad()
        losses = model(x, samples, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        opt.step()
        if device == 'cuda':
            torch.cuda.synchronize()

    one()  # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        one()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--size', type=int, default=448)
    p.add_argument('--device', default=None)
    p.add_argument('--only', nargs='*', help='subset of the baselines')
    args = p.parse_args()
    from mmengine.registry import init_default_scope

    import hfpl_mm  # noqa: F401
    init_default_scope('mmseg')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    print(f'device: {device}, {torch.get_num_threads()} CPU threads, batch '
          f'{args.batch}, {args.size}x{args.size}, best of {args.steps}')
    print('\n| baseline | baseline s/step | + HFPL s/step | ratio |')
    print('|---|---|---|---|')
    for name, pattern in PAIRS.items():
        if args.only and not any(o in name for o in args.only):
            continue
        torch.manual_seed(0)
        base = step_time(build(pattern.format(''), args.size), args.batch,
                         args.size, args.steps, device)
        torch.manual_seed(0)
        twin = step_time(build(pattern.format('hfpl-'), args.size),
                         args.batch, args.size, args.steps, device)
        print(f'| {name} | {base:.3f} | {twin:.3f} | {twin / base:.3f} |')


if __name__ == '__main__':
    main()
