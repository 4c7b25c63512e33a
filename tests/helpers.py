"""Shared helpers of the test-suite: shrink a real config to tiny data."""
import copy
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from hfpl_mm.utils.config import iter_schedule_options, merge_cfg_options

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO), 'shared', 'data', 'real_mini')
SYNTH_CAM = 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def strip_pretrained_and_syncbn(node):
    """SyncBN -> BN (CPU, one process) and no pretrained init, in place."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        if isinstance(node.get('pretrained'), str):
            node['pretrained'] = None
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for v in node.values():
            strip_pretrained_and_syncbn(v)
    elif isinstance(node, list):
        for v in node:
            strip_pretrained_and_syncbn(v)


def shrink_model(model: dict, crop: int = 64) -> dict:
    """A light model of the same kind: ResNet-50 -> ResNet-18."""
    model = copy.deepcopy(model)
    strip_pretrained_and_syncbn(model)
    model['data_preprocessor']['size'] = (crop, crop)
    bb = model['backbone']
    if bb['type'] in ('ResNetV1c', 'mmpretrain.ResNet') and bb.get(
            'depth', 50) == 50:
        bb['depth'] = 18
        model['decode_head']['in_channels'] = 512
        model['decode_head']['channels'] = 512
    return model


def tiny_train_cfg(config: str,
                   data_root: str,
                   work_dir: str,
                   max_iters: int = 2,
                   crop: int = 64,
                   batch_size: int = 2,
                   ckpt_interval: int = 1) -> Config:
    """``config`` with the model shrunk, data pointing at a tiny VOC-layout
    folder, an iteration-based loop of ``max_iters`` and CPU settings."""
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.work_dir = work_dir
    cfg.model = shrink_model(cfg.model, crop)
    cfg.train_pipeline = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='RandomResize', scale=[(crop, crop), (crop + 32,
                                                        crop + 32)],
             keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandomCrop', crop_size=(crop, crop)),
        dict(type='PackWeakSegInputs'),
    ]
    for name, split in (('train_dataloader', 'train'),
                        ('val_dataloader', 'val'),
                        ('test_dataloader', 'val')):
        dl = cfg[name]
        if dl is None:  # e.g. AffinityNet has no validation
            continue
        dl.batch_size = batch_size if split == 'train' else 1
        dl.num_workers = 0
        dl.persistent_workers = False
        dl.dataset.data_root = data_root
        dl.dataset.ann_file = f'ImageSets/Segmentation/{split}.txt'
        dl.dataset.data_prefix = dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass')
        if split == 'train':
            dl.dataset.pipeline = cfg.train_pipeline
    # one plain PolyLR (no warm-up) for tiny runs, then the package's
    # iteration schedule (the options the main job uses too)
    cfg.param_scheduler = [
        dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
             end=max_iters, by_epoch=False)
    ]
    merge_cfg_options(
        cfg,
        iter_schedule_options(
            cfg, max_iters, log_interval=1, ckpt_interval=ckpt_interval,
            max_keep_ckpts=None, val_interval=10**6))
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.env_cfg.cudnn_benchmark = False
    cfg.randomness = dict(seed=0)
    return cfg


def run_tool(*args, check=True, **kwargs):
    """Run ``python <args>`` in the repository; with ``check`` fail the test
    with the tail of the output when it exits non-zero."""
    out = subprocess.run([sys.executable, *args], cwd=REPO,
                         capture_output=True, text=True, timeout=900,
                         **kwargs)
    if check and out.returncode != 0:
        raise AssertionError(out.stdout[-3000:] + out.stderr[-3000:])
    return out


def check_stage2_and_demo(cfg: Config, config: str, ckpt: str,
                          data_root: str, out_dir, **run_kwargs) -> None:
    """Stage 2 on ``data_root``'s 4 val images writes 4 labels, and the
    demo without ``--labels`` draws the panel of one image, for a trained
    CAM checkpoint of ``config`` (loaded as ``cfg``)."""
    from hfpl_mm.apis import build_cam_inference, generate_pseudo_labels
    model, loader = build_cam_inference(cfg, ckpt, 'val', data_root,
                                        device='cpu')
    labels = out_dir / 'pl'
    generate_pseudo_labels(model, loader, str(labels), progress=False)
    assert len(list(labels.glob('*.png'))) == 4
    img = osp.join(data_root, 'JPEGImages', 'synth_00008.jpg')
    res = run_tool('demo/cam_demo.py', img, config, ckpt, '--out-dir',
                   str(out_dir / 'demo'), '--device', 'cpu', **run_kwargs)
    assert 'the classifier predicts' in res.stdout
    assert (out_dir / 'demo' / 'synth_00008_panel.png').is_file()


def make_user_project(root, files: dict):
    """A user's project at ``root``: the repository's config folders linked
    under ``root/configs`` (so ``_base_`` paths of a config written there
    resolve as in a checkout) and ``files`` ({relative path: text})
    written."""
    import os
    import pathlib
    root = pathlib.Path(root)
    os.makedirs(root / 'configs', exist_ok=True)
    for name in os.listdir(osp.join(REPO, 'configs')):
        os.symlink(osp.join(REPO, 'configs', name), root / 'configs' / name)
    for path, text in files.items():
        os.makedirs((root / path).parent, exist_ok=True)
        (root / path).write_text(text)
    return root


def documented_config(page: str, heading: str, root) -> str:
    """The first python block of ``page``'s section ``heading``, written
    as the page gives it at the ``configs/...py`` path the section names,
    in a :func:`make_user_project` at ``root``; its path."""
    import re
    text = open(page, encoding='utf-8').read()
    section = text[text.index(heading):]
    path = re.search(r'`(configs/my_\w+/[\w.-]+\.py)`', section).group(1)
    block = re.search(r'```python\n(.*?)```', section, re.S).group(1)
    return str(make_user_project(root, {path: block}) / path)
