"""Every stage-3 config builds, computes the loss its recipe names (cross
entropy over the classes, 255 ignored) and trains one iteration on CPU."""
import glob
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from helpers import REPO, strip_pretrained_and_syncbn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

init_default_scope('mmseg')
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'deeplab', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p)
                                               for p in CONFIGS])
def test_one_iteration(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.to_dict()
    strip_pretrained_and_syncbn(model_cfg)
    model_cfg['data_preprocessor']['size'] = (64, 64)
    model = MODELS.build(model_cfg)
    model.init_weights()
    num_classes = model.decode_head.num_classes
    g = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                        pad_shape=(64, 64)))
        label = torch.randint(0, num_classes, (1, 64, 64), generator=g)
        label[:, :16] = 255  # uncertain pixels: ignored by the loss
        s.gt_sem_seg = PixelData(data=label)
        samples.append(s)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8,
                                   generator=g)
                     for _ in range(2)], data_samples=samples), True)
    # eval mode: no dropout, BN running statistics, so the loss can be
    # recomputed by hand from the decode head's logits
    model.eval()
    losses = model(**data, mode='loss')
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(data['inputs']))
        logits = F.interpolate(logits, (64, 64), mode='bilinear',
                               align_corners=model.decode_head.align_corners)
        target = torch.cat([s.gt_sem_seg.data for s in samples])
        ref = F.cross_entropy(logits, target, ignore_index=255)
    torch.testing.assert_close(losses['decode.loss_ce'].detach(), ref,
                               rtol=1e-4, atol=1e-5)
    model.train()
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert math.isfinite(total.item())
    total.backward()
    grads = [p.grad for p in model.decode_head.parameters()
             if p.requires_grad]
    assert grads and all(gr is not None for gr in grads)
    if 'convnext' in path:
        assert model.backbone.__class__.__module__.startswith('mmpretrain')
