"""A checkpoint save never loses the last checkpoint: a kill during the
save of iter_4 (with max_keep_ckpts=1) or a full disk leave iter_3 whole,
and --resume falls back to the newest intact checkpoint, saying so. The
kill is injected at the write (the storage backend's ``put``), in a real
tools/train.py process."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from helpers import REPO, SYNTH_CAM, tiny_train_cfg

from hfpl_mm.utils.resume import (checkpoint_candidates,
                                  find_resume_checkpoint,
                                  is_intact_checkpoint)

# runs tools/train.py with LocalBackend.put replaced: on the save of
# iter_4 it writes half of the bytes, then dies (a kill) or raises ENOSPC
INJECT = '''
import errno, os, runpy, sys
from mmengine.fileio.backends import LocalBackend
put = LocalBackend.put
def failing_put(self, obj, filepath):
    if 'iter_4' in str(filepath) and str(filepath).endswith(
            ('.pth',) + tuple('0123456789')):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        if os.environ['HFPL_TEST_FAULT'] == 'kill':
            os._exit(137)
        raise OSError(errno.ENOSPC, 'No space left on device', filepath)
    return put(self, obj, filepath)
LocalBackend.put = failing_put
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path('tools/train.py', run_name='__main__')
'''


def config(synthetic_voc, tmp_path, max_iters):
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, work, max_iters=max_iters)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    path = str(tmp_path / f'cfg_{max_iters}.py')
    cfg.dump(path)
    return path, work


def train(path, *args, fault=None):
    script = None
    if fault:
        script = osp.join(osp.dirname(path), 'inject.py')
        with open(script, 'w') as f:
            f.write(INJECT)
    cmd = [sys.executable, script or 'tools/train.py', path, *args]
    env = dict(os.environ, HFPL_TEST_FAULT=fault or '')
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize('fault', ['kill', 'full_disk'])
def test_interrupted_save_keeps_the_last_checkpoint(synthetic_voc, tmp_path,
                                                    fault):
    path, work = config(synthetic_voc, tmp_path, max_iters=5)
    out = train(path, fault=fault)
    assert out.returncode != 0
    if fault == 'full_disk':
        assert 'No space left on device' in out.stderr
    # iter_3 is whole and named by last_checkpoint; no iter_4 under its
    # real name (the partial write went to a hidden temporary name)
    assert not osp.exists(osp.join(work, 'iter_4.pth'))
    assert checkpoint_candidates(work) == [osp.join(work, 'iter_3.pth')]
    assert is_intact_checkpoint(osp.join(work, 'iter_3.pth'))
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work, 'iter_3.pth')
    # the resumed run continues from iter_3 and finishes
    out = train(path, '--resume')
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'resumed' in (out.stdout + out.stderr).lower()
    assert osp.isfile(osp.join(work, 'iter_5.pth'))
    assert [osp.basename(p) for p in checkpoint_candidates(work)] == [
        'iter_5.pth'
    ]
    # the partial temporary file was cleared when training started again
    assert not [n for n in os.listdir(work) if '.tmp-' in n]


def test_resume_falls_back_from_a_truncated_checkpoint(synthetic_voc,
                                                       tmp_path, capsys):
    from mmengine.runner import Runner
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, work, max_iters=3)
    Runner.from_cfg(cfg).train()
    last = osp.join(work, 'iter_3.pth')
    # what the previous mmengine hook could leave: a truncated file under
    # the name last_checkpoint gives
    with open(last, 'rb') as f:
        data = f.read()
    with open(last, 'wb') as f:
        f.write(data[:len(data) // 3])
    assert not is_intact_checkpoint(last)
    assert find_resume_checkpoint(work) == osp.join(work, 'iter_2.pth')
    text = capsys.readouterr()
    assert 'resuming from' in text.out + text.err
    os.remove(osp.join(work, 'last_checkpoint'))
    assert find_resume_checkpoint(work) == osp.join(work, 'iter_2.pth')
    for p in checkpoint_candidates(work):
        os.remove(p)
    assert find_resume_checkpoint(work) is None
