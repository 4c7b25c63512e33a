"""No data file or checkpoint runs code, and a
bad label file is refused with the file and entry named."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import REPO

from hfpl_mm.utils.safe_load import load_cls_labels


class WriteMarker:
    """Unpickling this object would create the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def crafted_npy(path, marker):
    # a dict like the reference's cls_labels.npy, with one poisoned value
    table = {'2007_000032': np.zeros(20, np.float32)}
    table['2007_000039'] = WriteMarker(marker)
    np.save(path, np.array(table, dtype=object))


def test_crafted_cls_labels_refused_without_running(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'cls_labels.npy')
    crafted_npy(path, marker)
    with pytest.raises(ValueError, match='cls_labels.npy: refusing to load global io.open'):
        load_cls_labels(path, 20)
    assert not osp.exists(marker)


def test_crafted_cls_labels_through_the_dataset(synthetic_voc, tmp_path):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'cls_labels.npy')
    crafted_npy(path, marker)
    cfg = dict(
        type='VOCWeakDataset',
        data_root=synthetic_voc,
        ann_file='ImageSets/Segmentation/train.txt',
        cls_label_file=path,
        pipeline=[])
    with pytest.raises(ValueError, match='refusing to load global'):
        DATASETS.build(cfg)
    assert not osp.exists(marker)
    # the legitimate file of the synthetic set loads
    cfg['cls_label_file'] = 'cls_labels.npy'
    assert len(DATASETS.build(cfg)) == 8


def test_pipeline_picks_up_label_files_safely(tmp_path):
    """tools/run_pipeline.py --data-root reads cls_labels*.npy by itself."""
    from PIL import Image
    root = tmp_path / 'data'
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'SegmentationClass').mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(
        root / 'JPEGImages' / '2007_000032.jpg')
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(
        root / 'SegmentationClass' / '2007_000032.png')
    marker = str(tmp_path / 'pwned')
    crafted_npy(str(root / 'cls_labels.npy'), marker)
    out = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--data-root', str(root),
         '--work-dir', str(tmp_path / 'work'), '--iters', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode != 0
    assert 'refusing to load global' in out.stderr
    assert not osp.exists(marker)


def test_every_entry_validated(tmp_path):
    path = str(tmp_path / 'cls_labels.npy')
    table = {f'img{i}': np.eye(20, dtype=np.float32)[i] for i in range(5)}
    np.save(path, np.array(table, dtype=object))
    assert sorted(load_cls_labels(path, 20)) == [f'img{i}' for i in range(5)]
    table['img3'] = np.zeros(21, np.float32)  # a later, wrong-length entry
    np.save(path, np.array(table, dtype=object))
    with pytest.raises(ValueError, match=r'cls_labels.npy: label of img3 has '
                       r'shape \(21,\)'):
        load_cls_labels(path, 20)
    table['img3'] = np.full(20, 2.0, np.float32)
    np.save(path, np.array(table, dtype=object))
    with pytest.raises(ValueError, match='img3 has values outside'):
        load_cls_labels(path, 20)


def test_real_label_files_load(real_mini):
    labels = load_cls_labels(osp.join(real_mini, 'voc12_cls_labels.npy'), 20)
    assert len(labels) > 1000
    vec = next(iter(labels.values()))
    assert vec.dtype == np.float32 and set(np.unique(vec)) <= {0.0, 1.0}


CHECKPOINT_PROBE = textwrap.dedent('''
    import os, sys
    import torch
    import hfpl_mm  # noqa: F401  (forces weights-only loading)
    from mmengine.runner import CheckpointLoader
    try:
        CheckpointLoader.load_checkpoint(sys.argv[1], map_location='cpu')
    except Exception as e:
        print('REFUSED', type(e).__name__, e)
    print('MARKER', os.path.exists(sys.argv[2]))
''')


@pytest.mark.parametrize('scheme', ['local', 'url'])
def test_crafted_checkpoint_refused_with_old_default(tmp_path, scheme):
    """TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 restores torch's old full-unpickle
    default; our loads pass weights_only=True explicitly, local and URL."""
    import torch
    marker = str(tmp_path / 'pwned')
    env = dict(os.environ, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD='1',
               TORCH_HOME=str(tmp_path / 'hub'))
    if scheme == 'local':
        path = str(tmp_path / 'evil.pth')
        target = path
    else:  # already in torch.hub's cache, so nothing is downloaded
        cache = tmp_path / 'hub' / 'checkpoints'
        cache.mkdir(parents=True)
        path = str(cache / 'evil.pth')
        target = 'https://example.invalid/weights/evil.pth'
    torch.save({'state_dict': {}, 'x': WriteMarker(marker)}, path)
    out = subprocess.run(
        [sys.executable, '-c', CHECKPOINT_PROBE, target, marker],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert 'REFUSED' in out.stdout, out.stdout + out.stderr
    assert 'MARKER False' in out.stdout
    assert not osp.exists(marker)


def test_history_buffer_statistics_cannot_be_swapped(tmp_path, monkeypatch):
    """A checkpoint mapping 'mean' to HistoryBuffer.max would change every
    logger's mean process-wide: refused."""
    import pickle

    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    class Swapped:
        def __reduce__(self):
            return (getattr, (HistoryBuffer, 'max'))

    buf = HistoryBuffer()
    buf.update(1.0)
    buf.update(3.0)
    state = dict(buf.__dict__, statistics_methods={'mean': Swapped()})
    # pickled as mmengine pickles a HistoryBuffer, with a crafted state
    monkeypatch.setattr(HistoryBuffer, '__getstate__', lambda self: state)
    path = str(tmp_path / 'hub.pth')
    torch.save({'message_hub': buf}, path)
    monkeypatch.undo()
    with pytest.raises(pickle.UnpicklingError, match="statistic 'mean'"):
        torch.load(path, weights_only=True)
    fresh = HistoryBuffer()
    fresh.update(1.0)
    fresh.update(3.0)
    assert fresh.mean() == 2.0


@pytest.mark.parametrize('kind', ['raw_pickle', 'truncated'])
def test_bad_checkpoint_is_named_with_what_it_is(tmp_path, kind, checkpoint):
    """A raw pickle named .pth, or a truncated checkpoint: the error names
    the file and says what it is, in stage 2's loader (mmengine's, through
    init_model), as a Pretrained init and in the WR38 converter."""
    import pickle
    path = str(tmp_path / 'bad.pth')
    if kind == 'raw_pickle':
        with open(path, 'wb') as f:
            pickle.dump({'state_dict': {'w': [1.0, 2.0]}}, f, protocol=4)
        want = 'bad.pth is not a weights-only checkpoint'
    else:
        with open(checkpoint, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
        want = 'bad.pth is not a whole checkpoint'
    from mmengine.runner import CheckpointLoader
    with pytest.raises((pickle.UnpicklingError, RuntimeError), match=want):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    from helpers import SYNTH_CAM, run_tool
    res = run_tool('tools/make_pseudo_labels.py', SYNTH_CAM, path,
                   '--out-dir', str(tmp_path / 'pl'), check=False)
    assert res.returncode != 0 and want in res.stderr
    res = run_tool('tools/model_converters/wr38_psa2mmseg.py', path,
                   str(tmp_path / 'out.pth'), check=False)
    assert res.returncode != 0 and want in res.stderr
