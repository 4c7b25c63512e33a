"""Time and peak memory of the HFPL losses (forward + backward).

FSL: ``dense`` (all pairs, exact), ``local`` (window of radius 3 sigma),
``auto`` (the default: whichever of the two :func:`choose_impl` picks) and a
straightforward ``cdist`` version, at 28x28, 56x56 and 112x112 CAMs, batch 8,
20 foreground classes (21 prediction channels with background).
ISL: sampling + loss against GAP + loss, same shapes. FSL's options
for images whose colour edges mislead (its weight ramped up, ``warmup``;
pairs weighted by the CAMs' certainty, ``certainty_weighting``) on the
``local`` path at 56x56, against the same module without them: their time
and operator calls must stay within 1.5x of plain ``local``.

Every measurement runs in a fresh subprocess. Time is the best of
``--repeats`` forward+backward calls (on CUDA after
``torch.cuda.synchronize``). CPU peak memory is the growth of the process's
peak RSS during the calls, with glibc told to return every block above 64
KiB to the OS when freed (``MALLOC_MMAP_THRESHOLD_``), so that it measures
the live peak rather than heap kept from earlier calls; on CUDA it is
``torch.cuda.max_memory_allocated`` above what was allocated before.
Operator calls are the top-level ``aten::`` calls of one forward+backward
under ``torch.profiler`` (each a kernel launch, or more, on a GPU). Cases
whose pair tensors alone would exceed ``--max-pair-gib`` are skipped and
marked so.

    python benchmarks/bench_losses.py [--device cpu|cuda] [--repeats 3]
        [--tables fsl options isl]
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

SIZES = (28, 56, 112)
BATCH, CLASSES = 8, 20
#: FSL options measured on the local path, each through the registered
#: module (the first without options): case name -> module options.
OPTION_CASES = {
    'plain': {},
    'warmup=0.5': dict(warmup=0.5),
    'certainty_weighting': dict(certainty_weighting=True),
    'warmup=0.5 + certainty_weighting': dict(warmup=0.5,
                                             certainty_weighting=True),
}
OPTION_SIZE = 56


def cdist_fsl(img, y, mu=2.5, sigma=5.0, eps=1e-5):
    """The straightforward all-pairs FSL with torch.cdist (autograd)."""
    import torch
    n, _, h, w = y.shape
    yf = y.flatten(2).transpose(1, 2)
    xf = img.flatten(2).transpose(1, 2)
    dy = 0.5 * torch.cdist(yf, yf).pow(2)
    dx = (torch.cdist(xf, xf, p=1) / 3).clamp(0, 1)
    t = torch.tanh(mu + torch.log((dx + eps) / (1 - dx + eps)))
    r, c = torch.meshgrid(
        torch.arange(h, device=y.device),
        torch.arange(w, device=y.device),
        indexing='ij')
    pos = torch.stack([r.flatten(), c.flatten()], 1).float()
    wgt = torch.exp(-torch.cdist(pos, pos).pow(2) /
                    (2 * sigma**2)) / (2 * math.pi * sigma**2)
    return -(wgt * dy * t).sum() / (n * h * w)


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def run_case(kind, size, device, repeats):
    import torch
    from hfpl_mm.models.losses import (feature_similarity_loss,
                                       multilabel_soft_margin_loss,
                                       prediction_maps)
    from hfpl_mm.models.losses.importance_sampling_loss import \
        importance_sampling_loss
    torch.manual_seed(0)
    img = torch.rand(BATCH, 3, size, size, device=device)
    cams = torch.randn(BATCH, CLASSES, size, size, device=device)
    labels = (torch.rand(BATCH, CLASSES, device=device) > 0.8).float()
    labels[:, 0] = 1
    if kind in OPTION_CASES:
        from mmengine.logging import MessageHub
        from mmseg.registry import MODELS

        import hfpl_mm  # noqa: F401  (registers the loss)
        hub = MessageHub.get_instance('bench_losses')
        hub.update_info('iter', 10)  # inside a 0.5 warm-up of 100 iters
        hub.update_info('max_iters', 100)
        module = MODELS.build(
            dict(type='FeatureSimilarityLoss', impl='local',
                 **OPTION_CASES[kind]))

        def fsl_module(x):
            return module(img, x, labels)

    def step():
        x = cams.clone().requires_grad_(True)
        if kind in OPTION_CASES:
            loss = fsl_module(x)
        elif kind in ('local', 'dense', 'auto'):
            loss = feature_similarity_loss(img, x, labels, impl=kind)
        elif kind == 'cdist':
            loss = cdist_fsl(img, prediction_maps(x, labels))
        elif kind == 'gap':
            loss = multilabel_soft_margin_loss(x.mean((2, 3)), labels)
        elif kind == 'gap+isl':
            loss = 0.8 * multilabel_soft_margin_loss(
                x.mean((2, 3)), labels) + 0.2 * importance_sampling_loss(
                    x, labels)
        loss.backward()
        return loss.item()

    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    value = step()  # warm-up
    sync()
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = rss_bytes()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    if device == 'cuda':
        peak = torch.cuda.max_memory_allocated() - base
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    return dict(time=min(times), peak=max(peak, 0), value=value,
                ops=count_aten_calls(step))


def count_aten_calls(fn) -> int:
    """Top-level ``aten::`` calls (not nested in another aten op) of one
    ``fn()``, forward and autograd backward."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    count = 0
    for e in prof.events():
        if not e.name.startswith('aten::'):
            continue
        parent = e.cpu_parent
        if parent is None or not parent.name.startswith('aten::'):
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default=None)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--max-pair-gib', type=float, default=6.0)
    parser.add_argument('--tables', nargs='+',
                        choices=('fsl', 'options', 'isl'),
                        default=['fsl', 'options', 'isl'],
                        help='the tables to measure and print')
    parser.add_argument('--case', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        kind, size, device = args.case.split(':')
        print(json.dumps(run_case(kind, int(size), device, args.repeats)))
        return
    import torch
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    name = (torch.cuda.get_device_name() if device == 'cuda' else
            f'CPU, {torch.get_num_threads()} threads')
    print(f'device: {device} ({name}), '
          f'batch {BATCH}, {CLASSES} classes, forward+backward, '
          f'best of {args.repeats}')

    def measure(kind, size):
        pair_gib = BATCH * (size * size)**2 * 4 / 2**30
        if kind in ('dense', 'cdist') and pair_gib > args.max_pair_gib:
            return None, f'skipped: one pair tensor is {pair_gib:.1f} GiB'
        # glibc returns every block above 64 KiB to the OS when freed, so
        # the RSS peak is the live peak, not heap kept from earlier calls
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
        out = subprocess.run(
            [sys.executable, __file__, '--case', f'{kind}:{size}:{device}',
             '--repeats', str(args.repeats)],
            capture_output=True, text=True, env=env)
        if out.returncode < 0:
            return None, (f'killed by signal {-out.returncode} '
                          '(out of memory?)')
        if out.returncode != 0:
            return None, 'failed: ' + (out.stderr.strip().splitlines()
                                       or ['?'])[-1][:60]
        return json.loads(out.stdout.strip().splitlines()[-1]), ''

    if 'fsl' in args.tables:
        fsl_table(measure)
    if 'options' in args.tables:
        options_table(measure)
    if 'isl' in args.tables:
        isl_table(measure)


def fsl_table(measure):
    print('\nFSL')
    print('| CAM | impl | time (ms) | peak mem (MiB) | aten calls | loss | '
          'speed-up vs dense | mem ratio dense/local |')
    print('|---|---|---|---|---|---|---|---|')
    kinds = ('dense', 'local', 'auto', 'cdist')
    for size in SIZES:
        res = {k: measure(k, size) for k in kinds}
        for kind in kinds:
            r, note = res[kind]
            if r is None:
                print(f'| {size}x{size} | {kind} | - | - | - | - | {note} | |')
                continue
            d = res['dense'][0]
            speed = f'{d["time"] / r["time"]:.1f}x' if d else ''
            ratio = (f'{d["peak"] / max(r["peak"], 1):.1f}x'
                     if d and kind == 'local' else '')
            print(f'| {size}x{size} | {kind} | {r["time"] * 1e3:.1f} | '
                  f'{r["peak"] / 2**20:.1f} | {r["ops"]} | {r["value"]:.6f} | '
                  f'{speed} | {ratio} |')


def options_table(measure):
    print(f'\nFSL options on the local path, {OPTION_SIZE}x{OPTION_SIZE}')
    print('| option | time (ms) | aten calls | time / plain | '
          'calls / plain |')
    print('|---|---|---|---|---|')
    res = {k: measure(k, OPTION_SIZE) for k in OPTION_CASES}
    base = res['plain'][0]
    for kind, (r, note) in res.items():
        if r is None or base is None:
            print(f'| {kind} | - | - | {note} | |')
            continue
        print(f'| {kind} | {r["time"] * 1e3:.1f} | {r["ops"]} | '
              f'{r["time"] / base["time"]:.2f} | '
              f'{r["ops"] / base["ops"]:.2f} |')


def isl_table(measure):
    print('\nISL overhead')
    print('| CAM | pooling | time (ms) | relative to GAP |')
    print('|---|---|---|---|')
    for size in SIZES:
        gap, _ = measure('gap', size)
        isl, _ = measure('gap+isl', size)
        print(f'| {size}x{size} | GAP | {gap["time"] * 1e3:.2f} | 1.00 |')
        print(f'| {size}x{size} | 0.8 GAP + 0.2 ISL | '
              f'{isl["time"] * 1e3:.2f} | {isl["time"] / gap["time"]:.2f} |')


if __name__ == '__main__':
    main()
