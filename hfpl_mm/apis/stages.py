# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The stages of the WSSS pipeline as public functions.

=============================  ============================================
:func:`train_cam_model`        stage 1: train a CAM network (mmengine)
:func:`write_pseudo_labels`    stage 2: CAM archives of the training images,
                               the background-threshold sweep against GT,
                               label PNGs at the best (or a given) threshold
:func:`write_affinity_labels`  AffinityNet's labels from the confident CAM
                               regions (CRF)
:func:`train_affinity_net`     train AffinityNet on them
:func:`refine_labels`          random-walk refinement of the CAMs
:func:`train_segmentation`     stage 3: train the segmentation network on a
                               label folder; its validation metrics
=============================  ============================================

Each stage writes into its own folder and records :data:`STAGE_MANIFEST`
there: the stage's name, a signature of everything its outputs depend on
(the merged config, the input checkpoint's content, the run ids of the
stages it reads) and its result. Called again with the same settings, a
stage finds the manifest and its outputs and returns the recorded result
without computing anything (a rerun of a pipeline skips finished stages);
other settings compute it again. A training stage that was stopped resumes
from the newest intact checkpoint of its work dir
(:func:`hfpl_mm.utils.resume.find_resume_checkpoint`).

Where the data is comes from a layout: :class:`DataLayout` points every
stage config at a VOC-layout folder (split files or all images, GT masks,
XML or a ``cls_labels.npy``), :class:`ConfigLayout` keeps each config's own
datasets (VOC's ``train_aug``, COCO's JSON) and only wires the label
folders between the stages.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import uuid
from typing import Callable, Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log

from ..datasets.voc_weak import image_stem, read_split_file
from ..evaluation.label_folders import evaluate_label_dirs, sweep_cam_dir
from ..evaluation.metrics import save_threshold_curve
from ..utils.atomic import atomic_write
from ..utils.cam_labels import BG_THRESHOLDS, write_threshold_labels
from ..utils.config import (ensure_plugin_import, iter_schedule_options,
                            merge_cfg_options)
from ..utils.label_folder import (file_digest, read_manifest, run_signature,
                                  write_manifest)
from ..utils.label_io import palette_bytes, save_png_atomic
from .affinity import make_affinity_labels, refine_with_random_walk
from .inference import build_cam_inference, init_model
from .pseudo_labels import generate_pseudo_labels

#: The manifest each stage writes into its folder (hidden: a label folder
#: holds only its labels and its writer's manifest).
STAGE_MANIFEST = '.hfpl-stage.json'
#: The background thresholds of stage 2's sweep (the reference's grid).
THRESHOLDS = list(BG_THRESHOLDS)
#: How the pipeline averages classes absent from both GT and prediction:
#: the bundled synthetic sets and real_mini use a subset of VOC's 21
#: classes, so such classes are left out of the means (on data where every
#: class occurs, as VOC, this equals the reference's averaging).
COUNT_ABSENT = False


def pipeline_log(msg: str) -> None:
    """A pipeline message through mmengine's current logger (the running
    Runner's, so it also lands in that run's log file)."""
    print_log(f'[pipeline] {msg}', logger='current')


def _split_file(root: str, split: str) -> str:
    """A split given as a VOC stem ('train') or a file (relative to
    ``root`` unless absolute)."""
    if split.endswith(('.txt', '.json')):
        return split if osp.isabs(split) else osp.join(root, split)
    return osp.join(root, 'ImageSets', 'Segmentation', split + '.txt')


def _read_split_stems(path: str) -> List[str]:
    """The file stems (the names every output is saved under) of a split
    file's image ids, read as the datasets read it
    (:func:`~hfpl_mm.datasets.voc_weak.read_split_file`)."""
    return [image_stem(i) for i in read_split_file(path)]


class DataLayout:
    """A VOC-layout folder every stage config is pointed at: images in
    ``JPEGImages/``, GT masks in ``SegmentationClass/``, image-level labels
    from ``Annotations/`` or a ``cls_labels.npy``, split files in
    ``ImageSets/Segmentation/``. A folder without the split files uses all
    its images for both (the list is written to the work dir, never into
    the data root).

    Args:
        data_root (str): The folder.
        work_dir (str): Where a generated split list goes.
        cls_labels (str, optional): ``cls_labels.npy`` for a folder without
            ``Annotations/`` (else ``cls_labels.npy`` or
            ``cls_labels_from_masks.npy`` in the folder).
        train_split (str): Stem or file of the training images (stage 1
            trains on them, stage 2 labels them, stage 3 trains on their
            labels). Defaults to 'train'.
        val_split (str): Stem or file of the validation images.
            Defaults to 'val'.
        eval_split (str, optional): Stem or file of the training images
            stage 2 is scored on (they need GT masks); None scores all.
    """

    def __init__(self,
                 data_root: str,
                 work_dir: str,
                 cls_labels: Optional[str] = None,
                 train_split: str = 'train',
                 val_split: str = 'val',
                 eval_split: Optional[str] = None) -> None:
        self.root = osp.abspath(data_root)
        self.img_dir = osp.join(self.root, 'JPEGImages')
        if not osp.isdir(self.img_dir):
            raise FileNotFoundError(f'{self.img_dir}: no JPEGImages folder; '
                                    '--data-root must be a VOC-layout folder')
        self.gt_dir = osp.join(self.root, 'SegmentationClass')
        if not osp.isdir(self.gt_dir):
            raise FileNotFoundError(
                f'{self.gt_dir}: the pipeline evaluates against GT masks')
        self.splits = {}
        for name, split in (('train', train_split), ('val', val_split)):
            path = _split_file(self.root, split)
            self.splits[name] = path if osp.isfile(path) else None
        if None in self.splits.values():
            ids = sorted(
                osp.splitext(osp.basename(p))[0]
                for p in glob.glob(osp.join(self.img_dir, '*.jpg')))
            if not ids:
                raise ValueError(f'{self.img_dir}: no .jpg images')
            os.makedirs(work_dir, exist_ok=True)
            path = osp.join(work_dir, 'all_images.txt')
            with atomic_write(path) as tmp, open(tmp, 'w') as f:
                f.write('\n'.join(ids) + '\n')
            pipeline_log(f'{self.root} has no split files: train and val '
                         f'both use all {len(ids)} images ({path})')
            self.splits = {k: v or path for k, v in self.splits.items()}
        self.eval_stems = None if eval_split is None else _read_split_stems(
            _split_file(self.root, eval_split))
        self.cls_labels = None
        self.has_labels = True
        if not osp.isdir(osp.join(self.root, 'Annotations')):
            cands = [cls_labels] if cls_labels else [
                osp.join(self.root, n)
                for n in ('cls_labels.npy', 'cls_labels_from_masks.npy')
            ]
            found = [c for c in cands if c and osp.isfile(c)]
            if cls_labels and not found:
                raise FileNotFoundError(f'--cls-labels {cls_labels} does not '
                                        'exist')
            if found:
                self.cls_labels = osp.abspath(found[0])
            else:  # only a config that derives them from masks can run
                self.has_labels = False

    @property
    def inference_split(self) -> str:
        """The split file stage 2 labels (the training images)."""
        return self.splits['train']

    @property
    def inference_img_dir(self) -> Optional[str]:
        """Override of the inference dataset's image folder (none: the
        data root's ``JPEGImages``, as the config's test split)."""
        return None

    def _data_options(self, dataloader: str, split: str,
                      seg_map_path: str) -> dict:
        return {
            f'{dataloader}.dataset.data_root': self.root,
            f'{dataloader}.dataset.ann_file': self.splits[split],
            f'{dataloader}.dataset.data_prefix':
            dict(img_path='JPEGImages', seg_map_path=seg_map_path),
        }

    def stage1_options(self, cfg: Config) -> dict:
        """``--cfg-options`` pointing a CAM config at this data: train on
        the train split, test on val (stage 2 points the test dataloader at
        the train split itself); no validation during training (stage 2
        evaluates the CAMs)."""
        ds = cfg.train_dataloader.dataset
        if not self.has_labels and ds.get('labels_from') != 'masks' and \
                not ds.get('cls_label_file'):
            raise FileNotFoundError(
                f'{self.root} has no Annotations/ and no cls_labels.npy, and '
                f"the config's dataset does not take its labels from the "
                "masks (labels_from='masks'); pass --cls-labels")
        opts = {}
        for name, split in (('train_dataloader', 'train'),
                            ('test_dataloader', 'val')):
            opts.update(
                self._data_options(name, split, 'SegmentationClass'))
            if self.cls_labels:
                opts[f'{name}.dataset.cls_label_file'] = self.cls_labels
        opts.update(val_cfg=None, val_dataloader=None, val_evaluator=None)
        return opts

    def affinity_options(self, cfg: Config, label_dir: str) -> dict:
        """``--cfg-options`` training an AffinityNet config on the
        training images' affinity labels in ``label_dir``."""
        return self._data_options('train_dataloader', 'train', label_dir)

    def stage3_options(self, cfg: Config, label_dir: str) -> dict:
        """``--cfg-options`` pointing a segmentation config at this data:
        train on ``label_dir``'s labels, validate and test on the val
        GT."""
        opts = self._data_options('train_dataloader', 'train', label_dir)
        for name in ('val_dataloader', 'test_dataloader'):
            opts.update(self._data_options(name, 'val', 'SegmentationClass'))
        return opts


def _dataset_keys(cfg: Config, dataloader: str) -> Optional[str]:
    """The dotted key of the innermost dataset of ``dataloader`` (through
    dataset wrappers), or None when the config has no such dataloader."""
    dl = cfg.get(dataloader)
    if not dl:
        return None
    key, ds = f'{dataloader}.dataset', dl['dataset']
    while 'dataset' in ds:
        key, ds = key + '.dataset', ds['dataset']
    if 'datasets' in ds:
        raise ValueError(f'{dataloader} concatenates datasets; a recipe '
                         "with layout='config' cannot re-point it: give "
                         'its config a single dataset')
    return key


class ConfigLayout:
    """Every stage config keeps its own datasets (VOC's ``train_aug`` and
    ``val`` splits, COCO's instance JSON, ...); only ``data_root`` is set
    where given, and the label folders are wired between the stages.

    Args:
        data_root (str, optional): Every dataset's ``data_root``; None keeps
            each config's.
        train_split (str): Stem or file (relative to the data root) of the
            images stage 2 labels, e.g. 'train_aug' or
            'annotations/instances_train2014.json'.
        img_dir (str): Their folder, relative to the data root.
        gt_dir (str): Their GT masks' folder, relative to the data root.
        eval_split (str, optional): Stem or file of the labelled images
            stage 2 is scored on (e.g. VOC's 'train', whose masks are in
            ``gt_dir``); None scores all.
    """

    def __init__(self,
                 data_root: Optional[str],
                 train_split: str,
                 img_dir: str = 'JPEGImages',
                 gt_dir: str = 'SegmentationClass',
                 eval_split: Optional[str] = None) -> None:
        self.root = osp.abspath(data_root) if data_root else None
        base = self.root or ''
        self.train_split = train_split
        self.img_dir = osp.join(base, img_dir)
        self.gt_dir = osp.join(base, gt_dir)
        self._img_prefix = img_dir
        for path, what in ((self.img_dir, 'image'), (self.gt_dir, 'GT')):
            if self.root and not osp.isdir(path):
                raise FileNotFoundError(f'{path}: no such {what} folder')
        self.eval_stems = None if eval_split is None else _read_split_stems(
            _split_file(base, eval_split))

    @property
    def inference_split(self) -> str:
        if self.root:
            return _split_file(self.root, self.train_split) if \
                self.train_split.endswith(('.txt', '.json')) else \
                self.train_split
        return self.train_split

    @property
    def inference_img_dir(self) -> str:
        return self._img_prefix

    def _root_options(self, cfg: Config) -> dict:
        if not self.root:
            return {}
        keys = [
            _dataset_keys(cfg, k)
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        ]
        return {f'{k}.data_root': self.root for k in keys if k}

    def stage1_options(self, cfg: Config) -> dict:
        return self._root_options(cfg)

    def affinity_options(self, cfg: Config, label_dir: str) -> dict:
        opts = self._root_options(cfg)
        opts[f'{_dataset_keys(cfg, "train_dataloader")}.data_prefix.'
             'seg_map_path'] = label_dir
        return opts

    def stage3_options(self, cfg: Config, label_dir: str) -> dict:
        return self.affinity_options(cfg, label_dir)


def load_config(config: Union[str, Config], work_dir: str, options: dict,
                iters: Optional[int]) -> Config:
    """``config`` with, when ``iters`` is given, the iteration schedule
    of :func:`iter_schedule_options`, and then ``options``, merged as
    ``--cfg-options`` are: the options win where both set a key (as
    ``tools/train.py --iters N --cfg-options ...``), e.g.
    ``default_hooks.logger.interval=1`` logs every iteration of the
    shortened schedule.

    Args:
        config (str | Config): Config file, or a config loaded to compute
            ``options`` from (changed in place, not loaded again).
        work_dir (str): The run's work dir.
        options (dict): Dotted options (e.g. of a layout).
        iters (int, optional): Training iterations; None keeps the config's
            schedule.

    Returns:
        Config: The merged config.
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    cfg = ensure_plugin_import(config)
    if iters is not None:
        merge_cfg_options(cfg, iter_schedule_options(cfg, iters))
    return merge_cfg_options(cfg, dict(options, work_dir=work_dir))


def schedule_length(cfg: Config) -> str:
    """'N iterations' or 'N epochs' of the config's training loop."""
    loop = cfg.get('train_cfg') or {}
    if 'max_iters' in loop:
        return f'{loop["max_iters"]} iterations'
    if 'max_epochs' in loop:
        return f'{loop["max_epochs"]} epochs'
    return 'the configured schedule'


def config_signature(cfg: Config) -> str:
    """A hash of a merged config's content."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_stage(name: str,
              stage_dir: str,
              settings: dict,
              compute: Callable[[bool], dict]) -> dict:
    """Compute a stage once: return the result recorded in
    ``stage_dir/.hfpl-stage.json`` when that manifest is of this stage, was
    finished with the same ``settings`` and the ``outputs`` it lists exist;
    otherwise call ``compute(started)`` and record its result.

    Args:
        name (str): The stage's name.
        stage_dir (str): Its folder (created).
        settings (dict): Everything its outputs depend on (JSON).
        compute (callable): Takes ``started`` (True when a run with the
            same settings was stopped before it finished: training resumes)
            and returns the result (JSON), with ``outputs``, the paths that
            must still exist for the result to stand.

    Returns:
        dict: The result, with ``run_id`` (new at every computation; the
        stages that read this one's outputs put it in their settings).
    """
    path = osp.join(stage_dir, STAGE_MANIFEST)
    sig = run_signature(dict(settings, stage=name))
    old = read_manifest(path)
    same = old is not None and old.get('stage') == name and old.get(
        'signature') == sig
    if same and old.get('finished'):
        result = old.get('result') or {}
        missing = [p for p in result.get('outputs', []) if not osp.exists(p)]
        if not missing:
            pipeline_log(f'{name}: finished before with these settings '
                         f'({path}); skipped')
            return result
        pipeline_log(f'{name}: {missing[0]} is gone; computed again')
    os.makedirs(stage_dir, exist_ok=True)
    record = dict(stage=name, signature=sig, settings=settings)
    write_manifest(path, dict(record, finished=False))
    result = compute(bool(same and not old.get('finished')))
    result = json.loads(json.dumps(dict(result, run_id=uuid.uuid4().hex),
                                   default=float))
    write_manifest(path, dict(record, finished=True, result=result))
    return result


def _train(cfg: Config, started: bool):
    """Train ``cfg`` with an mmengine Runner (resumed from the newest
    intact checkpoint when ``started``); the runner."""
    from mmengine.runner import Runner

    from ..utils.resume import find_resume_checkpoint
    if started:
        ckpt = find_resume_checkpoint(cfg.work_dir)
        if ckpt:
            pipeline_log(f'resuming the stopped run from {ckpt}')
            cfg = cfg.copy()
            cfg.resume, cfg.load_from = True, ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def _train_stage(name: str, cfg: Config) -> dict:
    def compute(started):
        runner = _train(cfg, started)
        ckpt = _last_checkpoint(cfg.work_dir)
        return dict(checkpoint=ckpt, outputs=[ckpt],
                    schedule=schedule_length(cfg), **val_metrics(runner))

    return run_stage(name, cfg.work_dir,
                     dict(config=config_signature(cfg)), compute)


def val_metrics(runner) -> dict:
    """``metrics``, the last validation's values, and ``curves``, every
    validation's values, per metric name (the runner's ``val/`` scalars;
    empty without validation)."""
    hub = runner.message_hub
    scalars = {
        k[len('val/'):]: v
        for k, v in hub.log_scalars.items() if k.startswith('val/')
        and k not in ('val/time', 'val/data_time')  # timings, not metrics
    }
    return dict(
        metrics={k: float(v.current())
                 for k, v in scalars.items()},
        curves={k: [float(x) for x in v.data[0]]
                for k, v in scalars.items()})


def train_cam_model(cfg: Config) -> dict:
    """Stage 1: train a CAM config (already pointed at the data) in its
    ``work_dir``.

    Returns:
        dict: ``checkpoint`` (the last one), ``schedule`` ('N iterations'),
        ``metrics`` / ``curves`` of the config's validation (if any),
        ``run_id``.
    """
    return _train_stage('train_cam_model', cfg)


def train_affinity_net(cfg: Config) -> dict:
    """Train an AffinityNet config (pointed at the affinity labels, e.g. by
    a layout's ``affinity_options``) in its ``work_dir``; the result as
    :func:`train_cam_model`'s."""
    return _train_stage('train_affinity_net', cfg)


def label_scores(ev: Dict) -> Dict:
    """The summary of one :func:`evaluate_label_dirs` result in percent:
    ``miou``, per-class ``iou`` (None for classes absent from both),
    background precision / recall and contour F / P / R."""

    def pct(x):
        return [None if np.isnan(v) else float(v) * 100 for v in x]

    return dict(
        miou=float(ev['mIoU']) * 100,
        iou=pct(ev['iou']),
        bg_precision=float(ev['precision'][0]) * 100,
        bg_recall=float(ev['recall'][0]) * 100,
        contour_f=float(ev['contour_f']) * 100,
        contour_p=float(ev['contour_precision']) * 100,
        contour_r=float(ev['contour_recall']) * 100,
        num_images=int(ev['num_images']))


def write_pseudo_labels(cfg: Config,
                        checkpoint: str,
                        layout,
                        out_dir: str,
                        test_cfg: Optional[dict] = None,
                        threshold: Optional[float] = None,
                        progress: bool = True) -> dict:
    """Stage 2: CAM archives of the training images, the reference's
    background-threshold sweep against their GT, and label PNGs at the
    sweep's best threshold (or ``threshold``), scored.

    Args:
        cfg (Config): The stage-1 config.
        checkpoint (str): Its trained weights.
        layout (DataLayout | ConfigLayout): The data.
        out_dir (str): Gets ``cams/``, ``labels/`` and the sweep's curve.
        test_cfg (dict, optional): Overrides of the config's
            ``model.test_cfg`` (the inference settings' one source), e.g.
            ``scales`` and ``flip``; None values are ignored.
        threshold (float, optional): The labels' background threshold;
            None takes the sweep's best. Defaults to None.
        progress (bool): A progress bar with ETA. Defaults to True.

    Returns:
        dict: ``cam_dir``, ``label_dir``, ``curve``, ``mious`` (the sweep),
        ``best_threshold``, ``best_miou``, ``threshold`` (of the labels),
        ``pl_miou``, ``contour_f`` / ``_p`` / ``_r`` (of the labels),
        ``labels`` (:func:`label_scores`), ``num_images``, ``scales``,
        ``flip``, the dataset's ``classes`` and ``palette``, ``run_id``.
    """
    test_cfg = {k: v for k, v in (test_cfg or {}).items() if v is not None}
    settings = dict(
        config=config_signature(cfg),
        checkpoint=osp.abspath(checkpoint),
        checkpoint_sha256=file_digest(checkpoint),
        split=layout.inference_split,
        gt_dir=layout.gt_dir,
        eval_stems=layout.eval_stems,
        test_cfg=test_cfg,
        threshold=threshold,
        count_absent=COUNT_ABSENT)

    def compute(started):
        model, loader = build_cam_inference(
            cfg, checkpoint, layout.inference_split,
            getattr(layout, 'root', None), test_cfg=test_cfg,
            img_dir=layout.inference_img_dir)
        scales = list(model.test_cfg['scales'])
        flip = bool(model.test_cfg['flip'])
        meta = loader.dataset.metainfo
        num_classes = len(meta['classes'])
        cam_dir = osp.join(out_dir, 'cams')
        counts = generate_pseudo_labels(
            model, loader, cam_dir, save_cams=True, overwrite=True,
            resume=True,
            settings=dict(checkpoint=checkpoint, scales=scales, flip=flip),
            progress=progress)
        del model
        if counts['failed']:
            raise RuntimeError(
                f'{counts["failed"]} images failed in stage 2')
        pipeline_log(f'scoring the CAMs over {len(THRESHOLDS)} background '
                     'thresholds')
        mious = sweep_cam_dir(
            cam_dir, layout.gt_dir, THRESHOLDS, num_classes,
            count_absent=COUNT_ABSENT, stems=layout.eval_stems,
            progress=progress)
        best = int(np.nanargmax(mious))
        curve = save_threshold_curve(THRESHOLDS, mious, out_dir)
        t = THRESHOLDS[best] if threshold is None else threshold
        label_dir = osp.join(out_dir, 'labels')
        stems = write_threshold_labels(cam_dir, label_dir, t,
                                       meta['palette'])
        pipeline_log(f'scoring the labels at threshold {t:.2f}')
        ev = evaluate_label_dirs(
            label_dir, layout.gt_dir, num_classes,
            stems=layout.eval_stems or stems, count_absent=COUNT_ABSENT,
            progress=progress)
        scores = label_scores(ev)
        return dict(
            cam_dir=cam_dir,
            label_dir=label_dir,
            curve=curve,
            mious=mious,
            best_threshold=THRESHOLDS[best],
            best_miou=mious[best],
            threshold=t,
            pl_miou=scores['miou'],
            contour_f=scores['contour_f'],
            contour_p=scores['contour_p'],
            contour_r=scores['contour_r'],
            labels=scores,
            num_images=ev['num_images'],
            scales=scales,
            flip=flip,
            classes=list(meta['classes']),
            palette=[list(c) for c in meta['palette']],
            outputs=[cam_dir, label_dir])

    return run_stage('write_pseudo_labels', out_dir, settings, compute)


def write_affinity_labels(pseudo_labels: dict,
                          layout,
                          out_dir: str,
                          **kwargs) -> dict:
    """AffinityNet's labels from the confident regions of stage 2's CAMs
    (:func:`hfpl_mm.apis.make_affinity_labels`, the reference's CRF
    settings unless ``kwargs`` say otherwise).

    Args:
        pseudo_labels (dict): :func:`write_pseudo_labels`' result.
        layout (DataLayout | ConfigLayout): The data (its ``img_dir``).
        out_dir (str): The label folder.
        **kwargs: ``alpha_low``, ``alpha_high``, ``crf``, ``img_suffix``.

    Returns:
        dict: ``label_dir``, ``count``, ``run_id``.
    """
    settings = dict(upstream=pseudo_labels['run_id'], img_dir=layout.img_dir,
                    **kwargs)

    def compute(started):
        count = make_affinity_labels(pseudo_labels['cam_dir'],
                                     layout.img_dir, out_dir,
                                     overwrite=True, **kwargs)
        return dict(label_dir=out_dir, count=count, outputs=[out_dir])

    return run_stage('write_affinity_labels', out_dir, settings, compute)


def refine_labels(cfg: Config,
                  affinity_net: dict,
                  pseudo_labels: dict,
                  layout,
                  out_dir: str,
                  **kwargs) -> dict:
    """Random-walk refinement of stage 2's CAMs with a trained AffinityNet
    (:func:`hfpl_mm.apis.refine_with_random_walk`), scored against GT.

    Args:
        cfg (Config): The AffinityNet config.
        affinity_net (dict): :func:`train_affinity_net`'s result.
        pseudo_labels (dict): :func:`write_pseudo_labels`' result.
        layout (DataLayout | ConfigLayout): The data.
        out_dir (str): The label folder.
        **kwargs: ``bg_power``, ``img_suffix``.

    Returns:
        dict: ``label_dir``, ``labels`` (:func:`label_scores`),
        ``run_id``.
    """
    settings = dict(upstream=[affinity_net['run_id'],
                              pseudo_labels['run_id']],
                    img_dir=layout.img_dir, gt_dir=layout.gt_dir,
                    eval_stems=layout.eval_stems, **kwargs)

    def compute(started):
        model = init_model(cfg, affinity_net['checkpoint'])
        # the CAMs' classes (AffinityNet itself is class-agnostic)
        meta = dict(classes=pseudo_labels['classes'],
                    palette=pseudo_labels['palette'])
        refine_with_random_walk(model, pseudo_labels['cam_dir'],
                                layout.img_dir, out_dir, meta['palette'],
                                overwrite=True, resume=started,
                                settings=dict(
                                    checkpoint=affinity_net['checkpoint']),
                                **kwargs)
        del model
        ev = evaluate_label_dirs(out_dir, layout.gt_dir,
                                 len(meta['classes']),
                                 stems=layout.eval_stems,
                                 count_absent=COUNT_ABSENT, progress=True)
        return dict(label_dir=out_dir, labels=label_scores(ev),
                    outputs=[out_dir])

    return run_stage('refine_labels', out_dir, settings, compute)


def write_predictions(model: torch.nn.Module, loader, pred_dir: str) -> None:
    """A segmentation model's predictions on ``loader`` as palette PNGs
    named by image stem, each written atomically."""
    palette = palette_bytes(loader.dataset.metainfo['palette'])
    os.makedirs(pred_dir, exist_ok=True)
    model.eval()
    with torch.no_grad():
        for data in loader:
            for res in model.test_step(data):
                stem = osp.splitext(osp.basename(res.img_path))[0]
                save_png_atomic(res.pred_sem_seg.data[0].cpu().numpy(),
                                osp.join(pred_dir, stem + '.png'), palette)


def train_segmentation(cfg: Config,
                       labels: dict,
                       pred_dir: Optional[str] = None) -> dict:
    """Stage 3: train a segmentation config (already pointed at the label
    folder of ``labels``, e.g. by a layout's ``stage3_options``) and keep
    its validation metrics.

    Args:
        cfg (Config): The segmentation config.
        labels (dict): The result of the stage whose labels it trains on
            (:func:`write_pseudo_labels` or :func:`refine_labels`): its run
            id is part of this stage's settings.
        pred_dir (str, optional): Also write the trained model's
            predictions on the validation set there (PNG).

    Returns:
        dict: ``checkpoint``, ``schedule``, ``metrics`` (the last
        validation, e.g. ``mIoU`` and ``contour/F``), ``curves`` (every
        validation), ``pred_dir``, ``run_id``.
    """
    settings = dict(config=config_signature(cfg), upstream=labels['run_id'],
                    pred_dir=pred_dir)

    def compute(started):
        runner = _train(cfg, started)
        ckpt = _last_checkpoint(cfg.work_dir)
        out = dict(checkpoint=ckpt, schedule=schedule_length(cfg),
                   pred_dir=pred_dir, outputs=[ckpt], **val_metrics(runner))
        if pred_dir is not None:
            write_predictions(runner.model, runner.val_dataloader, pred_dir)
            out['outputs'].append(pred_dir)
        return out

    return run_stage('train_segmentation', cfg.work_dir, settings, compute)


def cam_method_stages(name: str,
                      config: str,
                      layout,
                      work_dir: str,
                      cam: Optional[dict] = None,
                      pseudo_labels: Optional[dict] = None,
                      affinity: Optional[dict] = None,
                      options: Optional[dict] = None) -> Dict[str, dict]:
    """Stages 1 and 2 of one method and, with ``affinity``, AffinityNet and
    the random walk: the results per stage name.

    Args:
        name (str): The method's name (its sub-folder of ``work_dir``).
        config (str): Its CAM config.
        layout (DataLayout | ConfigLayout): The data.
        work_dir (str): The pipeline's folder.
        cam (dict, optional): ``iters`` of stage 1 (None: the config's).
        pseudo_labels (dict, optional): ``test_cfg`` overrides and
            ``threshold`` of :func:`write_pseudo_labels`.
        affinity (dict, optional): ``config``, ``iters`` and the keyword
            arguments of :func:`write_affinity_labels` (``labels``) and
            :func:`refine_labels` (``random_walk``); None skips them.
        options (dict, optional): Extra ``--cfg-options`` of stage 1 (e.g.
            ``randomness``). Defaults to None.

    Returns:
        dict: ``train_cam_model``, ``write_pseudo_labels`` and, with
        ``affinity``, ``write_affinity_labels``, ``train_affinity_net`` and
        ``refine_labels`` results.
    """
    cam, pseudo_labels = cam or {}, pseudo_labels or {}
    out = osp.join(work_dir, name)
    results = {}
    pipeline_log(f'stage 1 [{name}]: {config}')
    cfg = Config.fromfile(config)
    cfg = load_config(cfg, out,
                      dict(layout.stage1_options(cfg), **(options or {})),
                      cam.get('iters'))
    results['train_cam_model'] = train1 = train_cam_model(cfg)
    pipeline_log(f'stage 2 [{name}]: pseudo-labels from '
                 f'{train1["checkpoint"]}')
    results['write_pseudo_labels'] = r = write_pseudo_labels(
        cfg, train1['checkpoint'], layout, osp.join(out, 'pseudo'),
        pseudo_labels.get('test_cfg'), pseudo_labels.get('threshold'))
    pipeline_log(f'stage 2 [{name}]: CAM mIoU {r["best_miou"]:.2f} at '
                 f'{r["best_threshold"]:.2f}; pseudo-labels mIoU '
                 f'{r["pl_miou"]:.2f}, contour F {r["contour_f"]:.2f}')
    if affinity:
        results['write_affinity_labels'] = aff = write_affinity_labels(
            r, layout, osp.join(out, 'affinity_labels'),
            **affinity.get('labels', {}))
        pipeline_log(f'AffinityNet [{name}]: {affinity["config"]}')
        aff_cfg = Config.fromfile(affinity['config'])
        aff_cfg = load_config(
            aff_cfg, osp.join(out, 'affnet'),
            dict(layout.affinity_options(aff_cfg, aff['label_dir']),
                 **(options or {})), affinity.get('iters'))
        results['train_affinity_net'] = net = train_affinity_net(aff_cfg)
        results['refine_labels'] = rw = refine_labels(
            aff_cfg, net, r, layout, osp.join(out, 'rw_labels'),
            **affinity.get('random_walk', {}))
        pipeline_log(f'random walk [{name}]: labels mIoU '
                     f'{rw["labels"]["miou"]:.2f}, contour F '
                     f'{rw["labels"]["contour_f"]:.2f}')
    return results


def segmentation_stage(name: str,
                       config: str,
                       labels: dict,
                       layout,
                       work_dir: str,
                       iters: Optional[int] = None,
                       options: Optional[dict] = None,
                       pred_dir: Optional[str] = None) -> dict:
    """Stage 3 of one method: ``config`` trained on ``labels``' folder in
    ``work_dir/<name>/seg`` (:func:`train_segmentation`).

    Args:
        name (str): The method's name.
        config (str): The segmentation config.
        labels (dict): The label stage's result (``label_dir``, ``run_id``).
        layout (DataLayout | ConfigLayout): The data.
        work_dir (str): The pipeline's folder.
        iters (int, optional): Iterations; None keeps the config's.
        options (dict, optional): Extra ``--cfg-options``.
        pred_dir (str, optional): See :func:`train_segmentation`.

    Returns:
        dict: :func:`train_segmentation`'s result.
    """
    pipeline_log(f'stage 3 [{name}]: {config} on {labels["label_dir"]}')
    cfg = Config.fromfile(config)
    cfg = load_config(
        cfg, osp.join(work_dir, name, 'seg'),
        dict(layout.stage3_options(cfg, labels['label_dir']),
             **(options or {})), iters)
    res = train_segmentation(cfg, labels, pred_dir)
    pipeline_log(f'stage 3 [{name}]: {res["metrics"]}')
    return res


__all__ = [
    'STAGE_MANIFEST', 'THRESHOLDS', 'COUNT_ABSENT', 'DataLayout',
    'ConfigLayout', 'load_config', 'schedule_length', 'config_signature',
    'run_stage', 'train_cam_model', 'write_pseudo_labels',
    'write_affinity_labels', 'train_affinity_net', 'refine_labels',
    'train_segmentation', 'write_predictions', 'label_scores',
    'val_metrics', 'cam_method_stages', 'segmentation_stage',
    'pipeline_log'
]
