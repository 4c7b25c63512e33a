# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Write overlays (image | a CAM heat-map per class | pseudo-label | GT) for a
few images, titled with the class names, with a colour legend.

    python tools/visualize_cams.py CAM_DIR IMG_DIR --out-dir vis/ \
        [--label-dir PSEUDO_DIR] [--gt-dir GT_DIR] [--num 8] \
        [--dataset voc|coco | --config CONFIG]

CAM_DIR holds the ``.npz`` archives of ``make_pseudo_labels.py --save-cams``.
"""
import argparse
import os.path as osp
import sys

import numpy as np

# this clone's hfpl_mm first, whichever clone the shared environment's
# editable install points at (see tools/setup_env.sh)
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('cam_dir', help='folder of CAM archives (.npz of '
                   'make_pseudo_labels.py --save-cams)')
    p.add_argument('img_dir', help='folder of the images')
    p.add_argument('--out-dir', required=True, help='where the panels go '
                   '(<image stem>.png)')
    p.add_argument('--label-dir', help='pseudo-label PNGs to overlay')
    p.add_argument('--gt-dir', help='GT label PNGs to overlay')
    p.add_argument('--num', type=int, default=8,
                   help='the first NUM images of CAM_DIR')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--dataset', choices=['voc', 'coco'], default='voc',
                   help='palette of the label overlays (default: '
                   '%(default)s); --config takes precedence')
    p.add_argument('--config', help="take the palette from this config's "
                   'dataset')
    args = p.parse_args()
    from hfpl_mm.apis import resolve_dataset_meta
    from hfpl_mm.utils.image import read_image
    from hfpl_mm.utils.label_io import (list_stems, load_cam_archive,
                                        load_label_png)
    from hfpl_mm.visualization import (cam_heatmap, label_overlay,
                                       legend_items, save_panel)
    meta = resolve_dataset_meta(config=args.config, dataset=args.dataset)
    classes, palette = meta['classes'], meta['palette']
    for stem in list_stems(args.cam_dir, '.npz')[:args.num]:
        img_path = osp.join(args.img_dir, stem + args.img_suffix)
        img = read_image(img_path, channel_order='rgb')
        cams = load_cam_archive(osp.join(args.cam_dir, stem + '.npz'))
        tiles, titles, shown = [img], [stem], set()
        for k, cam in zip(cams['keys'], cams['cams']):
            tiles.append(cam_heatmap(img, cam))
            titles.append(f'CAM: {classes[int(k) + 1]}')
        if not len(cams['keys']):
            tiles.append(cam_heatmap(img, img[..., 0] * 0.0))
            titles.append('CAM: no class')
        for folder, title in ((args.label_dir, 'pseudo-label'),
                              (args.gt_dir, 'GT')):
            if folder:
                lab = load_label_png(osp.join(folder, stem + '.png'))
                tiles.append(label_overlay(img, lab, palette))
                titles.append(title)
                shown.update(np.unique(lab).tolist())
        out = save_panel(tiles, osp.join(args.out_dir, stem + '.png'),
                         titles, legend_items(shown, classes, palette))
        print(out)


if __name__ == '__main__':
    main()
