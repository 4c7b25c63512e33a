"""configs/<method>/README.md and metafile.yaml (mmseg's model-index
format) describe every config of their folder."""
import glob
import os.path as osp

import pytest
import yaml
from helpers import REPO

# model configs; configs/pipelines holds recipes (tests/test_apis/
# test_pipeline.py loads them, test_recipe_folder_lists_every_recipe below)
FOLDERS = sorted(
    osp.basename(d) for d in glob.glob(osp.join(REPO, 'configs', '*'))
    if osp.isdir(d) and osp.basename(d) not in ('_base_', 'pipelines'))


def test_model_index_imports_every_metafile():
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    assert sorted(index['Import']) == [
        f'configs/{f}/metafile.yaml' for f in FOLDERS
    ]


@pytest.mark.parametrize('folder', FOLDERS)
def test_readme_and_metafile_list_every_config(folder):
    root = osp.join(REPO, 'configs', folder)
    configs = sorted(osp.basename(p) for p in glob.glob(osp.join(root,
                                                                 '*.py')))
    readme = open(osp.join(root, 'README.md')).read()
    for name in configs:
        assert f'[`{name}`](./{name})' in readme, name
    assert '## Citation' in readme and 'jonnarth2024hfpl' in readme
    meta = yaml.safe_load(open(osp.join(root, 'metafile.yaml')))
    collections = {c['Name'] for c in meta['Collections']}
    for c in meta['Collections']:
        assert c['README'] == f'configs/{folder}/README.md'
        assert c['Paper']['URL'].startswith('https://')
    models = meta['Models']
    assert sorted(m['Config'] for m in models) == [
        f'configs/{folder}/{n}' for n in configs
    ]
    for m in models:
        assert m['Name'] == osp.basename(m['Config'])[:-3]
        assert m['In Collection'] in collections
        assert osp.isfile(osp.join(REPO, m['Config']))
        assert {'Training Data', 'Batch Size', 'Architecture'} <= set(
            m['Metadata'])
        assert 'Weights' not in m  # none are released (README says so)
        if m['Name'].startswith('hfpl-'):
            assert 'HFPL' in m['Metadata']['Architecture']


def test_recipe_folder_lists_every_recipe():
    root = osp.join(REPO, 'configs', 'pipelines')
    readme = open(osp.join(root, 'README.md')).read()
    for path in glob.glob(osp.join(root, '*.py')):
        name = osp.basename(path)
        assert f'[`{name}`](./{name})' in readme, name
