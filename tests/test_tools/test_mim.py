"""OpenMMLab's `mim train mmseg` / `mim test mmseg` run our configs through
MMSegmentation's own scripts (the configs import hfpl_mm themselves)."""
import os
import os.path as osp
import subprocess
import sys

from helpers import REPO, tiny_train_cfg

TWIN = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def mim(*args, env=None):
    exe = osp.join(osp.dirname(sys.executable), 'mim')
    out = subprocess.run([exe, *args], cwd=REPO, capture_output=True,
                         text=True, timeout=900,
                         env=dict(os.environ, OMP_NUM_THREADS='2',
                                  **(env or {})))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def test_mim_train_and_test_mmseg(synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(TWIN, synthetic_voc, work, max_iters=2)
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    log = mim('train', 'mmseg', path, '--gpus', '0', '--work-dir', work)
    # mmseg's own train script ran (mim resolves it from the package)
    assert 'mmseg' in log and 'Iter(train) [2/2]' in log
    assert 'decode.loss_isl' in log and 'decode.loss_fsl' in log
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    log = mim('test', 'mmseg', path, '--checkpoint', ckpt, '--gpus', '0',
              '--work-dir', str(tmp_path / 'test'))
    assert 'best_mIoU' in log and 'contour/F' in log


def test_mim_train_with_a_custom_imports_of_its_own(synthetic_voc, tmp_path):
    """A user's config that sets custom_imports to its own module (which
    replaces hfpl-mm's list) trains through mmseg's own script."""
    from test_train_tool import user_config
    work = str(tmp_path / 'work')
    path = user_config(tmp_path, synthetic_voc, work)
    log = mim('train', 'mmseg', path, '--gpus', '0', '--work-dir', work,
              '--cfg-options', 'train_cfg.max_iters=1',
              'train_cfg.val_interval=1', 'param_scheduler.0.end=1',
              'default_hooks.logger.interval=1',
              env=dict(PYTHONPATH=str(tmp_path)))
    assert 'Iter(train) [1/1]' in log and 'decode.loss_fsl' in log
