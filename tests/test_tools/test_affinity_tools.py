"""make_affinity_labels -> AffinityNet training -> random-walk refinement."""
import os
import os.path as osp

import numpy as np
from helpers import run_tool, tiny_train_cfg
from mmengine.runner import Runner
from PIL import Image

from hfpl_mm.apis.affinity import confident_labels
from hfpl_mm.datasets.transforms import (affinity_label_from_scores,
                                         load_affinity_scores)

AFF = 'configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py'


def test_confident_labels_hand_values():
    cams = np.array([[[0.9, 0.4, 0.02]]], np.float32)  # one class, 3 pixels
    archive = dict(keys=np.array([6]), cams=cams)
    lab = confident_labels(archive, None, crf=False)
    # reference alphas 1 and 24 (no CRF here):
    # alpha 1: bg = (0.1, 0.6, 0.98) -> fg, bg, bg
    # alpha 24: bg = (1e-24, 0.6^24 = 4.7e-6, 0.98^24 = 0.62) -> fg, fg, bg
    # -> class 7 where la is foreground, 0 where ha is background, else 255
    assert lab.tolist() == [[7, 255, 0]]


def test_affinity_pipeline(synthetic_voc, tmp_path):
    # CAM archives: here the GT masks as one-hot "CAMs" (perfect seeds)
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    gt_dir = osp.join(synthetic_voc, 'SegmentationClass')
    for name in sorted(os.listdir(gt_dir)):
        gt = np.array(Image.open(osp.join(gt_dir, name)))
        keys = np.array([c - 1 for c in np.unique(gt) if 0 < c < 255])
        cams = np.stack([(gt == k + 1).astype(np.float16) for k in keys])
        np.savez(cam_dir / name.replace('.png', '.npz'), keys=keys, cams=cams)
    aff_dir = str(tmp_path / 'aff')
    out = run_tool('tools/make_affinity_labels.py', str(cam_dir),
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir',
                   aff_dir).stdout
    assert 'wrote 12 affinity labels' in out
    arch = load_affinity_scores(osp.join(aff_dir, 'synth_00000.npz'))
    lab = affinity_label_from_scores(arch['la'], arch['ha'], arch['keys'])
    gt = np.array(Image.open(osp.join(gt_dir, 'synth_00000.png')))
    assert ((lab == gt) | (lab == 255)).mean() > 0.95
    assert (lab == gt).mean() > 0.5

    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(AFF, synthetic_voc, work, max_iters=2)
    cfg.train_dataloader.dataset.data_prefix.seg_map_path = aff_dir
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='LoadAffinityScores'),
        dict(type='AffinityLabelFromScores', stride=8),
        dict(type='PackSegInputs')
    ]
    Runner.from_cfg(cfg).train()
    ckpt = osp.join(work, 'iter_2.pth')
    refined = str(tmp_path / 'refined')
    out = run_tool('tools/refine_random_walk.py', AFF, ckpt, str(cam_dir),
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir',
                   refined, '--logt', '3').stdout
    assert 'written 12, skipped 0' in out
    res = np.array(Image.open(osp.join(refined, 'synth_00000.png')))
    assert res.shape == gt.shape
    assert set(np.unique(res)) <= set(np.unique(gt))
    out = run_tool('tools/refine_random_walk.py', AFF, ckpt, str(cam_dir),
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir',
                   refined, '--logt', '3', '--resume').stdout
    assert 'written 0, skipped 12' in out
    # --resume with other settings would mix two runs: refused
    res = run_tool('tools/refine_random_walk.py', AFF, ckpt, str(cam_dir),
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir',
                   refined, '--resume', check=False)
    assert res.returncode != 0
    assert "logt': 3} -> {'beta': 8.0, 'logt': 6}" in res.stderr
    # nor writes into a folder that is not its own (here, the CAMs)
    res = run_tool('tools/refine_random_walk.py', AFF, ckpt, str(cam_dir),
                   osp.join(synthetic_voc, 'JPEGImages'), '--out-dir',
                   str(cam_dir), '--overwrite', check=False)
    assert res.returncode != 0
    assert 'is not a label folder of hfpl-mm' in res.stderr
