"""Mistakes in inputs and configs give clear
errors instead of silent wrong results."""
import os.path as osp
import re

import pytest
from helpers import REPO, SYNTH_CAM, run_tool, tiny_train_cfg
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from hfpl_mm.datasets.voc_weak import read_split_file
from hfpl_mm.utils.config import merge_cfg_options
from hfpl_mm.utils.pretrained import check_pretrained

init_default_scope('mmseg')
SEG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-'
       '128x128.py')


def test_test_tool_refuses_a_mismatched_checkpoint(
        synthetic_voc, checkpoint, tmp_path):
    import torch
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    state['state_dict'] = {
        k.replace('decode_head.conv_seg', 'decode_head.cls'): v
        for k, v in state['state_dict'].items()
    }
    other = str(tmp_path / 'other.pth')
    torch.save(state, other)
    opts = [
        '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'test_dataloader.dataset.data_root={synthetic_voc}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.ann_file=ImageSets/Segmentation/val.txt'
    ]
    res = run_tool('tools/test.py', SYNTH_CAM, other, *opts, check=False)
    assert res.returncode != 0
    assert 'unexpected key' in res.stderr and 'missing keys' in res.stderr
    run_tool('tools/test.py', SYNTH_CAM, other, '--non-strict', *opts)


def test_split_ids_with_spaces(tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('synth_00002\nsynth_00002 copy\n\n  a b  \n')
    assert read_split_file(str(split)) == [
        'synth_00002', 'synth_00002 copy', 'a b'
    ]
    split.write_text('a\nb\na\n')
    with pytest.raises(ValueError, match=r"split.txt: image id 'a' on line 3 "
                       'repeats line 1'):
        read_split_file(str(split))


def test_id_with_space_reads_its_own_image(synthetic_voc, tmp_path):
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(synthetic_voc, root)
    for sub, ext in (('JPEGImages', '.jpg'), ('Annotations', '.xml')):
        shutil.copy(root / sub / f'synth_00003{ext}',
                    root / sub / f'synth_00002 copy{ext}')
    (root / 'split.txt').write_text('synth_00002\nsynth_00002 copy\n')
    ds = DATASETS.build(
        dict(type='VOCWeakDataset', data_root=str(root),
             ann_file='split.txt', pipeline=[]))
    paths = [
        osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ]
    assert paths == ['synth_00002.jpg', 'synth_00002 copy.jpg']


def test_stage3_labels_vs_num_classes(synthetic_voc, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(REPO, SEG))
    cfg.work_dir = str(tmp_path / 'w')
    cfg.model.decode_head.num_classes = 6  # the labels go up to 20
    cfg.model.data_preprocessor.size = (64, 64)
    dl = cfg.train_dataloader
    dl.num_workers = 0
    dl.persistent_workers = False
    dl.dataset.data_root = synthetic_voc
    dl.dataset.ann_file = 'ImageSets/Segmentation/train.txt'
    dl.dataset.data_prefix = dict(
        img_path='JPEGImages', seg_map_path='SegmentationClass')
    cfg.train_cfg.max_iters = 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_cfg.val_interval = 10**6
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'synth_\d+\.png: label \d+ does '
                       r'not fit model\.decode_head\.num_classes=6'):
        runner.train()


def test_cfg_options_typo():
    cfg = Config.fromfile(osp.join(REPO, SYNTH_CAM))
    with pytest.raises(KeyError, match='trian_dataloader.*did you mean '
                       'train_dataloader'):
        merge_cfg_options(cfg, {'trian_dataloader.batch_size': 1})
    merge_cfg_options(cfg, {'train_dataloader.batch_size': 1,
                            'load_from': None})
    assert cfg.train_dataloader.batch_size == 1
    res = run_tool('tools/train.py', SYNTH_CAM, '--cfg-options',
                   'trian_dataloader.batch_size=1', check=False)
    assert res.returncode != 0 and 'trian_dataloader' in res.stderr


def test_missing_pretrained_is_an_error(tmp_path):
    missing = str(tmp_path / 'typo.pth')
    model = dict(backbone=dict(init_cfg=dict(type='Pretrained',
                                             checkpoint=missing)))
    with pytest.raises(FileNotFoundError,
                       match=r'typo.pth for backbone cannot be loaded .*'
                       r'allow_missing_pretrained=True'):
        check_pretrained(model)
    model['pretrained'] = str(tmp_path / 'also_missing.pth')
    with pytest.raises(FileNotFoundError, match='also_missing.pth for model'):
        check_pretrained(model)
    assert check_pretrained(model, allow_missing=True) == 2
    assert model['backbone']['init_cfg'] is None
    assert model['pretrained'] is None
    # an existing file is kept, and not loaded to find out
    ok = tmp_path / 'ok.pth'
    ok.write_bytes(b'not even a checkpoint')
    model = dict(init_cfg=dict(type='Pretrained', checkpoint=str(ok)))
    assert check_pretrained(model) == 0
    assert model['init_cfg']['checkpoint'] == str(ok)


def test_train_tool_stops_on_missing_pretrained(synthetic_voc, tmp_path):
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, str(tmp_path / 'w'),
                         max_iters=1)
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(tmp_path / 'typo.pth'))
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    res = run_tool('tools/train.py', path, check=False)
    assert res.returncode != 0
    assert 'typo.pth for backbone cannot be loaded' in res.stderr
    res = run_tool('tools/train.py', path, '--allow-missing-pretrained')
    assert 'starts from random initialisation' in res.stdout + res.stderr


def test_unreadable_image_named_at_dataset_build(synthetic_voc, tmp_path):
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(synthetic_voc, root)
    (root / 'JPEGImages' / 'synth_00005.jpg').write_bytes(b'garbage')
    cfg = dict(type='VOCWeakDataset', data_root=str(root),
               ann_file='ImageSets/Segmentation/train.txt', pipeline=[])
    with pytest.raises(IOError, match='synth_00005.jpg: not a readable '
                       'image'):
        DATASETS.build(cfg)
    assert len(DATASETS.build(dict(cfg, check_images=False))) == 8


@pytest.mark.parametrize('key, value, match', [
    ('bg_treshold', 0.9, "bg_treshold.*did you mean 'bg_threshold'"),
    ('bg_threshold', 26.0, r'bg_threshold must be in \[0, 1\], got 26'),
    ('bg_threshold', -0.5, r'bg_threshold must be in \[0, 1\]'),
    ('bg_power', 0.0, r'bg_power must be in \(0'),
    ('scales', (1.0, 0.0), r'scales must be in \(0'),
])
def test_bad_test_cfg_is_refused_when_the_model_is_built(key, value, match):
    """A misspelt nested key mmengine would merge, and values that make
    every pixel background (26) or foreground (-0.5)."""
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, SYNTH_CAM))
    model = cfg.model.to_dict()
    model['test_cfg'][key] = value
    with pytest.raises((KeyError, ValueError), match=match):
        MODELS.build(model)
    res = run_tool('tools/make_pseudo_labels.py', SYNTH_CAM, 'ckpt.pth',
                   '--out-dir', 'unused', '--cfg-options',
                   f'model.test_cfg.{key}={value}', check=False)
    assert res.returncode != 0


def test_affinity_net_test_cfg_keys_are_checked():
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO,
        'configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py'))
    model = cfg.model.to_dict()
    model['test_cfg']['log_t'] = 6
    with pytest.raises(KeyError, match="log_t.*did you mean 'logt'"):
        MODELS.build(model)


@pytest.mark.parametrize('args, match', [
    (['--bg-threshold', '26'], r'--bg-threshold: 26 is not in \[0, 1\]'),
    (['--bg-threshold', '-0.5'], r'--bg-threshold: -0.5 is not in'),
    (['--bg-power', '0'], '--bg-power: 0 is not > 0'),
    (['--scales', '1', '0'], '--scales: 0 is not > 0'),
])
def test_stage2_options_are_range_checked_by_name(args, match):
    res = run_tool('tools/make_pseudo_labels.py', SYNTH_CAM, 'ckpt.pth',
                   '--out-dir', 'unused', *args, check=False)
    assert res.returncode == 2
    assert re.search(match, res.stderr), res.stderr[-500:]


@pytest.mark.parametrize('key', ['max_iters', 'max_epochs'])
def test_a_training_loop_of_zero_is_refused(key, tmp_path):
    from hfpl_mm.utils.config import check_train_loop
    cfg = Config.fromfile(osp.join(REPO, SYNTH_CAM))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', **{key: 0})
    with pytest.raises(ValueError, match=f'train_cfg.{key}=0'):
        check_train_loop(cfg)
    res = run_tool('tools/train.py', SYNTH_CAM, '--work-dir',
                   str(tmp_path / 'w'), '--cfg-options',
                   'train_cfg.max_iters=0', check=False)
    assert res.returncode != 0
    assert 'train_cfg.max_iters=0' in res.stderr
    assert not (tmp_path / 'w').exists() or not list(
        (tmp_path / 'w').glob('*.pth'))


@pytest.mark.parametrize('lines, match', [
    (['synth_00000', '../../../outside/synth_00001'],
     r"'../../../outside/synth_00001' on line 2 leaves the image folder"),
    (['synth_00000', '/abs/synth_00001'], 'leaves the image folder'),
    (['a/synth_00001', 'b/synth_00001'],
     r"'a/synth_00001' \(line 1\) and 'b/synth_00001' \(line 2\) have the "
     "same name 'synth_00001'"),
])
def test_split_ids_that_leave_the_folder_or_collide_are_refused(
        tmp_path, lines, match):
    """An id reaching outside the image folder wrote its labels under the
    name of another image (stage 2 said 'written 4' for 3 files)."""
    from hfpl_mm.datasets.voc_weak import read_split_file
    split = tmp_path / 'split.txt'
    split.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=match):
        read_split_file(str(split))
