"""demo/cam_demo.py: stage 2's inference on any image, with class names."""
import os.path as osp

import numpy as np
from helpers import SYNTH_CAM, run_tool
from mmengine.config import Config
from PIL import Image

from hfpl_mm.apis import build_cam_inference, generate_pseudo_labels


def test_demo_label_equals_stage2(synthetic_voc, checkpoint, tmp_path):
    img = osp.join(synthetic_voc, 'JPEGImages', 'synth_00008.jpg')
    gt = np.array(Image.open(
        osp.join(synthetic_voc, 'SegmentationClass', 'synth_00008.png')))
    from mmseg.datasets import PascalVOCDataset
    names = [PascalVOCDataset.METAINFO['classes'][c]
             for c in np.unique(gt) if c not in (0, 255)]
    out = tmp_path / 'demo'
    res = run_tool('demo/cam_demo.py', img, SYNTH_CAM, checkpoint,
                   '--labels', *names, '--out-dir', str(out), '--device',
                   'cpu')
    assert f'{", ".join(names)} ->' in res.stdout
    for n in names:
        assert (out / f'synth_00008_cam_{n}.png').is_file()
    panel = Image.open(out / 'synth_00008_panel.png')
    # image, a CAM per class, label: 64-px tiles enlarged 3x, 4-px gaps,
    # title banners above and a legend below
    tiles = len(names) + 2
    assert panel.size[0] == 192 * tiles + 4 * (tiles - 1)
    assert panel.size[1] > 192 + 20
    # the same label as stage 2 (same config, scales, flip, threshold)
    cfg = Config.fromfile(SYNTH_CAM)
    model, loader = build_cam_inference(cfg, checkpoint, 'val',
                                        synthetic_voc, device='cpu')
    assert model.test_cfg['scales'] == (1.0, 0.5, 1.5)  # the config's
    pl = tmp_path / 'pl'
    generate_pseudo_labels(model, loader, str(pl), progress=False)
    np.testing.assert_array_equal(
        np.array(Image.open(out / 'synth_00008_label.png')),
        np.array(Image.open(pl / 'synth_00008.png')))


def test_demo_folder_without_labels_and_bad_name(synthetic_voc, checkpoint,
                                                 tmp_path):
    folder = osp.join(synthetic_voc, 'JPEGImages')
    out = tmp_path / 'demo'
    res = run_tool('demo/cam_demo.py', folder, SYNTH_CAM, checkpoint,
                   '--out-dir', str(out))
    assert res.stdout.count('no --labels; the classifier predicts') == 12
    assert len(list(out.glob('*_panel.png'))) == 12
    assert len(list(out.glob('*_label.png'))) == 12
    res = run_tool('demo/cam_demo.py', folder, SYNTH_CAM, checkpoint,
                   '--labels', 'unicorn', check=False)
    assert res.returncode != 0 and "['unicorn'] are not classes" in \
        res.stderr
