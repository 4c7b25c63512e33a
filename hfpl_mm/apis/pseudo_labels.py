# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Stage 2: pseudo-label masks from a trained CAM model."""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import all_reduce, barrier, get_dist_info, is_main_process
from mmengine.utils import ProgressBar
from PIL import Image

from ..models.segmentors.cam_segmentor import cams_to_scores
from ..utils.crf import dense_crf
from ..utils.labels import stack_cls_labels

MANIFEST = 'pseudo_labels.json'


def palette_bytes(palette: Sequence[Sequence[int]]) -> list:
    flat = [int(v) for rgb in palette for v in rgb]
    return flat + [224, 224, 192] * (256 - len(palette))


def save_png_atomic(label: np.ndarray, path: str, palette: list) -> None:
    """Write a palette PNG through a temporary file renamed into place."""
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(palette)
    tmp = f'{path}.tmp-{os.getpid()}.png'
    img.save(tmp)
    os.replace(tmp, path)


def save_npz_atomic(path: str, **arrays) -> None:
    tmp = f'{path}.tmp-{os.getpid()}.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def run_signature(settings: dict) -> str:
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def claim_out_dir(out_dir: str, settings: dict, overwrite: bool) -> None:
    """Create ``out_dir`` and its manifest; refuse a folder that holds
    another run's output unless ``overwrite``."""
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, MANIFEST)
    sig = run_signature(settings)
    if osp.exists(path):
        with open(path) as f:
            old = json.load(f)
        if old.get('signature') != sig and not overwrite:
            raise FileExistsError(
                f'{out_dir} holds pseudo-labels of another run '
                f'({old.get("settings", {}).get("checkpoint")}, signature '
                f'{old.get("signature")}); pass --overwrite to replace them '
                'or choose another --out-dir')
    elif os.listdir(out_dir) and not overwrite:
        raise FileExistsError(f'{out_dir} is not empty and has no {MANIFEST};'
                              ' pass --overwrite or choose another --out-dir')
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(dict(signature=sig, settings=settings), f, indent=2,
                  default=str)
    os.replace(tmp, path)


@torch.no_grad()
def generate_pseudo_labels(model: torch.nn.Module,
                           dataloader,
                           out_dir: str,
                           bg_mode: str = 'threshold',
                           bg_threshold: float = 0.15,
                           bg_power: float = 16.0,
                           save_cams: bool = False,
                           resume: bool = False,
                           crf: Optional[dict] = None,
                           settings: Optional[dict] = None,
                           overwrite: bool = False,
                           progress: bool = True) -> Dict[str, int]:
    """Write one VOC-palette PNG per image (``<image stem>.png``).

    The model's ``test_cfg`` (scales, flip) drives multi-scale inference;
    CAMs are restricted to the image-level labels; the background comes
    from ``bg_mode``. With ``save_cams`` the normalised foreground scores of
    the present classes go to ``<stem>.npz`` (arrays ``keys``, ``cams``). Each
    rank handles its shard of the dataloader (mmengine's sampler); counts
    are summed over ranks.

    Returns:
        dict: ``written``, ``skipped`` (existing, with ``resume``) and
        ``failed`` counts.
    """
    rank, world = get_dist_info()
    if is_main_process():
        claim_out_dir(out_dir, dict(settings or {}), overwrite)
    barrier()
    meta = dataloader.dataset.metainfo
    palette = palette_bytes(meta['palette'])
    model.eval()
    counts = dict(written=0, skipped=0, failed=0)
    bar = ProgressBar(len(dataloader)) if progress and rank == 0 else None
    for data in dataloader:
        samples = data['data_samples']
        stems = [
            osp.splitext(osp.basename(s.metainfo['img_path']))[0]
            for s in samples
        ]
        paths = [osp.join(out_dir, s + '.png') for s in stems]
        if resume and all(osp.exists(p) for p in paths):
            counts['skipped'] += len(paths)
        else:
            try:
                batch = model.data_preprocessor(data, False)
                cams = model.multiscale_cams(batch['inputs'])
                labels = stack_cls_labels(batch['data_samples'], cams.device)
                scores = cams_to_scores(cams, labels, bg_mode, bg_threshold,
                                        bg_power)
                results = model.postprocess_result(scores,
                                                   batch['data_samples'])
                for res, path, sample in zip(results, paths, samples):
                    prob = res.seg_logits.data
                    label = prob.argmax(0).cpu().numpy()
                    if crf is not None:
                        label = dense_crf(sample.metainfo['img_path'],
                                          prob.cpu().numpy(), **crf)
                    save_png_atomic(label, path, palette)
                    if save_cams:
                        keys = torch.nonzero(
                            torch.as_tensor(sample.gt_cls_label))[:, 0]
                        fg = prob[1:][keys.to(prob.device)].cpu().numpy()
                        save_npz_atomic(
                            path[:-4] + '.npz',
                            keys=keys.numpy(),
                            cams=fg.astype(np.float16))
                    counts['written'] += 1
            except (OSError, ValueError, RuntimeError) as e:
                counts['failed'] += len(paths)
                print(f'\nfailed on {", ".join(paths)}: {e}', flush=True)
        if bar is not None:
            bar.update()
    if world > 1:
        t = torch.tensor([counts[k] for k in ('written', 'skipped', 'failed')])
        all_reduce(t)
        counts = dict(zip(('written', 'skipped', 'failed'), t.tolist()))
    return counts
