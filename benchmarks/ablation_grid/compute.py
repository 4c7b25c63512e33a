# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Computing one cell of the ablation through the pipeline's public stage
API (:mod:`hfpl_mm.apis.stages`): nothing here trains, infers or scores by
itself. Each stage records its manifest in the cell's run folder, so a
cell stopped half-way continues from its last finished stage."""
import filecmp
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Tuple

from .cells import (AFF_CFG, FIXED_THRESHOLD, SEG_CFG, THRESHOLD_OFFSETS,
                    VARIANT_CONFIGS, Cell, cell_path)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def split_stems(root: str, split: str) -> List[str]:
    """The image names of a VOC-layout split (the datasets' reader)."""
    from hfpl_mm.datasets.voc_weak import read_split_file
    return read_split_file(
        osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'))


def split_sizes(root: str) -> Tuple[int, int]:
    """(train, val) image counts of a VOC-layout folder."""
    return len(split_stems(root, 'train')), len(split_stems(root, 'val'))


def same_files(root_a: str, root_b: str, stem: str) -> bool:
    """Whether image and mask of ``stem`` are byte-identical in both."""
    return all(
        filecmp.cmp(osp.join(root_a, sub, stem + ext),
                    osp.join(root_b, sub, stem + ext), shallow=False)
        for sub, ext in (('JPEGImages', '.jpg'), ('SegmentationClass',
                                                  '.png')))


class CellComputer:
    """Computes the cells on the synthetic data (rendered on first use).

    Args:
        work_dir (str): The ablation's folder (``data/``, ``runs/``,
            ``cells/``).
        settings (dict): A schedule of :data:`SETTINGS`.
    """

    def __init__(self, work_dir: str, settings: dict) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.s = settings

    def __call__(self, cell: Cell) -> Dict:
        return getattr(self, cell[3])(Cell(*cell))

    def data_root(self, preset: str, seed: int) -> str:
        """The synthetic set of ``preset`` / ``seed``, rendered on first
        use; a set rendered with another number of val images (an earlier
        schedule) is rendered again with the same train images (the
        generator draws them first), so finished stage-1 runs stay valid."""
        from hfpl_mm.datasets.synthetic import generate_synthetic_voc
        root = osp.join(self.work_dir, 'data', f'{preset}-seed{seed}')
        if osp.isdir(root) and split_sizes(root) == (self.s['num_train'],
                                                     self.s['num_val']):
            return root
        tmp = root + '.rendering'
        shutil.rmtree(tmp, ignore_errors=True)
        generate_synthetic_voc(tmp, self.s['num_train'], self.s['num_val'],
                               seed=seed, preset=preset)
        if osp.isdir(root):
            have, rendered = split_stems(root, 'train'), split_stems(
                tmp, 'train')
            changed = ([] if have != rendered else [
                stem for stem in have if not same_files(root, tmp, stem)
            ])
            if have != rendered or changed:
                shutil.rmtree(tmp)
                raise RuntimeError(
                    f'{root} has other train images than {preset} seed '
                    f'{seed} renders with these settings ({len(have)} '
                    f'images; differing: {changed[:3] or "the list"}): its '
                    'stage-1 runs trained on other data; use another '
                    '--work-dir')
            old = root + '.old'
            os.rename(root, old)
            os.rename(tmp, root)
            shutil.rmtree(old)
        else:
            os.rename(tmp, root)
        return root

    def cell_dir(self, cell: Cell) -> str:
        return osp.join(self.work_dir, 'runs', cell.preset,
                        f'seed{cell.seed}', cell.variant, cell.kind)

    def layout(self, cell: Cell):
        from hfpl_mm.apis.stages import DataLayout
        return DataLayout(self.data_root(cell.preset, cell.seed),
                          self.cell_dir(cell))

    def options(self, cfg, seed: int, **extra) -> dict:
        """The cell's ``--cfg-options``: the seed, and the settings'
        ``num_workers`` (if any) for every dataloader ``cfg`` keeps."""
        opts = dict(extra, randomness=dict(seed=seed))
        n = self.s.get('num_workers')
        if n is not None:
            for k in ('train_dataloader', 'val_dataloader',
                      'test_dataloader'):
                if cfg.get(k) and extra.get(k, True) is not None:
                    # mmengine keeps workers alive by default; that needs
                    # some
                    opts[f'{k}.num_workers'] = n
                    opts[f'{k}.persistent_workers'] = n > 0
        return opts

    def stage12_result(self, cell: Cell) -> Dict:
        """The stage-2 result (:func:`write_pseudo_labels`) recorded by the
        cell's stage-1+2 cell."""
        import json
        path = cell_path(self.work_dir, cell[:3] + ('stage12', ))
        with open(path) as f:
            res = json.load(f)
        if 'stage2' not in res:
            raise RuntimeError(
                f'{path} was written by an earlier hfpl-mm without the stage '
                'records its later cells read: delete it to recompute that '
                'cell (its stage-1 run is reused when its settings match)')
        return res['stage2']

    def stage12(self, cell: Cell) -> Dict:
        """Stage 1 and 2 of the cell's variant; the CAMs scored at the
        sweep's best threshold and at :data:`FIXED_THRESHOLD`."""
        from mmengine.config import Config

        from hfpl_mm.apis.stages import (COUNT_ABSENT, load_config,
                                         train_cam_model, write_pseudo_labels)
        from hfpl_mm.evaluation import evaluate_label_dirs
        from hfpl_mm.utils.cam_labels import write_threshold_labels
        out = self.cell_dir(cell)
        layout = self.layout(cell)
        config, variant_opts = VARIANT_CONFIGS[cell.variant]
        config = osp.join(REPO, config)
        cfg = Config.fromfile(config)
        cfg = load_config(
            cfg, osp.join(out, 'train'),
            self.options(cfg, cell.seed, **layout.stage1_options(cfg),
                         **variant_opts,
                         **self.s.get('stage1_options', {})),
            self.s['iters1'])
        ckpt = train_cam_model(cfg)['checkpoint']
        res = write_pseudo_labels(
            cfg, ckpt, layout, osp.join(out, 'pseudo'),
            dict(scales=self.s['scales'], flip=self.s['flip']))
        # the labels at the fixed threshold, for the fixed-threshold mIoU
        fixed_dir = osp.join(out, 'pseudo', 'labels_fixed')
        write_threshold_labels(res['cam_dir'], fixed_dir, FIXED_THRESHOLD,
                               res['palette'])
        fixed = evaluate_label_dirs(fixed_dir, layout.gt_dir,
                                    len(res['classes']),
                                    count_absent=COUNT_ABSENT)
        return dict(
            cam_miou_best=res['best_miou'],
            best_threshold=res['best_threshold'],
            cam_miou_fixed=fixed['mIoU'] * 100,
            labels=res['labels'],
            contour_f=res['contour_f'],
            contour_p=res['contour_p'],
            contour_r=res['contour_r'],
            mious=res['mious'],
            cam_dir=res['cam_dir'],
            label_dir=res['label_dir'],
            stage1_options=self.s.get('stage1_options', {}),
            stage2=res)

    def deeplab(self, cell: Cell, labels: Dict, work_dir: str,
                pred_dir: Optional[str] = None) -> Dict:
        """DeepLab-v3+ on the label folder of ``labels`` (a stage result),
        validated every ``val_every`` iterations; with ``pred_dir``, its val
        predictions are written there (PNG) for the per-class analysis."""
        import time

        from mmengine.config import Config

        from hfpl_mm.apis.stages import load_config, train_segmentation
        from hfpl_mm.utils.config import (iter_schedule_options,
                                          merge_cfg_options)
        t0 = time.time()
        layout = self.layout(cell)
        config = osp.join(REPO, SEG_CFG)
        cfg = Config.fromfile(config)
        seg_cfg = load_config(
            cfg, work_dir,
            self.options(cfg, cell.seed,
                         **layout.stage3_options(cfg, labels['label_dir'])),
            None)
        merge_cfg_options(
            seg_cfg,
            iter_schedule_options(seg_cfg, self.s['seg_iters'],
                                  val_interval=self.s['val_every']))
        res = train_segmentation(seg_cfg, labels, pred_dir)
        curve = res['curves']['mIoU']
        return dict(
            seg_miou=curve[-1],
            seg_contour_f=res['curves']['contour/F'][-1],
            seg_miou_best=max(curve),
            curve_iters=[
                min(self.s['val_every'] * (k + 1), self.s['seg_iters'])
                for k in range(len(curve))
            ],
            curve_miou=curve,
            deeplab_seconds=time.time() - t0)

    def full(self, cell: Cell) -> Dict:
        """AffinityNet on the stage-1+2 CAMs, random walk, DeepLab."""
        from mmengine.config import Config

        from hfpl_mm.apis.stages import (COUNT_ABSENT, label_scores,
                                         load_config, refine_labels,
                                         train_affinity_net,
                                         write_affinity_labels)
        from hfpl_mm.evaluation import evaluate_label_dirs
        s12 = self.stage12_result(cell)
        out = self.cell_dir(cell)
        layout = self.layout(cell)
        aff = write_affinity_labels(s12, layout,
                                    osp.join(out, 'affinity_labels'))
        config = osp.join(REPO, AFF_CFG)
        cfg = Config.fromfile(config)
        aff_cfg = load_config(
            cfg, osp.join(out, 'affnet'),
            self.options(cfg, cell.seed,
                         **layout.affinity_options(cfg, aff['label_dir'])),
            self.s['aff_iters'])
        net = train_affinity_net(aff_cfg)
        rw = refine_labels(aff_cfg, net, s12, layout,
                           osp.join(out, 'rw_labels'))
        pred_dir = osp.join(out, 'seg_val_pred')
        seg = self.deeplab(cell, rw, osp.join(out, 'seg'), pred_dir)
        val = evaluate_label_dirs(pred_dir, layout.gt_dir,
                                  len(s12['classes']),
                                  count_absent=COUNT_ABSENT)
        return dict(
            seg,
            rw_miou=rw['labels']['miou'],
            rw_contour_f=rw['labels']['contour_f'],
            rw_labels=rw['labels'],
            seg_val=label_scores(val))

    def thresholds(self, cell: Cell) -> Dict:
        """DeepLab on the stage-2 labels (no random walk) at the sweep's
        best threshold and 0.1 either side: which label set trains the best
        segmentation model, and what the random walk adds."""
        from hfpl_mm.apis.stages import (COUNT_ABSENT, label_scores,
                                         run_stage)
        from hfpl_mm.evaluation import evaluate_label_dirs
        from hfpl_mm.utils.cam_labels import write_threshold_labels
        s12 = self.stage12_result(cell)
        out = self.cell_dir(cell)
        layout = self.layout(cell)
        best = s12['best_threshold']
        rows = []
        for t in (best + d for d in THRESHOLD_OFFSETS):
            t = round(min(max(t, 0.0), 0.99), 2)
            label_dir = osp.join(out, f't{t:.2f}', 'labels')

            def compute(started, t=t, label_dir=label_dir):
                write_threshold_labels(s12['cam_dir'], label_dir, t,
                                       s12['palette'])
                ev = evaluate_label_dirs(label_dir, layout.gt_dir,
                                         len(s12['classes']),
                                         count_absent=COUNT_ABSENT)
                return dict(label_dir=label_dir, labels=label_scores(ev),
                            outputs=[label_dir])

            labels = run_stage('threshold_labels', label_dir,
                               dict(upstream=s12['run_id'], threshold=t),
                               compute)
            seg = self.deeplab(cell, labels,
                               osp.join(out, f't{t:.2f}', 'seg'))
            rows.append(dict(threshold=t, labels=labels['labels'],
                             seg_miou=seg['seg_miou'],
                             seg_miou_best=seg['seg_miou_best'],
                             curve_miou=seg['curve_miou']))
        return dict(best_threshold=best, rows=rows)
