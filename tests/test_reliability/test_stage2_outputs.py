"""Stage 2 never keeps stale or partial
outputs, and one bad image does not stop the run."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from helpers import SYNTH_CAM, run_tool
from PIL import Image


def make_labels(root, ckpt, out, *extra, check=True):
    return run_tool('tools/make_pseudo_labels.py', SYNTH_CAM, ckpt,
                    '--split', 'val', '--data-root', root, '--out-dir', out,
                    '--scales', '1.0', *extra, check=check)


@pytest.fixture
def data_copy(synthetic_voc, tmp_path):
    root = str(tmp_path / 'synth')
    shutil.copytree(synthetic_voc, root)
    return root


def test_resume_rewrites_a_lost_archive(data_copy, checkpoint, tmp_path):
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out, '--save-cams')
    os.remove(osp.join(out, 'synth_00009.npz'))  # lost to a kill
    res = make_labels(data_copy, checkpoint, out, '--save-cams', '--resume')
    assert 'written 1, skipped 3, failed 0' in res.stdout
    assert osp.isfile(osp.join(out, 'synth_00009.npz'))


def test_stale_temporary_files(data_copy, checkpoint, tmp_path):
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out, '--save-cams')
    # what a kill mid-write leaves behind
    for name in ('.synth_00008.png.tmp-123', '.synth_00008.npz.tmp-123'):
        with open(osp.join(out, name), 'wb') as f:
            f.write(b'partial')
    gt = osp.join(data_copy, 'SegmentationClass')
    # readers ignore them
    res = run_tool('tools/eval_pseudo_labels.py', out, gt, '--skip-absent')
    assert 'images: 4' in res.stdout
    aff = str(tmp_path / 'aff')
    res = run_tool('tools/make_affinity_labels.py', out,
                   osp.join(data_copy, 'JPEGImages'), '--out-dir', aff,
                   '--no-crf')
    assert sorted(n for n in os.listdir(aff) if n.endswith('.npz')) == [
        f'synth_{i:05d}.npz' for i in range(8, 12)
    ]
    with open(osp.join(aff, 'pseudo_labels.json')) as f:
        assert json.load(f)['tool'] == 'make_affinity_labels'
    # and the next run removes them
    make_labels(data_copy, checkpoint, out, '--save-cams', '--resume')
    assert not [n for n in os.listdir(out) if n.startswith('.')]


def test_manifest_covers_data_and_checkpoint(data_copy, checkpoint,
                                             tmp_path):
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out)
    manifest = json.load(open(osp.join(out, 'pseudo_labels.json')))
    settings = manifest['settings']
    assert settings['data_root'] == osp.abspath(data_copy)
    assert settings['ann_file'].endswith('ImageSets/Segmentation/val.txt')
    assert len(settings['checkpoint_sha256']) == 64
    # the config's background threshold when the CLI gives none
    assert settings['test_cfg']['bg_threshold'] == 0.26

    # another data root: refused, even with --resume
    other = str(tmp_path / 'other')
    shutil.copytree(data_copy, other)
    res = make_labels(other, checkpoint, out, '--resume', check=False)
    assert res.returncode != 0 and 'data_root' in res.stderr
    # a retrained checkpoint at the same path: refused
    ckpt = str(tmp_path / 'model.pth')
    shutil.copy(checkpoint, ckpt)
    out2 = str(tmp_path / 'pl2')
    make_labels(data_copy, ckpt, out2)
    with open(ckpt, 'ab') as f:
        f.write(b'\0')  # new content, same path
    res = make_labels(data_copy, ckpt, out2, '--resume', check=False)
    assert res.returncode != 0 and 'checkpoint_sha256' in res.stderr
    # cfg-options change the signature too
    res = make_labels(data_copy, checkpoint, out, '--resume', '--cfg-options',
                      'model.test_cfg.bg_power=3', check=False)
    assert res.returncode != 0 and 'cfg_options' in res.stderr


def test_overwrite_removes_the_previous_run(data_copy, checkpoint, tmp_path):
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out, '--save-cams')
    with open(osp.join(data_copy, 'ImageSets/Segmentation/two.txt'),
              'w') as f:
        f.write('synth_00000\nsynth_00001\n')
    run_tool('tools/make_pseudo_labels.py', SYNTH_CAM, checkpoint,
             '--split', 'two', '--data-root', data_copy, '--out-dir', out,
             '--scales', '1.0', '--overwrite')
    assert sorted(n for n in os.listdir(out) if not n.endswith('.json')) == [
        'synth_00000.png', 'synth_00001.png'
    ]


def test_folder_without_manifest_is_not_written(data_copy, checkpoint,
                                                tmp_path):
    out = tmp_path / 'mine'
    out.mkdir()
    (out / 'notes.txt').write_text('keep me')
    res = make_labels(data_copy, checkpoint, str(out), '--overwrite',
                      check=False)
    assert res.returncode != 0 and 'not a label folder' in res.stderr
    assert (out / 'notes.txt').read_text() == 'keep me'


def test_bad_images_fail_alone(data_copy, checkpoint, tmp_path):
    jpg = osp.join(data_copy, 'JPEGImages')
    # a truncated JPEG (OpenCV would decode it with blank rows) and garbage
    data = open(osp.join(jpg, 'synth_00009.jpg'), 'rb').read()
    with open(osp.join(jpg, 'synth_00009.jpg'), 'wb') as f:
        f.write(data[:len(data) // 2])
    with open(osp.join(jpg, 'synth_00010.jpg'), 'wb') as f:
        f.write(b'not an image')
    out = str(tmp_path / 'pl')
    res = make_labels(data_copy, checkpoint, out, check=False)
    assert res.returncode != 0  # failures are reported in the exit code
    assert 'written 2, skipped 0, failed 2' in res.stdout
    assert 'synth_00009.jpg: truncated or damaged image' in res.stdout
    assert 'synth_00010.jpg' in res.stdout
    assert sorted(os.listdir(out)) == [
        'pseudo_labels.json', 'synth_00008.png', 'synth_00011.png'
    ]


def test_truncated_jpeg_named_in_training(synthetic_voc, tmp_path):
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    src = osp.join(synthetic_voc, 'JPEGImages', 'synth_00000.jpg')
    data = open(src, 'rb').read()
    bad = str(tmp_path / 'cut.jpg')
    with open(bad, 'wb') as f:
        f.write(data[:len(data) * 2 // 3])
    import cv2
    assert cv2.imread(bad) is not None  # OpenCV alone does not notice
    load = Compose([dict(type='LoadCheckedImageFromFile')])
    with pytest.raises(IOError, match='cut.jpg: truncated'):
        load(dict(img_path=bad))
    good = load(dict(img_path=src))
    assert good['img'].shape == (64, 64, 3)
    # a JPEG with bytes after its end marker is still fine
    padded = str(tmp_path / 'padded.jpg')
    with open(padded, 'wb') as f:
        f.write(data + b'trailer')
    assert load(dict(img_path=padded))['img'].shape == (64, 64, 3)
    Image.open(padded).load()
    np.testing.assert_array_equal(
        load(dict(img_path=padded))['img'], good['img'])


def test_evaluation_refuses_missing_predictions(data_copy, checkpoint,
                                                tmp_path):
    """A prediction folder that misses images is not scored on the ones
    present: its manifest's split (or --split) says which it owes."""
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out)
    gt = osp.join(data_copy, 'SegmentationClass')
    full = run_tool('tools/eval_pseudo_labels.py', out, gt, '--skip-absent')
    assert 'the 4 images of' in full.stdout
    os.remove(osp.join(out, 'synth_00009.png'))  # an incomplete run
    res = run_tool('tools/eval_pseudo_labels.py', out, gt, check=False)
    assert res.returncode != 0
    assert '1 of 4 images have no prediction (synth_00009)' in res.stderr
    res = run_tool('tools/eval_pseudo_labels.py', out, gt, '--skip-absent',
                   '--missing', 'background')
    assert 'images: 4 (1 without a prediction, scored as background)' in \
        res.stdout
    miou = float(res.stdout.split('mIoU: ')[1].split()[0])
    assert miou < float(full.stdout.split('mIoU: ')[1].split()[0])
    split = tmp_path / 'two.txt'
    split.write_text('synth_00008\nsynth_00010\n')
    res = run_tool('tools/eval_pseudo_labels.py', out, gt, '--split',
                   str(split))
    assert 'images: 2' in res.stdout


def test_evaluation_with_nothing_to_score_says_so(tmp_path):
    from hfpl_mm.evaluation import evaluate_label_dirs
    from hfpl_mm.utils.label_io import save_png_atomic
    pred, gt = tmp_path / 'pred', tmp_path / 'gt'
    pred.mkdir()
    gt.mkdir()
    pal = [0, 0, 0] * 256
    save_png_atomic(np.zeros((4, 4), np.uint8), str(pred / 'a.png'), pal)
    save_png_atomic(np.full((4, 4), 255, np.uint8), str(gt / 'a.png'), pal)
    with pytest.raises(ValueError, match='no pixel was scored: every GT '
                       'pixel of the 1 images is 255'):
        evaluate_label_dirs(str(pred), str(gt), 21)


def test_resume_writes_again_what_changed(data_copy, checkpoint, tmp_path):
    """--resume redoes an image whose file or labels changed after its
    outputs were written, and skips the others."""
    out = str(tmp_path / 'pl')
    make_labels(data_copy, checkpoint, out, '--save-cams')

    def touch(path):  # rewritten after the outputs were
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data)

    touch(osp.join(data_copy, 'JPEGImages', 'synth_00009.jpg'))
    res = make_labels(data_copy, checkpoint, out, '--save-cams', '--resume')
    assert 'written 1, skipped 3, failed 0' in res.stdout
    assert '1 images changed' in res.stdout + res.stderr
    res = make_labels(data_copy, checkpoint, out, '--save-cams', '--resume')
    assert 'written 0, skipped 4, failed 0' in res.stdout
    touch(osp.join(data_copy, 'Annotations', 'synth_00011.xml'))
    res = make_labels(data_copy, checkpoint, out, '--save-cams', '--resume')
    assert 'written 1, skipped 3, failed 0' in res.stdout
