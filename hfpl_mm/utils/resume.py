# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The checkpoint ``--resume`` continues from: the one ``last_checkpoint``
names when it is intact, else the newest intact one in the work dir."""
import glob
import os.path as osp
import re
import zipfile
from typing import List, Optional

from mmengine.logging import print_log

from .atomic import is_tmp_name


def is_intact_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole torch checkpoint: a zip archive whose
    every member passes its CRC check (a truncated or half-written file
    does not). Nothing is unpickled."""
    if not osp.isfile(path) or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _step(path: str) -> int:
    m = re.search(r'(\d+)\.pth$', osp.basename(path))
    return int(m.group(1)) if m else -1


def checkpoint_candidates(work_dir: str) -> List[str]:
    """The ``*.pth`` of ``work_dir`` (temporary files excluded), newest
    first: by the step in the name (``iter_N`` / ``epoch_N``), then by
    modification time."""
    paths = [
        p for p in glob.glob(osp.join(work_dir, '*.pth'))
        if not is_tmp_name(osp.basename(p))
    ]
    return sorted(paths, key=lambda p: (_step(p), osp.getmtime(p)),
                  reverse=True)


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint a resumed run should load.

    ``last_checkpoint`` (mmengine's record of the last save) when the file
    it names is intact; otherwise the newest intact checkpoint of the work
    dir, with a message saying which was skipped and why. None when there is
    none (training starts from scratch, as mmengine does).

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str, optional: The checkpoint path.
    """
    named = None
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip() or None
    if named and is_intact_checkpoint(named):
        return named
    for path in checkpoint_candidates(work_dir):
        if is_intact_checkpoint(path):
            why = (f'{record} names {named}, which is missing or not a '
                   'whole checkpoint' if named else f'{record} is missing')
            print_log(f'--resume: {why}; resuming from {path}, the newest '
                      'intact checkpoint', logger='current')
            return path
        print_log(f'--resume: skipping {path}: not a whole checkpoint '
                  '(truncated or half-written)', logger='current')
    if named:
        print_log(f'--resume: {named} (named by {record}) is missing or not '
                  'a whole checkpoint and no other is intact; training '
                  'starts from scratch', logger='current')
    return None
