"""Every command, script and config named in the README exists."""
import os
import os.path as osp
import re

from helpers import REPO

README = open(osp.join(REPO, 'README.md'), encoding='utf-8').read()


def test_two_setup_commands_on_top():
    blocks = re.findall(r'```(?:bash|shell)?\n(.*?)```', README, re.S)
    first = [line for line in blocks[0].splitlines() if line.strip()]
    assert first == ['bash tools/run_main.sh', 'bash tools/run_tests.sh']
    with open(osp.join(REPO, '.ci', 'run')) as f:
        assert 'bash tools/run_tests.sh' in f.read()


def test_named_paths_exist():
    paths = set(
        re.findall(r'((?:tools|configs|benchmarks|hfpl_mm|tests|\.ci)/'
                   r'[\w./-]+\.(?:py|sh))', README))
    assert paths, 'README names no scripts or configs'
    missing = [p for p in sorted(paths) if not osp.exists(osp.join(REPO, p))]
    assert not missing, missing
    for p in paths:
        if p.endswith('.sh'):
            assert os.access(osp.join(REPO, p), os.X_OK), p


def test_paths_named_in_the_docs_exist():
    """docs/*.md name only scripts and configs that exist (the guide's own
    example files under configs/my_method/ are the user's to write, and
    tests/test_docs runs them)."""
    import glob
    for page in glob.glob(osp.join(REPO, 'docs', '*.md')):
        text = open(page, encoding='utf-8').read()
        paths = set(
            re.findall(r'((?:tools|configs|benchmarks|hfpl_mm|tests|demo)/'
                       r'[\w./-]+\.(?:py|sh|md))', text))
        missing = [
            p for p in sorted(paths)
            if not p.startswith('configs/my_method/')
            and not osp.exists(osp.join(REPO, p))
        ]
        assert not missing, (osp.basename(page), missing)
