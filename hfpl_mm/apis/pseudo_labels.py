# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Stage 2: pseudo-label masks from a trained CAM model."""
import os
import os.path as osp
from contextlib import ExitStack
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import all_reduce, barrier, get_dist_info, is_main_process
from mmengine.logging import print_log

from ..utils.atomic import folder_lock
from ..utils.crf import dense_crf
from ..utils.label_folder import LOCK, claim_out_dir, file_digest
from ..utils.label_io import palette_bytes, save_npz_atomic, save_png_atomic
from ..utils.progress import ProgressLine


def run_settings(model: torch.nn.Module, dataloader, save_cams: bool,
                 settings: Optional[dict]) -> dict:
    """The caller's ``settings`` completed with what the outputs depend on:
    the data (root, split file), the model's inference settings
    (``test_cfg``), ``save_cams`` and the checkpoint's content digest.

    Args:
        model (nn.Module): The CAM model (its ``test_cfg``).
        dataloader (DataLoader): The inference dataloader (its dataset's
            ``data_root`` and ``ann_file``).
        save_cams (bool): Whether CAM archives are written too.
        settings (dict, optional): The caller's settings (config,
            checkpoint path, ...).

    Returns:
        dict: The settings recorded in the output folder's manifest.
    """
    out = dict(settings or {})
    ds = dataloader.dataset
    out.update(
        data_root=osp.abspath(ds.data_root) if ds.data_root else None,
        ann_file=osp.abspath(ds.ann_file) if ds.ann_file else None,
        test_cfg={k: v for k, v in sorted(model.test_cfg.items())},
        save_cams=save_cams)
    ckpt = out.get('checkpoint')
    if ckpt and osp.isfile(ckpt):
        out['checkpoint_sha256'] = file_digest(ckpt)
    return out


@torch.no_grad()
def generate_pseudo_labels(model: torch.nn.Module,
                           dataloader,
                           out_dir: str,
                           save_cams: bool = False,
                           resume: bool = False,
                           crf: Optional[dict] = None,
                           settings: Optional[dict] = None,
                           overwrite: bool = False,
                           progress: bool = True) -> Dict[str, int]:
    """Write one VOC-palette PNG per image (``<image stem>.png``).

    Scores come from the model's own ``test_step`` / ``predict``, so its
    ``test_cfg`` is the one source of the inference settings: ``scales``
    and ``flip`` drive multi-scale inference, ``bg_mode``, ``bg_threshold``
    and ``bg_power`` the background score, ``use_gt_labels`` (default True)
    restricts the CAMs to the image-level labels. With ``save_cams`` the
    normalised foreground scores of the present classes go to
    ``<stem>.npz`` (arrays ``keys``, ``cams``, in ``test_cfg.cam_dtype``:
    float32 as the reference, or float16). Each rank handles its shard of
    the dataloader (mmengine's sampler); counts are summed over ranks.

    Every file is written atomically (:func:`atomic_write`). The settings,
    completed by :func:`run_settings` (data root, split, ``test_cfg``,
    checkpoint digest), are recorded in ``pseudo_labels.json``; a folder of
    another run is refused unless ``overwrite`` (:func:`claim_out_dir`).
    With ``resume`` an image counts as done only when every file it owes
    exists (the PNG, and the ``.npz`` with ``save_cams``). An image that
    cannot be read (see :class:`LoadCheckedImageFromFile` with
    ``on_error='mark'``) or processed is reported with its path, counted as
    failed, and the run goes on.

    Args:
        model (nn.Module): A :class:`CAMSegmentor` in eval mode.
        dataloader (DataLoader): Images with ``gt_cls_label``.
        out_dir (str): Output folder.
        save_cams (bool): Also write the CAM archives. Defaults to False.
        resume (bool): Skip images whose outputs all exist.
            Defaults to False.
        crf (dict, optional): Keyword arguments of :func:`dense_crf`; None
            for no CRF. Defaults to None.
        settings (dict, optional): Caller settings for the manifest (e.g.
            ``config``, ``checkpoint``, ``cfg_options``, ``crf``).
        overwrite (bool): Replace another run's output. Defaults to False.
        progress (bool): Show a progress bar on rank 0. Defaults to True.

    Returns:
        dict: ``written``, ``skipped`` (existing, with ``resume``) and
        ``failed`` counts.
    """
    rank, world = get_dist_info()
    with ExitStack() as stack:
        if is_main_process():
            # one writer at a time: a second run on the folder is refused
            stack.enter_context(folder_lock(out_dir, LOCK))
            claim_out_dir(out_dir,
                          run_settings(model, dataloader, save_cams, settings),
                          overwrite)
        barrier()
        return _write_labels(model, dataloader, out_dir, save_cams, resume,
                             crf, progress, rank, world)


def label_sources(dataset) -> dict:
    """Where the dataset reads image-level labels from, for
    :func:`changed_since`: ``files``, dataset-wide label files (a
    ``cls_labels.npy``), and ``xml_dir``, the folder of per-image XML (VOC
    layout), each resolved as the dataset resolves them."""
    root = getattr(dataset, 'data_root', None) or ''
    out = dict(files=[], xml_dir=None)
    path = getattr(dataset, 'cls_label_file', None)
    if path:
        out['files'].append(path if osp.isabs(path) else osp.join(root, path))
    elif getattr(dataset, 'xml_dir', None):
        out['xml_dir'] = osp.join(root, dataset.xml_dir)
    return out


def changed_since(sample, outputs: Sequence[str], sources: dict) -> bool:
    """Whether an image's inputs changed after its outputs were written:
    the image, its annotation XML or a dataset-wide label file modified
    later than the oldest of its outputs (``--resume`` then writes it again;
    a copy that keeps old modification times is not seen)."""
    img_path = sample.metainfo['img_path']
    inputs = [img_path, *sources['files']]
    if sources['xml_dir']:
        stem = osp.splitext(osp.basename(img_path))[0]
        inputs.append(osp.join(sources['xml_dir'], stem + '.xml'))
    newest = max((os.stat(p).st_mtime_ns for p in inputs if osp.isfile(p)),
                 default=0)
    return newest > min(os.stat(p).st_mtime_ns for p in outputs)


def _write_labels(model, dataloader, out_dir: str, save_cams: bool,
                  resume: bool, crf: Optional[dict], progress: bool,
                  rank: int, world: int) -> Dict[str, int]:
    """The body of :func:`generate_pseudo_labels` (under its lock)."""
    label_files = label_sources(dataloader.dataset)
    changed = 0
    meta = dataloader.dataset.metainfo
    palette = palette_bytes(meta['palette'])
    cam_dtype = np.dtype(model.test_cfg.get('cam_dtype', 'float32'))
    model.eval()
    counts = dict(written=0, skipped=0, failed=0)
    bar = ProgressLine(len(dataloader), progress and rank == 0)
    for data in dataloader:
        samples = data['data_samples']
        stems = [
            osp.splitext(osp.basename(s.metainfo['img_path']))[0]
            for s in samples
        ]
        owed = [[osp.join(out_dir, s + ext)
                 for ext in (('.png', '.npz') if save_cams else ('.png', ))]
                for s in stems]
        errors = [s.metainfo['load_error'] for s in samples
                  if 'load_error' in s.metainfo]
        # with --resume a batch is done when it owes nothing and no input
        # changed since its outputs were written
        done = resume and not errors and all(
            osp.exists(p) for files in owed for p in files)
        stale = done and any(
            changed_since(sample, files, label_files)
            for sample, files in zip(samples, owed))
        if errors:  # the whole batch (of 1 in the tools) fails
            counts['failed'] += len(stems)
            print('\nfailed: ' + '; '.join(errors), flush=True)
        elif done and not stale:
            counts['skipped'] += len(stems)
        else:
            if stale:
                changed += len(stems)
            try:
                # the model's own inference path (test_cfg: scales, flip,
                # background rule, restriction to the image labels)
                results = model.test_step(data)
                for res, files, sample in zip(results, owed, samples):
                    prob = res.seg_logits.data
                    label = prob.argmax(0).cpu().numpy()
                    if crf is not None:
                        label = dense_crf(sample.metainfo['img_path'],
                                          prob.cpu().numpy(), **crf)
                    if save_cams:
                        keys = torch.nonzero(
                            torch.as_tensor(sample.gt_cls_label))[:, 0]
                        fg = prob[1:][keys.to(prob.device)].cpu().numpy()
                        save_npz_atomic(
                            files[1],
                            keys=keys.numpy(),
                            cams=fg.astype(cam_dtype))
                    save_png_atomic(label, files[0], palette)
                    counts['written'] += 1
            except (OSError, ValueError, RuntimeError) as e:
                counts['failed'] += len(stems)
                names = ', '.join(s.metainfo['img_path'] for s in samples)
                print(f'\nfailed on {names}: {e}', flush=True)
        bar.update()
    bar.close()
    if changed:
        print_log(f'--resume: {changed} images changed (image or labels '
                  'newer than their outputs) since their outputs were '
                  'written: written again', logger='current')
    if world > 1:
        t = torch.tensor([counts[k] for k in ('written', 'skipped', 'failed')])
        all_reduce(t)
        counts = dict(zip(('written', 'skipped', 'failed'), t.tolist()))
    return counts
