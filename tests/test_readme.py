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
    example files under configs/my_method/ and configs/my_data/ are the
    user's to write, and tests/test_docs runs them)."""
    import glob
    for page in glob.glob(osp.join(REPO, 'docs', '*.md')):
        text = open(page, encoding='utf-8').read()
        paths = set(
            re.findall(r'((?:tools|configs|benchmarks|hfpl_mm|tests|demo)/'
                       r'[\w./-]+\.(?:py|sh|md))', text))
        missing = [
            p for p in sorted(paths)
            if not p.startswith(('configs/my_method/', 'configs/my_data/'))
            and not osp.exists(osp.join(REPO, p))
        ]
        assert not missing, (osp.basename(page), missing)


def doc_pages():
    import glob
    return [osp.join(REPO, 'README.md')] + sorted(
        glob.glob(osp.join(REPO, 'docs', '*.md')))


def doc_commands():
    """(page, script, flags) of every `python <script>` / `bash <launcher>`
    command in the README and docs/*.md: lines of their code blocks (with
    continuations joined) and inline code spans."""
    out = []
    for page in doc_pages():
        text = open(page, encoding='utf-8').read()
        blocks = re.findall(r'```(?:bash|shell)?\n(.*?)```', text, re.S)
        lines = [line for b in blocks
                 for line in b.replace('\\\n', ' ').splitlines()]
        lines += re.findall(r'`((?:python|bash) [^`]+)`', text)
        for line in lines:
            line = line.split('#')[0]
            m = re.search(r'(?:python|bash) ((?:tools|benchmarks|demo)/'
                          r'[\w/-]+\.(?:py|sh))(.*)', line)
            if m:
                out.append((osp.basename(page), m.group(1),
                            set(re.findall(r'(?<![\w-])--[a-z][\w-]*',
                                           m.group(2)))))
    return out


def test_every_documented_option_exists():
    """Each --option a documented command uses is one its script's --help
    lists (the launchers pass theirs to the Python tool they start)."""
    import subprocess
    import sys
    launches = {
        'dist_train.sh': 'tools/train.py', 'slurm_train.sh': 'tools/train.py',
        'dist_test.sh': 'tools/test.py', 'slurm_test.sh': 'tools/test.py',
        'dist_make_pseudo_labels.sh': 'tools/make_pseudo_labels.py',
        'slurm_make_pseudo_labels.sh': 'tools/make_pseudo_labels.py',
    }
    commands = doc_commands()
    assert len(commands) > 20, commands
    helps = {}
    bad = []
    for page, script, flags in commands:
        if script.endswith('.sh'):
            script = launches.get(osp.basename(script))
            if script is None:
                continue
        if not flags:
            continue
        if script not in helps:
            out = subprocess.run([sys.executable, script, '--help'],
                                 cwd=REPO, capture_output=True, text=True,
                                 timeout=300)
            assert out.returncode == 0, (script, out.stderr[-2000:])
            helps[script] = out.stdout
        bad += [(page, script, f) for f in sorted(flags)
                if not re.search(re.escape(f) + r'(?![\w-])', helps[script])]
    assert not bad, bad
