"""init_model: the one way the tools build a model from config +
checkpoint."""
import os.path as osp

import pytest
import torch
from helpers import REPO, SYNTH_CAM

from hfpl_mm.apis import init_model


def test_init_model_loads_strictly_with_meta(checkpoint, tmp_path):
    model = init_model(osp.join(REPO, SYNTH_CAM), checkpoint, device='cpu',
                       test_cfg=dict(bg_threshold=0.4))
    assert not model.training
    assert model.cfg.model.type == 'CAMSegmentor'
    assert model.test_cfg['bg_threshold'] == 0.4
    assert model.test_cfg['bg_mode'] == 'threshold'  # the config's, kept
    # the training run's dataset metainfo, from the checkpoint
    assert model.dataset_meta['classes'][1] == 'aeroplane'
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, state['state_dict'][k])

    state['state_dict']['decode_head.extra'] = torch.zeros(1)
    bad = str(tmp_path / 'bad.pth')
    torch.save(state, bad)
    with pytest.raises(RuntimeError, match='unexpected key'):
        init_model(osp.join(REPO, SYNTH_CAM), bad, device='cpu')
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        init_model(osp.join(REPO, SYNTH_CAM), str(tmp_path / 'nothere.pth'))
