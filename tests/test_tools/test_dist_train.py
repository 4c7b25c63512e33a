"""tools/dist_train.sh (torchrun) with 2 CPU processes and gloo."""
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys

import pytest
import torch
from helpers import REPO, tiny_train_cfg


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(cfg, work):
    path = osp.join(work, 'cfg.py')
    cfg.dump(path)
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    out = subprocess.run(['bash', 'tools/dist_train.sh', path, '2'],
                         cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


@pytest.mark.parametrize('config', [
    'configs/cam/hfpl-cam_r50-d16_1xb8-8e_voc12aug-448x448.py',
    'configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-'
    '128x128.py',
])
def test_two_process_gloo(config, synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    os.makedirs(work)
    cfg = tiny_train_cfg(config, synthetic_voc, work, max_iters=2)
    if cfg.train_dataloader.dataset.type == 'PseudoLabelDataset':
        pseudo = str(tmp_path / 'pseudo')
        shutil.copytree(osp.join(synthetic_voc, 'SegmentationClass'), pseudo)
        cfg.train_dataloader.dataset.data_prefix.seg_map_path = pseudo
        cfg.train_dataloader.dataset.pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomCrop', crop_size=(64, 64)),
            dict(type='PackSegInputs')
        ]
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True)
    log = dist_train(cfg, work)
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'Distributed training: True' in log
    ckpt = osp.join(work, 'iter_2.pth')
    state = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 2
    # the checkpoint loads into a freshly built model
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu', strict=True)


def test_make_pseudo_labels_two_processes(synthetic_voc, tmp_path):
    from mmengine.runner import Runner
    config = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
    work = str(tmp_path / 'work')
    Runner.from_cfg(tiny_train_cfg(config, synthetic_voc, work,
                                   max_iters=1)).train()
    out_dir = str(tmp_path / 'pl')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(free_port()))
    out = subprocess.run(
        ['bash', 'tools/dist_make_pseudo_labels.sh', config,
         osp.join(work, 'iter_1.pth'), '2', '--split', 'val', '--data-root',
         synthetic_voc, '--out-dir', out_dir, '--scales', '1.0'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # both ranks report the summed counts of their two shards
    assert out.stdout.count('written 4, skipped 0, failed 0') == 2
    assert len([n for n in os.listdir(out_dir) if n.endswith('.png')]) == 4


def test_dist_test_two_processes(synthetic_voc, checkpoint, tmp_path):
    """tools/dist_test.sh: the sweep and contour F from two ranks equal the
    single-process numbers."""
    from helpers import SYNTH_CAM
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, str(tmp_path / 'w'))
    cfg.test_dataloader.dataset.ann_file = 'ImageSets/Segmentation/val.txt'
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(free_port()))
    outs = []
    for cmd in (['bash', 'tools/dist_test.sh', path, checkpoint, '2'],
                [sys.executable, 'tools/test.py', path, checkpoint]):
        out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        text = out.stdout + out.stderr
        line = [ln for ln in text.splitlines() if 'best_mIoU' in ln]
        assert line, text[-2000:]
        metrics = line[-1].split('best_mIoU')[1].split('data_time')[0]
        assert 'contour/F' in metrics
        outs.append(metrics)
    assert outs[0] == outs[1]


@pytest.mark.parametrize('script,positional,extra_from', [
    ('slurm_train.sh', ['CFG'], 'train.py CFG --launcher=slurm'),
    ('slurm_test.sh', ['CFG', 'CKPT'], 'test.py CFG CKPT --launcher=slurm'),
    ('slurm_make_pseudo_labels.sh', ['CFG', 'CKPT'],
     'make_pseudo_labels.py CFG CKPT --launcher=slurm'),
])
def test_slurm_scripts_call_srun_as_mmseg(script, positional, extra_from,
                                          tmp_path):
    """With a stand-in srun that records its arguments."""
    fake = tmp_path / 'bin'
    fake.mkdir()
    record = tmp_path / 'args.txt'
    (fake / 'srun').write_text(f'#!/bin/sh\necho "$@" > {record}\n')
    (fake / 'srun').chmod(0o755)
    env = dict(os.environ, PATH=f'{fake}:{os.environ["PATH"]}', GPUS='8',
               GPUS_PER_NODE='4', SRUN_ARGS='--quotatype=auto --x=1')
    out = subprocess.run(
        ['bash', f'tools/{script}', 'part', 'job', *positional, '--foo',
         'bar'], cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    args = record.read_text().split()
    assert args[:2] == ['-p', 'part']
    for opt in ('--job-name=job', '--gres=gpu:4', '--ntasks=8',
                '--ntasks-per-node=4', '--cpus-per-task=5',
                '--kill-on-bad-exit=1', '--quotatype=auto', '--x=1'):
        assert opt in args, opt
    tail = ' '.join(args[args.index('-u') + 1:])
    assert tail.endswith(extra_from + ' --foo bar'), tail
    assert osp.basename(tail.split()[0]) == extra_from.split()[0]
