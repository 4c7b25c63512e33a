# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Image reading that fails loudly, naming the file, where OpenCV would
decode a damaged file silently (a truncated JPEG decodes with grey or black
rows and no error)."""
import io

import mmcv
import numpy as np
from mmengine import fileio

_JPEG_SOI, _JPEG_EOI = b'\xff\xd8', b'\xff\xd9'
_PNG_SIG, _PNG_IEND = b'\x89PNG\r\n\x1a\n', b'IEND\xaeB`\x82'


def check_image_bytes(path: str, data: bytes) -> None:
    """Raise :class:`IOError` naming ``path`` when ``data`` is empty or a
    truncated JPEG / PNG.

    A JPEG must end with its end-of-image marker and a PNG with its IEND
    chunk; a file that does not (some writers append trailing bytes) is
    decoded completely by PIL, which raises on truncated data.
    """
    if not data:
        raise IOError(f'{path}: empty file')
    if data.startswith(_JPEG_SOI):
        ok = data.rstrip(b'\x00').endswith(_JPEG_EOI)
    elif data.startswith(_PNG_SIG):
        ok = data.endswith(_PNG_IEND)
    else:
        return  # other formats: the decoder's own checks
    if ok:
        return
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception as e:
        raise IOError(f'{path}: truncated or damaged image ({e})') from e


def read_image(path: str,
               channel_order: str = 'bgr',
               backend_args: dict = None) -> np.ndarray:
    """Read an image as uint8 (H, W, 3), checked by
    :func:`check_image_bytes`.

    Args:
        path (str): Image file (any mmengine file backend).
        channel_order (str): 'bgr' (OpenCV, as mmseg's data preprocessors
            expect) or 'rgb'. Defaults to 'bgr'.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        IOError: Missing, unreadable, truncated or undecodable, with the
            path in the message.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except Exception as e:
        raise IOError(f'{path}: cannot read image ({e})') from e
    check_image_bytes(path, data)
    try:
        img = mmcv.imfrombytes(data, flag='color', channel_order=channel_order)
    except Exception as e:
        raise IOError(f'{path}: cannot decode image ({e})') from e
    if img is None:
        raise IOError(f'{path}: cannot decode image (not an image?)')
    return img
