# Copyright (c) hfpl-mm contributors. All rights reserved.
"""CAMs and pseudo-labels of an image or a folder, from any CAM config.

    python demo/cam_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT \
        [--labels person car ...] [--out-dir demo_out] [--device cpu]

Per image ``<stem>``, under ``--out-dir``: ``<stem>_cam_<class>.png`` (the
CAM heat-map of each class), ``<stem>_label.png`` (the pseudo-label, a
palette PNG) and ``<stem>_panel.png`` (image | CAMs | pseudo-label overlay).
Inference is stage 2's (``tools/make_pseudo_labels.py``): the config's
multi-scale + flip CAMs and background rule (``model.test_cfg``), restricted
to the image-level labels. ``--labels`` takes class names; without them the
classifier's own positive classes are used (and reported).
"""
import argparse
import glob
import os
import os.path as osp
import sys

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('input', help='an image or a folder of images')
    p.add_argument('config', help='a CAM config (any of configs/cam, '
                   'configs/seam, configs/puzzlecam, configs/synthetic)')
    p.add_argument('checkpoint', help='its trained checkpoint')
    p.add_argument('--labels', nargs='+', metavar='CLASS',
                   help="the image-level labels by class name (e.g. person "
                   "car); default: the classifier's positive classes")
    p.add_argument('--out-dir', default='demo_out', help='output folder')
    p.add_argument('--device', help="'cpu' or 'cuda' (default: cuda when "
                   'available)')
    return p.parse_args()


def list_images(path: str):
    """The image, or the folder's images (sorted)."""
    if osp.isdir(path):
        files = sorted(
            f for f in glob.glob(osp.join(path, '*'))
            if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise FileNotFoundError(f'{path}: no images ({IMAGE_EXTS})')
        return files
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such image or folder')
    return [path]


def main():
    args = parse_args()
    import numpy as np
    from mmengine.utils import ProgressBar

    from hfpl_mm.apis import init_model, resolve_dataset_meta
    from hfpl_mm.apis.demo import cam_demo_outputs
    files = list_images(args.input)
    model = init_model(args.config, args.checkpoint, args.device)
    meta = resolve_dataset_meta(model, config=model.cfg)
    names = list(meta['classes'][1:])
    labels = None
    if args.labels:
        unknown = [n for n in args.labels if n not in names]
        if unknown:
            raise SystemExit(f'--labels: {unknown} are not classes of this '
                             f'model ({", ".join(names)})')
        labels = np.zeros(len(names), np.float32)
        labels[[names.index(n) for n in args.labels]] = 1
    os.makedirs(args.out_dir, exist_ok=True)
    bar = ProgressBar(len(files)) if len(files) > 1 else None
    for path in files:
        out = cam_demo_outputs(model, path, args.out_dir, meta, labels)
        if out['predicted_labels']:
            print(f'\n{path}: no --labels; the classifier predicts '
                  f'{", ".join(out["classes"]) or "no class"}')
        if bar is not None:
            bar.update()
        else:
            print(f'{path}: {", ".join(out["classes"])} -> {out["panel"]}')
    print(f'\nwrote {len(files)} panel(s) to {args.out_dir}')


if __name__ == '__main__':
    main()
