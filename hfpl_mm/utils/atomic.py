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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def folder_lock(folder: str, lock_name: str = '.hfpl.lock') -> Iterator[str]:
    """Hold ``folder``'s lock while writing it: a second writer is refused,
    naming the holder's pid; a lock whose process is gone (a killed run) is
    taken over.

    The lock is a file created with ``O_EXCL`` holding the pid, so it works
    between processes of one machine (the pid is checked with
    ``os.kill(pid, 0)``).

    Args:
        folder (str): The folder (created).
        lock_name (str): Defaults to '.hfpl.lock'.

    Yields:
        str: The lock file's path.

    Raises:
        FileExistsError: Another live process holds the lock.
    """
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, lock_name)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                with open(path) as f:
                    holder = int(f.read().strip() or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and holder != os.getpid() and _alive(holder):
                raise FileExistsError(
                    f'{folder} is being written by process {holder} (lock '
                    f'{path}); wait for it to finish or stop it') from None
            try:  # a killed writer's lock
                os.remove(path)
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, 'w') as f:
            f.write(str(os.getpid()))
        break
    else:
        raise FileExistsError(f'could not take the lock {path}')
    try:
        yield path
    finally:
        try:
            with open(path) as f:
                mine = f.read().strip() == str(os.getpid())
            if mine:
                os.remove(path)
        except OSError:
            pass
