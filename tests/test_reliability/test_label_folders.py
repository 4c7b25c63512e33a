"""Every tool that writes a label folder owns it: its manifest names the
tool and the run, a folder of another tool is refused, a corrupt manifest is
named and --overwrite recovers it, and one writer at a time holds the
folder's lock."""
import json
import multiprocessing as mp
import os
import os.path as osp

import pytest

from hfpl_mm.utils.label_folder import LOCK, MANIFEST, claim_out_dir
from hfpl_mm.utils.atomic import folder_lock


def test_a_folder_of_another_tool_is_refused_even_with_overwrite(tmp_path):
    out = str(tmp_path / 'labels')
    claim_out_dir(out, dict(a=1), False, tool='make_pseudo_labels')
    open(osp.join(out, 'x.png'), 'wb').close()
    for overwrite in (False, True):
        with pytest.raises(FileExistsError,
                           match='belongs to make_pseudo_labels.*not to '
                           'refine_random_walk'):
            claim_out_dir(out, dict(a=1), overwrite,
                          tool='refine_random_walk')
    assert osp.exists(osp.join(out, 'x.png'))  # nothing removed


@pytest.mark.parametrize('content', ['', '{"signature": "ab', '[1, 2]'])
def test_a_corrupt_manifest_is_named_and_overwrite_recovers(tmp_path,
                                                            content):
    out = str(tmp_path / 'labels')
    os.makedirs(out)
    with open(osp.join(out, MANIFEST), 'w') as f:
        f.write(content)
    open(osp.join(out, 'old.png'), 'wb').close()
    with pytest.raises(FileExistsError,
                       match=f'{MANIFEST} is not a readable manifest.*'
                       '--overwrite'):
        claim_out_dir(out, dict(a=1), False)
    claim_out_dir(out, dict(a=1), True)
    assert not osp.exists(osp.join(out, 'old.png'))
    with open(osp.join(out, MANIFEST)) as f:
        manifest = json.load(f)
    assert manifest['tool'] == 'make_pseudo_labels'
    assert manifest['settings'] == dict(a=1)


def _hold(folder, ready, release):
    with folder_lock(folder, LOCK):
        ready.set()
        release.wait(30)


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    folder = str(tmp_path / 'labels')
    ctx = mp.get_context('fork')
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(folder, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(FileExistsError,
                           match=f'being written by process {holder.pid}'):
            with folder_lock(folder, LOCK):
                pass
    finally:
        release.set()
        holder.join(30)
    # released: the next writer takes it, and removes it when done
    with folder_lock(folder, LOCK) as path:
        assert open(path).read() == str(os.getpid())
    assert not osp.exists(path)


def test_a_killed_writers_lock_is_taken_over(tmp_path):
    folder = str(tmp_path / 'labels')
    os.makedirs(folder)
    proc = mp.get_context('fork').Process(target=os._exit, args=(0, ))
    proc.start()
    proc.join()
    with open(osp.join(folder, LOCK), 'w') as f:
        f.write(str(proc.pid))  # a process that no longer exists
    with folder_lock(folder, LOCK):
        pass
