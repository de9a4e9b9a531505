#!/usr/bin/python3
"""Real images in exactly the form the GAN recipes train on, as PNG files, for measuring
generated images against them (scripts/gan-metrics.js):

    python3 models/recipes/tools/gan_reference.py dies --data DIR/crops --out OUT [--size 64] [--context 0.25]
        -> OUT/<class name>/000000.png ...: label crops (gan_data.defect_crops)
    python3 models/recipes/tools/gan_reference.py images --data DIR --out OUT [--size 512] [--limit N]
        -> OUT/000000.png ...: whole images resized (gan_data.folder_images)
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gan_data import defect_crops, folder_images  # noqa: E402


def write(path, chw):
    img = np.ascontiguousarray(chw.permute(1, 2, 0).numpy()[..., ::-1])
    if not cv2.imwrite(path, img):
        raise SystemExit(f'{path}: could not write')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('kind', choices=['dies', 'images'])
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int, default=0, help='default 64 (dies) or 512 (images)')
    ap.add_argument('--context', type=float, default=0.25)
    ap.add_argument('--classes', default='die_crack,die_rotation')
    ap.add_argument('--limit', type=int, default=0)
    args = ap.parse_args()
    if args.kind == 'dies':
        x, labels, names, _ = defect_crops(args.data, args.size or 64, args.context, args.classes.split(','))
        counts = {}
        for img, c in zip(x, labels.tolist()):
            d = os.path.join(args.out, names[c])
            os.makedirs(d, exist_ok=True)
            write(os.path.join(d, f'{counts.get(c, 0):06d}.png'), img)
            counts[c] = counts.get(c, 0) + 1
        print({names[c]: n for c, n in counts.items()})
    else:
        x = folder_images(args.data, args.size or 512, args.limit)
        os.makedirs(args.out, exist_ok=True)
        for i, img in enumerate(x):
            write(os.path.join(args.out, f'{i:06d}.png'), img)
        print(f'{len(x)} images')


if __name__ == '__main__':
    main()
