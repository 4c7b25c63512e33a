# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Reading data files without running code from them.

``cls_labels.npy`` (the reference's image-level labels) is a pickled dict
``{image id: float[20]}`` inside a 0-d object array, so ``np.load`` needs
``allow_pickle=True``, which would run whatever a crafted file asks for. Here
the pickle is read by an unpickler that admits only what such a file holds
(numpy arrays, dtypes and scalars; dicts, strings and numbers need no
global), and anything else is refused before it is called.
"""
import io
import os
import pickle
from typing import Dict, Sequence

import numpy as np

# (module, name) pairs a pickled numpy array may reference; numpy 2 writes
# numpy._core, files written by numpy 1 name numpy.core; pickle protocol 2
# (Python 2 era files) encodes bytes with _codecs.encode(str, 'latin1')
_NUMPY_GLOBALS = {
    (mod, name)
    for mod in ('numpy.core.multiarray', 'numpy._core.multiarray')
    for name in ('_reconstruct', 'scalar')
} | {('numpy', 'ndarray'), ('numpy', 'dtype')}


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """Stands for ``_codecs.encode`` in a pickle: latin-1 only (what
    protocol 2 uses for bytes), no codec lookup by name."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise pickle.UnpicklingError(
            f'refusing _codecs.encode with encoding {encoding!r}')
    return text.encode('latin1')


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only numpy's array / dtype / scalar
    reconstructors (and a latin-1-only stand-in for ``_codecs.encode``);
    every other global (``os.system``, ``builtins.eval``,
    ...) raises :class:`pickle.UnpicklingError` instead of being looked up.
    """

    def find_class(self, module: str, name: str):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        if (module, name) == ('_codecs', 'encode'):
            return _latin1_encode
        raise pickle.UnpicklingError(
            f'refusing to load global {module}.{name}: only numpy arrays, '
            'dtypes and plain containers are allowed in a data file')


def load_npy_no_code(path: str):
    """Load a ``.npy`` file; an object array goes through
    :class:`NumpyOnlyUnpickler`, never through :mod:`pickle` itself.

    Raises:
        ValueError: The file is not a readable ``.npy`` or asks for code.
    """
    with open(path, 'rb') as f:
        data = f.read()
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            _, _, dtype = np.lib.format.read_array_header_1_0(fp)
        else:
            _, _, dtype = np.lib.format.read_array_header_2_0(fp)
    except Exception as e:
        raise ValueError(f'{path}: not a .npy file ({e})') from e
    if not dtype.hasobject:
        return np.load(io.BytesIO(data), allow_pickle=False)
    try:
        return NumpyOnlyUnpickler(fp).load()
    except pickle.UnpicklingError as e:
        raise ValueError(f'{path}: {e}') from e
    except Exception as e:
        raise ValueError(f'{path}: cannot read its pickled content ({e})'
                         ) from e


def load_cls_labels(path: str, num_classes: int) -> Dict[str, np.ndarray]:
    """Image-level labels ``{id: float32[num_classes]}`` from a
    ``cls_labels.npy`` (reference layout), read without running code and
    checked entry by entry.

    Args:
        path (str): The ``.npy`` file.
        num_classes (int): Foreground classes of every vector.

    Returns:
        dict[str, np.ndarray]: Multi-hot float32 vectors by image id.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file asks for code, is not a dict of vectors, or an
            entry has the wrong length or values outside [0, 1] (named).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'cls_label_file {path} does not exist')
    table = load_npy_no_code(path)
    if isinstance(table, np.ndarray) and table.shape == () \
            and table.dtype.hasobject:
        table = table.item()
    if not isinstance(table, dict):
        raise ValueError(f'{path}: expected a dict {{image id: multi-hot '
                         f'vector}}, got {type(table).__name__}')
    out = {}
    for key, vec in table.items():
        if not isinstance(key, str):
            raise ValueError(f'{path}: image id {key!r} is not a string')
        try:
            arr = np.asarray(vec, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise ValueError(f'{path}: label of {key} is not numeric ({e})'
                             ) from e
        if arr.shape != (num_classes, ):
            raise ValueError(f'{path}: label of {key} has shape {arr.shape}, '
                             f'expected ({num_classes},)')
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise ValueError(f'{path}: label of {key} has values outside '
                             f'[0, 1]: {arr.tolist()}')
        out[key] = arr
    return out


def load_label_table(path: str,
                     classes: Sequence[str]) -> Dict[str, np.ndarray]:
    """Image-level labels ``{id: float32[len(classes)]}`` from a CSV or JSON
    file of class names, checked line by line.

    * CSV: a header ``image,labels``, then one line per image: its id and
      its class names separated by ``;`` (names may hold spaces:
      ``img_001,potted plant;cat``).
    * JSON: an object ``{"img_001": ["potted plant", "cat"], ...}``.

    Args:
        path (str): The ``.csv`` or ``.json`` file.
        classes (Sequence[str]): The foreground class names (index order).

    Returns:
        dict[str, np.ndarray]: Multi-hot float32 vectors by image id.

    Raises:
        FileNotFoundError: No such file.
        ValueError: Another format, a malformed line, an unknown class name
            or a repeated image (each named with the file and line).
    """
    import csv
    import json
    if not os.path.isfile(path):
        raise FileNotFoundError(f'label file {path} does not exist')
    index = {name: i for i, name in enumerate(classes)}
    rows = []
    if path.endswith('.json'):
        with open(path, encoding='utf-8') as f:
            try:
                table = json.load(f)
            except ValueError as e:
                raise ValueError(f'{path}: not valid JSON ({e})') from e
        if not isinstance(table, dict):
            raise ValueError(f'{path}: expected an object {{image id: [class '
                             f'names]}}, got {type(table).__name__}')
        for key, names in table.items():
            if not isinstance(names, list) or not all(
                    isinstance(n, str) for n in names):
                raise ValueError(f'{path}: labels of {key!r} are not a list '
                                 'of class names')
            rows.append((key, names, f'entry {key!r}'))
    elif path.endswith('.csv'):
        with open(path, encoding='utf-8', newline='') as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != [
                    'image', 'labels']:
                raise ValueError(f'{path}: the first line must be the header '
                                 f'image,labels (got {header})')
            for num, row in enumerate(reader, 2):
                if not row or not ''.join(row).strip():
                    continue
                if len(row) != 2:
                    raise ValueError(f'{path}, line {num}: expected '
                                     f'image,labels, got {len(row)} fields')
                names = [n.strip() for n in row[1].split(';') if n.strip()]
                rows.append((row[0].strip(), names, f'line {num}'))
    else:
        raise ValueError(f'{path}: a label table is a .csv or .json file '
                         '(.npy: a cls_labels.npy dict)')
    out = {}
    for key, names, where in rows:
        if key in out:
            raise ValueError(f'{path}, {where}: image {key!r} is listed '
                             'twice')
        vec = np.zeros(len(classes), np.float32)
        for name in names:
            if name not in index:
                raise ValueError(f'{path}, {where}: unknown class {name!r}; '
                                 f'the classes are {list(classes)}')
            vec[index[name]] = 1
        out[key] = vec
    return out
