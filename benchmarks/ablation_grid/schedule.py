# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Running the ablation's cells: one process (:func:`run_grid`) or a pool
of processes, one chain each (:func:`run_parallel`), each finished cell
recorded atomically, with progress lines and ETAs."""
import json
import os
import os.path as osp
import time
from typing import Callable, Collection, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .cells import THRESHOLD_OFFSETS, Cell, cell_path, chains, finished_cells
from .compute import CellComputer


def ablation_log(msg: str) -> None:
    """An ablation progress line on stdout."""
    print(f'[ablation] {msg}', flush=True)


def eta_seconds(todo: Sequence[Cell],
                results: Dict[Cell, Dict]) -> Optional[float]:
    """Seconds the ``todo`` cells will take: each counts the mean
    ``seconds`` of the finished cells of its kind (a full cell takes
    several times a stage-1+2 cell). A thresholds cell with none of its
    kind finished counts its ``len(THRESHOLD_OFFSETS)`` DeepLab runs at
    the mean ``deeplab_seconds`` of the finished full cells (the same
    DeepLab schedule); any other kind with none finished, the mean of all
    finished cells. None before any cell has finished."""
    by_kind: Dict[str, List[float]] = {}
    deeplab = []
    for cell, res in results.items():
        if 'seconds' in res:
            by_kind.setdefault(cell[3], []).append(res['seconds'])
        if cell[3] == 'full' and 'deeplab_seconds' in res:
            deeplab.append(res['deeplab_seconds'])
    if not by_kind:
        return None
    mean = {kind: float(np.mean(t)) for kind, t in by_kind.items()}
    if 'thresholds' not in mean and deeplab:
        mean['thresholds'] = len(THRESHOLD_OFFSETS) * float(np.mean(deeplab))
    fallback = float(np.mean(sum(by_kind.values(), [])))
    return sum(mean.get(cell[3], fallback) for cell in todo)


def chains_eta_seconds(running: Sequence[float], queued: Sequence[float],
                       jobs: int) -> float:
    """Seconds until the last chain finishes on ``jobs`` processes: the
    ``running`` chains need the given seconds more, then each ``queued``
    chain (in submission order, its estimated seconds) starts on the
    first process to become free."""
    free = sorted(list(running) + [0.0] * max(0, jobs - len(running)))
    for seconds in queued:
        free[0] += seconds
        free.sort()
    return max(free, default=0.0)


def pending_chains_eta(chains_: Sequence[Sequence[Cell]],
                       pending: Collection[int], started: Dict[int, float],
                       on_disk: Collection[Cell], timed: Dict[Cell, Dict],
                       now: float, jobs: int) -> Optional[float]:
    """Seconds until the ``pending`` chains (indices into ``chains_``)
    finish (:func:`chains_eta_seconds`). A chain's estimate counts the
    cells it computes, not those ``on_disk`` before the run, each at its
    kind's mean time in ``timed`` (:func:`eta_seconds`); a chain that
    ``started`` (index -> time) has its time so far subtracted, the others
    wait in index order. None before any cell has finished."""
    cost = {
        i: eta_seconds([c for c in chains_[i] if c not in on_disk], timed)
        for i in pending
    }
    if None in cost.values():
        return None
    order = sorted(pending)
    return chains_eta_seconds(
        [max(0.0, cost[i] - (now - started[i])) for i in order
         if i in started], [cost[i] for i in order if i not in started],
        jobs)


def run_grid(cells: Sequence[Cell], work_dir: str,
             compute: Callable[[Cell], Dict]) -> Dict[Cell, Dict]:
    """Results of every cell: read from disk when finished before,
    computed (and written atomically) otherwise, with a progress line and
    an ETA per cell kind from every cell finished in ``work_dir``
    (:func:`finished_cells`, :func:`eta_seconds`)."""
    from hfpl_mm.utils.atomic import atomic_write
    timed = finished_cells(work_dir)
    results = {c: timed[c] for c in cells if c in timed}
    todo = [c for c in cells if c not in results]
    if len(todo) < len(cells):
        ablation_log(f'{len(cells) - len(todo)} of {len(cells)} cells on '
                     'disk, not recomputed')
    for k, cell in enumerate(todo):
        left = eta_seconds(todo[k:], timed)
        eta = '' if left is None else f', ETA {left / 60:.0f} min'
        ablation_log(f'cell {k + 1}/{len(todo)}: '
                     f'{" ".join(map(str, cell))}{eta}')
        t0 = time.time()
        res = compute(cell)
        res['seconds'] = time.time() - t0
        path = cell_path(work_dir, cell)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, 'w') as f:
            json.dump(res, f, indent=1, default=float)
        results[cell] = timed[cell] = res
    return results


def exit_with_parent(parent: int,
                     interval: float = 2.0,
                     exit_fn: Callable[[int], None] = os._exit) -> None:
    """Watch from a daemon thread, and end this worker once its parent
    process ``parent`` is gone: a stopped ablation (Ctrl-C, ``kill``) does
    not leave its workers computing the queued chains, unseen, on the
    cores it was meant to free."""
    import threading

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        exit_fn(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_chain(work_dir: str, settings: dict, chain: List[Cell],
               threads: int) -> Dict[Cell, Dict]:
    """One chain in a worker process (``--jobs``)."""
    import torch
    torch.set_num_threads(threads)
    return run_grid(chain, work_dir, CellComputer(work_dir, settings))


def run_parallel(cells: Sequence[Cell], work_dir: str, settings: dict,
                 jobs: int) -> Tuple[Dict[Cell, Dict], List[Tuple]]:
    """:func:`run_grid` over ``jobs`` processes (spawned, so each may use
    CUDA), one :func:`chains` chain per task; a progress line per finished
    chain with the ETA. Cells already on disk are read, not recomputed; the
    datasets are rendered first, once. A chain that fails is reported and
    the others go on (its finished cells are kept; a rerun redoes the
    rest). Returns the results and the failed chains' (preset, seed,
    variant)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    computer = CellComputer(work_dir, settings)
    for preset, seed in sorted({c[:2] for c in cells}):
        computer.data_root(preset, seed)
    todo = chains(cells)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    results: Dict[Cell, Dict] = {}
    failed = []
    on_disk = set(finished_cells(work_dir))
    t0 = time.time()
    # the pool starts the chains in submission order, the next one when a
    # process becomes free: a chain's start is the time that happened
    started = {k: t0 for k in range(min(jobs, len(todo)))}
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context('spawn'),
                             initializer=exit_with_parent,
                             initargs=(os.getpid(), )) as ex:
        futures = {
            ex.submit(_run_chain, work_dir, settings, chain, threads): k
            for k, chain in enumerate(todo)
        }
        pending = set(futures.values())
        for k, fut in enumerate(as_completed(futures)):
            now = time.time()
            pending.discard(futures[fut])
            if len(started) < len(todo):
                started[len(started)] = now
            chain = todo[futures[fut]]
            try:
                results.update(fut.result())
            except Exception as e:  # reported; the other chains go on
                failed.append(chain[0][:3])
                ablation_log(f'chain {" ".join(map(str, chain[0][:3]))} '
                             f'failed: {type(e).__name__}: {e}')
            left = pending_chains_eta(todo, pending, started, on_disk,
                                      finished_cells(work_dir), now, jobs)
            eta = '' if left is None else f', ETA {left / 60:.0f} min'
            ablation_log(f'{k + 1}/{len(todo)} chains done in '
                         f'{(time.time() - t0) / 60:.1f} min{eta}')
    return results, failed
