"""docs/add_hfpl_to_your_method.md as a new user follows it: the example
head and its two configs, copied from the page as written, train with the
add-on, write pseudo-labels and run the demo."""
import os
import os.path as osp
import re

import pytest
import torch
from helpers import (REPO, check_stage2_and_demo, make_user_project,
                     tiny_train_cfg)

GUIDE = osp.join(REPO, 'docs', 'add_hfpl_to_your_method.md')


def guide_files():
    """{path: text} of the page's python blocks whose first line names a
    file (``# my_heads.py``)."""
    text = open(GUIDE, encoding='utf-8').read()
    files = {}
    for block in re.findall(r'```python\n(.*?)```', text, re.S):
        first = block.splitlines()[0]
        m = re.fullmatch(r'# ([\w/.-]+\.py)', first)
        if m:
            files[m.group(1)] = block
    return files


@pytest.fixture
def user_project(tmp_path, monkeypatch):
    """The guide's files in a copy of the layout they are written for:
    my_heads.py at the root, the configs in configs/my_method/ next to the
    repository's configs."""
    files = guide_files()
    assert set(files) == {
        'my_heads.py',
        'configs/my_method/topk-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
        'configs/my_method/hfpl-topk-cam_r18h-d8_1xb8-400i_synthvoc-'
        '128x128.py'
    }
    root = make_user_project(tmp_path / 'project', files)
    monkeypatch.syspath_prepend(str(root))
    return root


def test_example_head_trains_with_the_addon_and_runs_stage2_and_demo(
        user_project, synthetic_voc, tmp_path):
    from mmengine.runner import Runner

    twin = str(user_project / 'configs' / 'my_method' /
               'hfpl-topk-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py')
    work = str(tmp_path / 'work')
    cfg = tiny_train_cfg(twin, synthetic_voc, work, max_iters=3)
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert type(model.decode_head).__name__ == 'TopKCAMHead'
    # the head's own pooling gives the image logits: the top quarter
    model.eval()
    with torch.no_grad():
        cams = model.forward_cams(torch.randn(1, 3, 64, 64))
    flat = cams.flatten(2)
    k = round(0.25 * flat.shape[-1])
    want = flat.sort(-1, descending=True).values[..., :k].mean(-1)
    assert model.image_logits(cams).allclose(want)
    check_stage2_and_demo(
        cfg, twin, osp.join(work, 'iter_3.pth'), synthetic_voc, tmp_path,
        env=dict(os.environ, PYTHONPATH=str(user_project)))


def test_baseline_and_twin_differ_only_in_the_addon(user_project):
    from mmengine.config import Config
    folder = user_project / 'configs' / 'my_method'
    base = Config.fromfile(
        str(folder / 'topk-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'))
    twin = Config.fromfile(
        str(folder / 'hfpl-topk-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'))
    assert base.model.get('addon') is None
    assert twin.model.addon.type == 'HFPLAddon'
    a, b = base.to_dict(), twin.to_dict()
    b['model'].pop('addon')
    for k in [k for k in b if k.startswith('hfpl_')]:
        b.pop(k)
    assert a == b


def test_the_head_without_the_guide_s_pieces_is_refused(user_project):
    """The head of the new user who merged the add-on into it: refused when
    built, naming where the add-on goes."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(
        user_project / 'configs' / 'my_method' /
        'hfpl-topk-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'))
    model = cfg.model.to_dict()
    model['decode_head']['loss_isl'] = model.pop('addon')['loss_isl']
    with pytest.raises(ValueError, match='TopKCAMHead.*model.addon'):
        MODELS.build(model)
