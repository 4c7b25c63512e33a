# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Atomic file writes: write to a hidden temporary file in the target's
folder, then rename it into place, so a killed process never leaves a
partial output under the real name. Temporary names start with a dot and
end in ``.tmp-<pid>``: no reader's ``*.png`` / ``*.npz`` pattern matches
them, and :func:`remove_stale_tmp` clears those a kill left behind."""
import os
import os.path as osp
from contextlib import contextmanager
from typing import Iterator

TMP_MARK = '.tmp-'


def tmp_path_for(path: str) -> str:
    """The hidden temporary name of ``path``: ``<dir>/.<name>.tmp-<pid>``."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}{TMP_MARK}{os.getpid()}')


def is_tmp_name(name: str) -> bool:
    """Whether a file name is one of :func:`tmp_path_for`'s."""
    return name.startswith('.') and TMP_MARK in name


@contextmanager
def atomic_write(path: str) -> Iterator[str]:
    """Yield a temporary path to write; on success rename it to ``path``,
    on any error remove it and re-raise.

    Example:
        >>> with atomic_write('out.png') as tmp:
        ...     image.save(tmp, format='PNG')
    """
    tmp = tmp_path_for(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def remove_stale_tmp(folder: str) -> int:
    """Remove the temporary files a killed writer left in ``folder``;
    return how many."""
    if not osp.isdir(folder):
        return 0
    stale = [n for n in os.listdir(folder) if is_tmp_name(n)]
    for n in stale:
        os.remove(osp.join(folder, n))
    return len(stale)
