# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Label folders owned by one tool and one run: the manifest
(:data:`MANIFEST`) that records the tool and a signature of everything the
outputs depend on, and the rules for writing into a folder
(:func:`claim_out_dir`)."""
import hashlib
import json
import os
import os.path as osp
from typing import Optional

from mmengine.logging import print_log

from .atomic import atomic_write, remove_stale_tmp

MANIFEST = 'pseudo_labels.json'
OUTPUT_SUFFIXES = ('.png', '.npz')
#: The lock a writer holds on its output folder (:func:`folder_lock`).
LOCK = '.hfpl.lock'


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


def read_manifest(path: str) -> Optional[dict]:
    """The JSON object at ``path`` (a folder's or a stage's manifest), or
    None when it is not a readable one (missing, empty, truncated)."""
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
        old = read_manifest(path)
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
    write_manifest(path, dict(tool=tool, signature=sig, settings=settings))


def write_manifest(path: str, data: dict) -> None:
    """Write a manifest as indented JSON through a temporary file renamed
    into place (values JSON cannot hold are written as their ``str``)."""
    with atomic_write(path) as tmp, open(tmp, 'w') as f:
        json.dump(data, f, indent=2, default=str)
