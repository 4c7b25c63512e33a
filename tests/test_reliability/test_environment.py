"""The tools of a clone import that clone's hfpl_mm, not
the one the shared environment was last installed from."""
import glob
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from helpers import REPO

TOOLS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py'])
def test_tool_imports_its_own_clone(tool, tmp_path):
    clone = tmp_path / 'other_clone'
    (clone / osp.dirname(tool)).mkdir(parents=True)
    shutil.copy(osp.join(REPO, tool), clone / tool)
    (clone / 'hfpl_mm').mkdir()
    (clone / 'hfpl_mm' / '__init__.py').write_text(
        'print("IMPORTED", __file__)\nraise SystemExit(7)\n')
    args = ['cfg.py'] if tool.endswith('train.py') else ['cfg.py', 'x.pth']
    out = subprocess.run([sys.executable, str(clone / tool), *args],
                         cwd=str(tmp_path), capture_output=True, text=True,
                         timeout=300)
    assert f'IMPORTED {clone / "hfpl_mm" / "__init__.py"}' in out.stdout, (
        out.stdout + out.stderr)
    # while this interpreter's own import is this checkout's
    import hfpl_mm
    assert osp.dirname(osp.dirname(hfpl_mm.__file__)) == REPO


@pytest.mark.parametrize('tool', TOOLS)
def test_every_tool_puts_its_clone_first(tool):
    src = open(osp.join(REPO, tool)).read()
    assert 'sys.path.insert(0' in src
