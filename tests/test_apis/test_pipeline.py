"""The pipeline: the main job end to end, shrunk (the full default run is
the README's first command), recipes, and reruns that skip finished
stages."""
import glob
import json
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO
from PIL import Image

from hfpl_mm.apis.pipeline import load_recipe, run_pipeline
from hfpl_mm.apis.stages import STAGE_MANIFEST, run_stage
from hfpl_mm.utils.cam_labels import BG_THRESHOLDS

CFG = {
    'baseline': 'configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
    'hfpl': 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'
}
SEG = ('configs/synthetic/deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-'
       '128x128.py')


def miou_by_hand(label_dir, gt_dir):
    """mIoU (%) over the classes in GT or prediction, GT 255 ignored."""
    inter, union = np.zeros(256), np.zeros(256)
    for path in sorted(glob.glob(osp.join(label_dir, '*.png'))):
        pred = np.array(Image.open(path)).astype(int)
        gt = np.array(Image.open(osp.join(gt_dir, osp.basename(path))))
        keep = gt != 255
        for c in range(21):
            p, g = (pred == c) & keep, (gt == c) & keep
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    present = union > 0
    return 100 * float((inter[present] / union[present]).mean())


def main_job_recipe(root, iters3=2):
    """The main job's recipe, shrunk."""
    return dict(
        data=dict(root=root, layout='voc'),
        methods={k: osp.join(REPO, v) for k, v in CFG.items()},
        cam=dict(iters=2),
        pseudo_labels=dict(test_cfg=dict(scales=(1.0, ))),
        segmentation=dict(config=osp.join(REPO, SEG), iters=iters3,
                          on=['hfpl']))


def test_pipeline_on_synthetic(synthetic_voc, tmp_path, monkeypatch):
    work = str(tmp_path / 'pipe')
    ctx = run_pipeline(main_job_recipe(synthetic_voc), work)
    assert set(ctx['results']) == {'baseline', 'hfpl'}
    gt_dir = osp.join(synthetic_voc, 'SegmentationClass')
    for r in ctx['results'].values():
        assert r['num_images'] == 8
        assert len(r['mious']) == len(BG_THRESHOLDS)  # the reference grid
        # the reported pseudo-label mIoU is that of the PNGs written, and
        # they are the labels at the best threshold of the sweep
        assert abs(r['pl_miou'] - miou_by_hand(r['label_dir'], gt_dir)) < 1e-6
        assert abs(r['pl_miou'] - max(r['mious'])) < 1e-6
        assert r['best_threshold'] == BG_THRESHOLDS[int(np.argmax(
            r['mious']))]
        assert 0 <= r['contour_f'] <= 100
    # the iteration options reached both training runs
    assert ctx['iters1'] == ctx['iters3'] == '2 iterations'
    for name in ('baseline', 'hfpl'):
        assert osp.isfile(osp.join(work, name, 'iter_2.pth'))
    assert osp.isfile(osp.join(work, 'hfpl', 'seg', 'iter_2.pth'))
    assert 'mIoU' in ctx['seg']['hfpl'] and 'contour/F' in ctx['seg']['hfpl']
    report = open(osp.join(work, 'report.md')).read()
    assert '| baseline |' in report and '| hfpl |' in report
    assert 'Stage 1: 2 iterations' in report
    hfpl = ctx['results']['hfpl']
    assert f'| {hfpl["pl_miou"]:.2f} |' in report
    assert osp.isfile(osp.join(work, 'figures', 'threshold_curves.png'))
    assert len(ctx['overlays']) == 4
    data = json.load(open(osp.join(work, 'report.json')))
    assert data['results']['hfpl']['best_threshold'] in BG_THRESHOLDS

    # a rerun skips every finished stage: nothing trains or infers
    import mmengine.runner

    import hfpl_mm.apis.stages as stages

    def refuse(*args, **kwargs):
        raise AssertionError('a finished stage was computed again')

    with monkeypatch.context() as m:
        m.setattr(mmengine.runner.Runner, 'from_cfg', refuse)
        m.setattr(stages, 'build_cam_inference', refuse)
        again = run_pipeline(main_job_recipe(synthetic_voc), work)
    for name in ('baseline', 'hfpl'):
        for key in ('mious', 'pl_miou', 'contour_f', 'label_dir'):
            assert again['results'][name][key] == ctx['results'][name][key]
    assert again['seg'] == ctx['seg']
    # another stage-3 schedule recomputes stage 3 only
    trained = []
    real = mmengine.runner.Runner.from_cfg

    def spy(cfg):
        trained.append(cfg.work_dir)
        return real(cfg)

    with monkeypatch.context() as m:
        m.setattr(mmengine.runner.Runner, 'from_cfg', spy)
        m.setattr(stages, 'build_cam_inference', refuse)
        third = run_pipeline(main_job_recipe(synthetic_voc, iters3=3), work)
    assert trained == [osp.join(work, 'hfpl', 'seg')]
    assert third['iters3'] == '3 iterations'
    assert osp.isfile(osp.join(work, 'hfpl', 'seg', 'iter_3.pth'))


def test_stage_records_and_skips(tmp_path):
    calls = []

    def compute(started, fail=False):
        calls.append(started)
        if fail:
            raise KeyboardInterrupt  # stopped half-way
        out = tmp_path / 'out.txt'
        out.write_text('x')
        return dict(value=len(calls), outputs=[str(out)])

    folder = str(tmp_path / 'stage')
    try:
        run_stage('demo', folder, dict(a=1), lambda s: compute(s, True))
    except KeyboardInterrupt:
        pass
    manifest = json.load(open(osp.join(folder, STAGE_MANIFEST)))
    assert manifest['finished'] is False and manifest['stage'] == 'demo'
    # the same settings after a stop: computed, told it had started
    first = run_stage('demo', folder, dict(a=1), compute)
    assert calls == [False, True] and first['value'] == 2
    # finished: the recorded result, nothing computed
    assert run_stage('demo', folder, dict(a=1), compute) == first
    assert calls == [False, True]
    # other settings: computed again, from scratch
    assert run_stage('demo', folder, dict(a=2), compute)['value'] == 3
    assert calls[-1] is False
    # an output gone: computed again
    (tmp_path / 'out.txt').unlink()
    assert run_stage('demo', folder, dict(a=2), compute)['value'] == 4
    assert first['run_id'] != run_stage('demo', folder, dict(a=3),
                                        compute)['run_id']


def write_voc_recipe(root, path):
    """A recipe with the shape of the reference's VOC recipe (its file as
    the base: train_aug labelled, train scored, AffinityNet, random walk,
    the final network on the refined labels), on the synthetic configs."""
    synth = osp.join(REPO, 'configs', 'synthetic')
    cam = osp.join(synth, osp.basename(CFG['hfpl']))
    text = f'''_base_ = [{osp.join(REPO, 'configs', 'pipelines',
                               'hfpl-seam_wr38_voc12aug.py')!r}]
data = dict(root={root!r}, eval_split='ImageSets/Segmentation/scored.txt')
methods = dict(_delete_=True, hfpl={cam!r})
cam = dict(iters=2)
pseudo_labels = dict(test_cfg=dict(scales=(1.0, ), flip=False))
affinity = dict(
    config={osp.join(synth, 'affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py')!r},
    iters=2)
segmentation = dict(config={osp.join(REPO, SEG)!r}, iters=2)
'''
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def test_voc_layout_recipe_end_to_end_and_rerun(synthetic_voc, tmp_path):
    # a VOC-layout folder with a train_aug split (all training images get
    # labels) and a scored subset with masks (as VOC's train in train_aug)
    root = str(tmp_path / 'VOC2012')
    shutil.copytree(synthetic_voc, root)
    sets = osp.join(root, 'ImageSets', 'Segmentation')
    shutil.copy(osp.join(sets, 'train.txt'), osp.join(sets, 'train_aug.txt'))
    with open(osp.join(sets, 'train.txt')) as f:
        scored = f.read().split()[:5]
    with open(osp.join(sets, 'scored.txt'), 'w') as f:
        f.write('\n'.join(scored) + '\n')
    recipe = write_voc_recipe(root, tmp_path / 'recipe.py')
    work = str(tmp_path / 'pipe')
    cmd = [sys.executable, 'tools/run_pipeline.py', recipe, '--work-dir',
           work]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    ctx = json.load(open(osp.join(work, 'report.json')))
    r = ctx['results']['hfpl']
    # every train_aug image got CAMs and labels; 5 train images are scored
    assert len(glob.glob(osp.join(r['cam_dir'], '*.npz'))) == 8
    assert r['num_images'] == 5
    rw = osp.join(work, 'hfpl', 'rw_labels')
    assert len(glob.glob(osp.join(rw, '*.png'))) == 8
    assert set(ctx['refined']['hfpl']) >= {'miou', 'contour_f'}
    assert ctx['seg_labels'] == 'random-walk'
    assert 'mIoU' in ctx['seg']['hfpl']
    report = open(osp.join(work, 'report.md')).read()
    assert '## Random-walk labels' in report
    # stage 2's parts each show a progress bar with ETA after their line
    log = out.stdout
    for line in ('pseudo-labels from', 'scoring the CAMs over 60',
                 'scoring the labels at threshold'):
        after = log[log.index(line):]
        after = after[:after.index('[pipeline]', len(line))]
        assert 'ETA' in after, (line, after[:500])
    # stage 3 trained on the random-walk labels
    seg_cfg = glob.glob(osp.join(work, 'hfpl', 'seg', '*.py'))[0]
    assert rw in open(seg_cfg).read()
    # the rerun skips all six stages
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                           timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    skipped = [line for line in again.stdout.splitlines()
               if 'finished before with these settings' in line]
    assert len(skipped) == 6, again.stdout[-3000:]
    assert json.load(open(osp.join(work, 'report.json')))['seg'] == \
        ctx['seg']


@pytest.mark.parametrize('recipe', sorted(
    glob.glob(osp.join(REPO, 'configs', 'pipelines', '*.py'))))
def test_bundled_recipes_load(recipe):
    rec = load_recipe(recipe)
    assert rec.methods and all(osp.isfile(c) for c in rec.methods.values())


def test_recipe_mistakes_are_named(tmp_path):
    base = dict(methods=dict(hfpl=osp.join(REPO, CFG['hfpl'])))
    with pytest.raises(ValueError, match=r"unknown keys \['stage3'\]"):
        load_recipe(dict(base, stage3=dict()))
    with pytest.raises(ValueError, match='no methods'):
        load_recipe(dict(methods=dict()))
    with pytest.raises(FileNotFoundError, match='missing.py does not exist'):
        load_recipe(dict(methods=dict(hfpl='configs/missing.py')))
    with pytest.raises(ValueError, match=r"segmentation.on names \['cam'\]"):
        load_recipe(dict(base, segmentation=dict(
            config=osp.join(REPO, SEG), on=['cam'])))
    with pytest.raises(ValueError, match="data.layout must be"):
        load_recipe(dict(base, data=dict(layout='coco')))


def test_pipeline_cli_on_real_mini(real_mini, tmp_path):
    root = osp.join(real_mini, 'voc2012_official_gt')
    out = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--data-root', root,
         '--work-dir', str(tmp_path / 'pipe'), '--iters', '2',
         '--seg-iters', '2', '--scales', '1.0', '--seg-on', 'hfpl'],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert 'train and val both use all 5 images' in out.stdout
    assert '# hfpl-mm pipeline report' in out.stdout


def test_cli_documents_every_option():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'run_pipeline_tool', osp.join(REPO, 'tools', 'run_pipeline.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    actions = [a for a in tool.build_parser()._actions
               if a.option_strings and a.dest != 'help']
    assert len(actions) >= 14
    for a in actions:
        assert a.help and len(a.help) > 10, a.option_strings
    assert tool.default_root('default', 0) == 'data/synthvoc'
    assert tool.default_root('hard', 2) == 'data/synthvoc-hard-seed2'


def test_cli_missing_data_root_says_how_to_render(tmp_path):
    missing = str(tmp_path / 'nowhere')
    out = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--data-root', missing,
         '--seed', '3'], cwd=REPO, capture_output=True, text=True,
        timeout=300)
    assert out.returncode == 2
    assert f'--data-root {missing} does not exist; add --render' in out.stderr
    assert 'seed 3' in out.stderr
    assert not osp.exists(missing)


def test_label_scores_from_an_evaluation():
    from hfpl_mm.apis.stages import label_scores
    ev = dict(mIoU=0.5, iou=np.array([0.9, np.nan, 0.1]),
              precision=np.array([0.8, 0.5, 0.5]),
              recall=np.array([0.6, 0.5, 0.5]), contour_f=0.25,
              contour_precision=0.5, contour_recall=0.125, num_images=3)
    assert label_scores(ev) == dict(
        miou=50.0, iou=[90.0, None, 10.0], bg_precision=80.0,
        bg_recall=60.0, contour_f=25.0, contour_p=50.0, contour_r=12.5,
        num_images=3)


def test_stage_options_override_the_shortened_schedule(tmp_path):
    """A stage's options win over the iteration schedule it is shortened
    to (as tools/train.py's --cfg-options win over --iters): a logger
    interval of 1 stays 1, the loop is the schedule's."""
    from hfpl_mm.apis.stages import load_config
    cfg = load_config(
        osp.join(REPO, CFG['hfpl']), str(tmp_path), {
            'default_hooks.logger.interval': 1,
            'log_processor.window_size': 1,
            'train_dataloader.sampler.type': 'DefaultSampler'
        }, 7)
    assert cfg.default_hooks.logger.interval == 1
    assert cfg.default_hooks.logger.log_metric_by_epoch is False
    assert cfg.log_processor.window_size == 1
    assert cfg.log_processor.by_epoch is False
    assert cfg.train_cfg.max_iters == 7
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    assert cfg.work_dir == str(tmp_path)
    # without options, the schedule's interval: 400 iterations log every 50
    cfg = load_config(osp.join(REPO, CFG['hfpl']), str(tmp_path), {}, 400)
    assert cfg.default_hooks.logger.interval == 50


STOP = {'at': None}


def test_stopped_training_stage_resumes(synthetic_voc, tmp_path):
    """A training stage stopped after its checkpoint at iteration 2 is,
    called again with the same settings, resumed from that checkpoint and
    finished at iteration 4 (not started again)."""
    from helpers import SYNTH_CAM, tiny_train_cfg
    from mmengine.hooks import Hook
    from mmseg.registry import HOOKS

    from hfpl_mm.apis.stages import train_cam_model

    @HOOKS.register_module(force=True)
    class StopForTest(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if STOP['at'] is not None and runner.iter + 1 == STOP['at']:
                raise KeyboardInterrupt  # killed during iteration 3

    work = str(tmp_path / 'cam')
    cfg = tiny_train_cfg(SYNTH_CAM, synthetic_voc, work, max_iters=4,
                         ckpt_interval=2)
    cfg.custom_hooks = [dict(type='StopForTest')]
    STOP['at'] = 3
    with pytest.raises(KeyboardInterrupt):
        train_cam_model(cfg)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert not osp.isfile(osp.join(work, 'iter_4.pth'))
    STOP['at'] = None
    res = train_cam_model(cfg)
    assert res['checkpoint'].endswith('iter_4.pth')
    logs = sorted(glob.glob(osp.join(work, '*', '*.log')))
    last = open(logs[-1]).read()
    assert 'resumed' in last.lower() or 'Load checkpoint' in last
    assert 'Iter(train) [1/4]' not in last  # continued, not restarted
    assert 'Iter(train) [4/4]' in last


def test_eval_split_read_as_the_datasets_read_it(tmp_path):
    """The images stage 2 is scored on are the split file's ids as
    ``read_split_file`` reads them (their file stems), and the split file's
    mistakes are its errors."""
    from hfpl_mm.apis.stages import DataLayout
    root = tmp_path / 'voc'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    for name in ('train', 'val'):
        (root / 'ImageSets' / 'Segmentation' / f'{name}.txt').write_text(
            '2007_000032\n')
    split = root / 'ImageSets' / 'Segmentation' / 'scored.txt'
    split.write_text('2007_000032\n\n  2007_000039  \nextra/2008_000001\n')
    layout = DataLayout(str(root), str(tmp_path / 'work'),
                        eval_split='scored')
    assert layout.eval_stems == ['2007_000032', '2007_000039', '2008_000001']
    split.write_text('2007_000032\n2007_000032\n')
    with pytest.raises(ValueError, match=r'scored\.txt.*repeats line 1'):
        DataLayout(str(root), str(tmp_path / 'work'), eval_split='scored')
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        DataLayout(str(root), str(tmp_path / 'work'), eval_split='missing')
