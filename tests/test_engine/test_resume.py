"""Resume of an interrupted mmengine run on torch >= 2.6 (weights_only)."""
import glob
import os.path as osp

import torch
from helpers import tiny_train_cfg
from mmengine.runner import Runner

CONFIG = 'configs/cam/cam_r50-d16_1xb8-8e_voc12aug-448x448.py'


def momentum_buffers(optim_state):
    return {k: v['momentum_buffer'] for k, v in optim_state['state'].items()}


def test_train_stop_resume(synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(CONFIG, synthetic_voc, work, max_iters=2)
    cfg.optim_wrapper.optimizer.momentum = 0.9  # so there is state to carry
    runner = Runner.from_cfg(cfg)
    runner.train()  # "interrupted" after 2 of 4 iterations
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)

    # plain torch.load, weights_only=True (torch's default since 2.6)
    saved = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert saved['meta']['iter'] == 2
    saved_buffers = momentum_buffers(saved['optimizer'])
    assert saved_buffers

    cfg = tiny_train_cfg(CONFIG, synthetic_voc, work, max_iters=4)
    cfg.optim_wrapper.optimizer.momentum = 0.9
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    # the loop restarted at 2 and finished at 4
    assert runner.iter == 4
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    assert len(glob.glob(osp.join(work, 'iter_*.pth'))) == 4


def test_resumed_state_equals_saved(synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(CONFIG, synthetic_voc, work, max_iters=2)
    cfg.optim_wrapper.optimizer.momentum = 0.9
    Runner.from_cfg(cfg).train()
    saved = torch.load(
        osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)

    cfg = tiny_train_cfg(CONFIG, synthetic_voc, work, max_iters=4)
    cfg.optim_wrapper.optimizer.momentum = 0.9
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    # resume without training further: the state must be the saved one
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.load_or_resume()
    assert runner.iter == 2
    state = runner.optim_wrapper.optimizer.state_dict()
    for k, buf in momentum_buffers(saved['optimizer']).items():
        torch.testing.assert_close(state['state'][k]['momentum_buffer'], buf)
    for name, param in runner.model.state_dict().items():
        torch.testing.assert_close(param, saved['state_dict'][name])
    hub = runner.message_hub
    assert hub.get_scalar('train/loss').data[0].size > 0


class _Evil:
    """Pickles as getattr(HistoryBuffer, '__init__')."""

    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_stand_in_refuses_other_attributes(tmp_path):
    import pickle
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': _Evil()}, path)
    try:
        torch.load(path, weights_only=True)
    except pickle.UnpicklingError as e:
        assert 'only HistoryBuffer statistics' in str(e)
    else:
        raise AssertionError('weights_only load accepted getattr(__init__)')
