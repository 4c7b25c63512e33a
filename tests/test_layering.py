"""Where code lives: the layers import downwards only, and the benchmarks
use the package's public names."""
import ast
import glob
import os.path as osp

import pytest
from helpers import REPO

#: Packages below ``apis`` (inference and the pipeline's stages).
LOWER = ('engine', 'models', 'datasets', 'evaluation', 'utils',
         'visualization')


def imported_modules(path):
    """(module, names) of every import in a file, relative ones resolved
    against the file's package."""
    pkg = osp.relpath(osp.dirname(path), REPO).replace(osp.sep, '.')
    out = []
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level:
                base = pkg.split('.')
                base = base[:len(base) - node.level + 1]
                mod = '.'.join(base + ([mod] if mod else []))
            out.append((mod, [a.name for a in node.names]))
    return out


@pytest.mark.parametrize('package', LOWER)
def test_lower_layers_do_not_import_apis(package):
    files = glob.glob(osp.join(REPO, 'hfpl_mm', package, '**', '*.py'),
                      recursive=True)
    assert files
    for path in files:
        for mod, names in imported_modules(path):
            assert not mod.startswith('hfpl_mm.apis'), (path, mod)
            assert not (mod == 'hfpl_mm' and 'apis' in names), path


def test_imports_resolve_relative_ones():
    # the checker itself: a relative import two levels up is seen
    path = osp.join(REPO, 'hfpl_mm', 'engine', 'hooks',
                    'cam_visualization_hook.py')
    mods = [m for m, _ in imported_modules(path)]
    assert 'hfpl_mm.visualization' in mods


def test_benchmarks_use_public_names_only():
    files = [osp.join(REPO, 'benchmarks', 'ablation.py')] + glob.glob(
        osp.join(REPO, 'benchmarks', 'ablation_grid', '*.py'))
    for path in files:
        for mod, names in imported_modules(path):
            if mod.startswith('hfpl_mm'):
                private = [n for n in names if n.startswith('_')]
                assert not private, (path, mod, private)
                assert not any(p.startswith('_') for p in mod.split('.')), \
                    (path, mod)
