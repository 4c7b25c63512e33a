"""PSA/SEAM ResNet-38 names -> WideResNet38, from the architecture spec."""
import os.path as osp
import subprocess
import sys

import torch
from helpers import REPO
from mmseg.registry import MODELS

sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
from wr38_psa2mmseg import convert  # noqa: E402


def psa_state(model):
    """A checkpoint in the reference naming, written from the published
    layout (conv1a; b2..b5 with 3, 3, 6, 3 blocks named b<s>, b<s>_1, ...;
    bottlenecks b6, b7; bn7), with our tensors' shapes."""
    ours = model.state_dict()
    state = {'conv1a.weight': ours['stem.weight'], 'fc8.weight':
             torch.zeros(21, 4096, 1, 1)}
    basic = ['bn_branch2a', 'conv_branch2a', 'bn_branch2b1',
             'conv_branch2b1', 'conv_branch1']
    ours_basic = ['bn1', 'conv1', 'bn2', 'conv2', 'shortcut']
    for stage, blocks in zip((2, 3, 4, 5), (3, 3, 6, 3)):
        for k in range(blocks):
            name = f'b{stage}' + (f'_{k}' if k else '')
            for psa, mine in zip(basic, ours_basic):
                prefix = f'stages.{stage - 2}.{k}.{mine}.'
                for key, v in ours.items():
                    if key.startswith(prefix):
                        state[f'{name}.{psa}.{key[len(prefix):]}'] = v
    for stage in (6, 7):
        for psa, mine in zip(basic[:4] + ['bn_branch2b2', 'conv_branch2b2',
                                          'conv_branch1'],
                             ours_basic[:4] + ['bn3', 'conv3', 'shortcut']):
            prefix = f'stages.{stage - 2}.{mine}.'
            for key, v in ours.items():
                if key.startswith(prefix):
                    state[f'b{stage}.{psa}.{key[len(prefix):]}'] = v
    for key, v in ours.items():
        if key.startswith('final_norm.'):
            state['bn7.' + key[len('final_norm.'):]] = v
    return state


def test_convert_loads_strictly(tmp_path):
    model = MODELS.build(dict(type='WideResNet38'))
    state = {k: torch.randn_like(v.float()).to(v.dtype)
             for k, v in psa_state(model).items()}
    out, dropped = convert(state)
    assert dropped == ['fc8.weight']
    fresh = MODELS.build(dict(type='WideResNet38'))
    fresh.load_state_dict(out, strict=True)
    torch.testing.assert_close(fresh.stem.weight, state['conv1a.weight'])
    torch.testing.assert_close(fresh.stages[2][5].conv2.weight,
                               state['b4_5.conv_branch2b1.weight'])
    torch.testing.assert_close(fresh.stages[5].conv3.weight,
                               state['b7.conv_branch2b2.weight'])

    src, dst = str(tmp_path / 'psa.pth'), str(tmp_path / 'ours.pth')
    torch.save(state, src)
    res = subprocess.run(
        [sys.executable, 'tools/model_converters/wr38_psa2mmseg.py', src,
         dst], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    net = MODELS.build(dict(type='WideResNet38', init_cfg=dict(
        type='Pretrained', checkpoint=dst)))
    net.init_weights()
    torch.testing.assert_close(net.final_norm.weight, state['bn7.weight'])
