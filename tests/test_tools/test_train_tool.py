"""tools/train.py: --iters shortens the schedule consistently, and a config
whose own custom_imports replaces hfpl-mm's still builds and dumps a config
that imports the plugin."""
import os
import os.path as osp
import subprocess
import sys

from helpers import REPO, run_tool, tiny_train_cfg
from mmengine.config import Config

TWIN = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


def test_iters_scales_the_schedule(synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(TWIN, synthetic_voc, work, max_iters=50,
                         ckpt_interval=50)
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    # 8 images in batches of 2: the 5th iteration starts a second epoch
    res = run_tool('tools/train.py', path, '--iters', '5')
    log = res.stdout + res.stderr
    assert 'Iter(train) [5/5]' in log
    assert osp.isfile(osp.join(work, 'iter_5.pth'))
    # an endless sampler: mmengine does not restart the dataloader
    assert 'Reach the end of the dataloader' not in log
    dumped = Config.fromfile(osp.join(work, 'cfg.py'))
    assert dumped.train_cfg.max_iters == 5
    assert dumped.train_dataloader.sampler.type == 'InfiniteSampler'
    polys = [s for s in dumped.param_scheduler if s.type == 'PolyLR']
    assert polys and all(s.end == 5 and not s.by_epoch for s in polys)
    assert dumped.default_hooks.checkpoint.interval == 5
    bad = run_tool('tools/train.py', path, '--iters', '0', check=False)
    assert bad.returncode == 2 and '0 is not >= 1' in bad.stderr


def user_config(tmp_path, data_root, work):
    """A user's config inheriting the add-on twin, with a custom_imports of
    its own (a module of the user's project) and tiny-run settings."""
    (tmp_path / 'my_module.py').write_text('MARK = 1\n')
    path = tmp_path / 'user_cfg.py'
    path.write_text(f'''_base_ = [{osp.join(REPO, TWIN)!r}]
custom_imports = dict(imports=['my_module'], allow_failed_imports=False)
work_dir = {work!r}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={data_root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={data_root!r}))
test_dataloader = val_dataloader
''')
    return str(path)


def test_own_custom_imports_keep_the_plugin(synthetic_voc, tmp_path):
    work = str(tmp_path / 'work')
    path = user_config(tmp_path, synthetic_voc, work)
    # loading the config registers hfpl-mm (the shared base imports it),
    # although the list mmengine merged holds only the user's module
    code = ('import sys; from mmengine.config import Config; '
            f'c = Config.fromfile({path!r}); '
            "print(c.custom_imports.imports, 'hfpl_mm' in sys.modules)")
    out = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert "['my_module'] True" in out.stdout, out.stderr[-2000:]
    # tools/train.py says so, puts it back, and the dumped config has it
    res = run_tool('tools/train.py', path, '--iters', '1',
                   env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    log = res.stdout + res.stderr
    assert "custom_imports ['my_module'] of this config replaces" in log
    assert "imports=['hfpl_mm', 'my_module']" in log
    dumped = Config.fromfile(osp.join(work, 'user_cfg.py'),
                             import_custom_modules=False)
    assert dumped.custom_imports.imports == ['hfpl_mm', 'my_module']
