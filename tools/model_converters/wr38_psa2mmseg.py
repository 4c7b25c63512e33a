# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Convert a ResNet-38 checkpoint in the PSA / SEAM naming (``conv1a``,
``b2``, ``b2_1``, ..., ``b7``, ``bn7``; e.g. the ImageNet weights
``ilsvrc-cls_rna-a1_cls1000_ep-0001.pth`` those repositories distribute)
to :class:`hfpl_mm.models.WideResNet38`'s names.

    python tools/model_converters/wr38_psa2mmseg.py SRC.pth DST.pth

Keys outside the backbone (e.g. ``fc8``) are dropped and listed. The output
loads with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

# psa layer name -> ours, per block kind
BASIC = {'bn_branch2a': 'bn1', 'conv_branch2a': 'conv1',
         'bn_branch2b1': 'bn2', 'conv_branch2b1': 'conv2',
         'conv_branch1': 'shortcut'}
BOTTLENECK = dict(BASIC, bn_branch2b2='bn3', conv_branch2b2='conv3')
BLOCK = re.compile(r'^b(\d)(?:_(\d))?\.(\w+?)\.(\w+)$')


def convert_key(key: str):
    """Our name of a psa key, or None if it is not a backbone weight."""
    if key.startswith('conv1a.'):
        return 'stem.' + key[len('conv1a.'):]
    if key.startswith('bn7.'):
        return 'final_norm.' + key[len('bn7.'):]
    m = BLOCK.match(key)
    if not m:
        return None
    stage, index, layer, param = int(m[1]), int(m[2] or 0), m[3], m[4]
    if stage in (6, 7):
        if index or layer not in BOTTLENECK:
            return None
        return f'stages.{stage - 2}.{BOTTLENECK[layer]}.{param}'
    if layer not in BASIC or not 2 <= stage <= 5:
        return None
    return f'stages.{stage - 2}.{index}.{BASIC[layer]}.{param}'


def convert(state: Dict[str, torch.Tensor]
            ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    out, dropped = OrderedDict(), []
    for key, value in state.items():
        new = convert_key(key[len('module.'):] if key.startswith('module.')
                          else key)
        if new is None:
            dropped.append(key)
        else:
            out[new] = value
    return out, dropped


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src')
    p.add_argument('dst')
    args = p.parse_args()
    # a foreign checkpoint: tensors only, no code
    from hfpl_mm.utils.compat import load_weights_only
    state = load_weights_only(args.src, map_location='cpu')
    state = state.get('state_dict', state)
    out, dropped = convert(state)
    if not out:
        raise ValueError(f'{args.src}: no ResNet-38 weights in PSA naming')
    from hfpl_mm.utils.atomic import atomic_write
    with atomic_write(args.dst) as tmp:
        torch.save(out, tmp)
    print(f'{args.dst}: {len(out)} tensors; dropped {len(dropped)}: '
          f'{dropped[:10]}')


if __name__ == '__main__':
    main()
