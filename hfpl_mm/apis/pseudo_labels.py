# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Stage 2: pseudo-label masks from a trained CAM model."""
import hashlib
import json
import os
import os.path as osp
from contextlib import ExitStack
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import all_reduce, barrier, get_dist_info, is_main_process
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from PIL import Image

from ..utils.atomic import atomic_write, folder_lock, remove_stale_tmp
from ..utils.crf import dense_crf

MANIFEST = 'pseudo_labels.json'
OUTPUT_SUFFIXES = ('.png', '.npz')
#: The lock a writer holds on its output folder (:class:`FolderLock`).
LOCK = '.hfpl.lock'


def palette_bytes(palette: Sequence[Sequence[int]]) -> list:
    flat = [int(v) for rgb in palette for v in rgb]
    return flat + [224, 224, 192] * (256 - len(palette))


def save_png_atomic(label: np.ndarray, path: str, palette: list) -> None:
    """Write a palette PNG through a hidden temporary file renamed into
    place (:func:`atomic_write`).

    Args:
        label (np.ndarray): Label map (H, W), values 0..255.
        path (str): The PNG to write.
        palette (list): Flat 768-value palette (:func:`palette_bytes`).
    """
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(palette)
    with atomic_write(path) as tmp:
        img.save(tmp, format='PNG')


def save_npz_atomic(path: str, **arrays) -> None:
    """Write a compressed ``.npz`` through a hidden temporary file."""
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        np.savez_compressed(f, **arrays)


def run_signature(settings: dict) -> str:
    """A short hash of a run's settings (JSON, sorted keys)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_digest(path: str, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's content (a retrained checkpoint at the same path
    gets a new digest)."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def _differences(old: dict, new: dict) -> str:
    keys = sorted(set(old) | set(new), key=str)
    diff = [
        f'{k}: {old.get(k)!r} -> {new.get(k)!r}' for k in keys
        if json.dumps(old.get(k), default=str) != json.dumps(
            new.get(k), default=str)
    ]
    return '; '.join(diff[:6]) or 'none recorded'


def _read_manifest(path: str) -> Optional[dict]:
    """The manifest at ``path``, or None when it is not a readable one."""
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def claim_out_dir(out_dir: str,
                  settings: dict,
                  overwrite: bool,
                  tool: str = 'make_pseudo_labels') -> None:
    """Create ``out_dir`` and its manifest (:data:`MANIFEST`): the folder
    belongs to one tool and one run of it.

    Temporary files a killed run left are removed. A folder another tool
    owns (e.g. stage 2's labels as the random walk's ``--out-dir``) is
    refused, whatever ``overwrite``. A folder holding another run's output
    of the same tool (a manifest with other settings) is refused unless
    ``overwrite``, which removes that run's ``.png`` / ``.npz`` files first;
    so is a folder whose manifest cannot be read (empty, truncated), which
    ``overwrite`` recovers. A non-empty folder without a manifest is never
    written into.

    Args:
        out_dir (str): The output folder.
        settings (dict): Everything the outputs depend on.
        overwrite (bool): Replace another run's output.
        tool (str): The writing tool, recorded in the manifest.
            Defaults to 'make_pseudo_labels'.
    """
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_tmp(out_dir)
    path = osp.join(out_dir, MANIFEST)
    sig = run_signature(settings)
    if osp.exists(path):
        old = _read_manifest(path)
        if old is not None and old.get('tool', 'make_pseudo_labels') != tool:
            raise FileExistsError(
                f'{out_dir} belongs to {old.get("tool", "make_pseudo_labels")}'
                f' (its {MANIFEST}), not to {tool}: its files would be mixed '
                'with the other tool\'s; choose another --out-dir')
        if old is None or old.get('signature') != sig:
            if not overwrite:
                what = (f'{path} is not a readable manifest (empty or '
                        'truncated)' if old is None else
                        f'{out_dir} holds pseudo-labels of another run '
                        f'(signature {old.get("signature")}; differences: '
                        f'{_differences(old.get("settings", {}), settings)})')
                raise FileExistsError(
                    f'{what}; pass --overwrite to replace them or choose '
                    'another --out-dir')
            old_files = [
                n for n in os.listdir(out_dir) if n.endswith(OUTPUT_SUFFIXES)
            ]
            for name in old_files:
                os.remove(osp.join(out_dir, name))
            print_log(
                f'--overwrite: removed {len(old_files)} files of the previous '
                f'run in {out_dir}',
                logger='current')
    elif [n for n in os.listdir(out_dir) if not n.startswith('.')]:
        raise FileExistsError(
            f'{out_dir} is not empty and has no {MANIFEST}, so it is not a '
            'label folder of hfpl-mm; choose an empty or new --out-dir')
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        json.dump(dict(tool=tool, signature=sig, settings=settings), f,
                  indent=2, default=str)


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
    bar = ProgressBar(len(dataloader)) if progress and rank == 0 else None
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
        if bar is not None:
            bar.update()
    if changed:
        print_log(f'--resume: {changed} images changed (image or labels '
                  'newer than their outputs) since their outputs were '
                  'written: written again', logger='current')
    if world > 1:
        t = torch.tensor([counts[k] for k in ('written', 'skipped', 'failed')])
        all_reduce(t)
        counts = dict(zip(('written', 'skipped', 'failed'), t.tolist()))
    return counts
