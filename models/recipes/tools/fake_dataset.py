#!/usr/bin/python3
"""Write a tiny synthetic package-crop dataset in the `die-inspect synth --crops` layout.

    DIR/crops/images/*.jpg   upright package crops of varying, non-square size
    DIR/crops/labels/*.txt   `cls cx cy w h` normalised; empty file = defect-free part
    DIR/crops/data.yaml      names: [die_crack, die_rotation]

It is meant for smoke tests of the recipes only: a dark package body with a lighter die in
the middle; class 1 (die_rotation) rotates the die, class 0 (die_crack) draws a bright
jagged line across it. The box of a defect is the die (rotation) or the crack's extent.

    /usr/bin/python3 models/recipes/tools/fake_dataset.py --out /tmp/fake_train --n 24 --seed 0
"""
import argparse
import os

import cv2
import numpy as np
import yaml

NAMES = ['die_crack', 'die_rotation']


def draw_part(rng, kind):
    h = int(rng.integers(300, 701))
    w = int(rng.integers(300, 701))
    bg = int(rng.integers(20, 60))
    img = np.full((h, w, 3), bg, np.uint8)
    img += rng.integers(0, 12, size=(h, w, 3), dtype=np.uint8)
    # package body
    m = int(min(h, w) * 0.06)
    cv2.rectangle(img, (m, m), (w - m, h - m), (70, 72, 75), -1)
    # a few bright pads along the sides
    for x in np.linspace(2 * m, w - 2 * m, 6).astype(int):
        cv2.rectangle(img, (x - 6, m // 2), (x + 6, m + 6), (170, 170, 160), -1)
        cv2.rectangle(img, (x - 6, h - m - 6), (x + 6, h - m // 2), (170, 170, 160), -1)
    # the die
    dw = int(w * rng.uniform(0.25, 0.4))
    dh = int(h * rng.uniform(0.25, 0.4))
    cx = w / 2 + rng.uniform(-0.05, 0.05) * w
    cy = h / 2 + rng.uniform(-0.05, 0.05) * h
    angle = float(rng.uniform(12, 30) * rng.choice([-1, 1])) if kind == 1 else 0.0
    rect = ((cx, cy), (dw, dh), angle)
    pts = cv2.boxPoints(rect).astype(np.int32)
    cv2.fillConvexPoly(img, pts, (120, 140, 150))
    cv2.polylines(img, [pts], True, (200, 205, 210), 2)
    boxes = []
    if kind == 1:
        x1, y1 = pts.min(0)
        x2, y2 = pts.max(0)
        boxes.append((1, x1, y1, x2, y2))
    elif kind == 0:
        n = int(rng.integers(4, 8))
        x0 = cx + rng.uniform(-0.3, 0.1) * dw
        y0 = cy + rng.uniform(-0.3, 0.3) * dh
        length = rng.uniform(0.25, 0.5) * dw
        xs = x0 + np.linspace(0, length, n)
        ys = y0 + rng.normal(0, 0.04 * dh, n).cumsum()
        line = np.stack([xs, ys], 1).astype(np.int32)
        cv2.polylines(img, [line], False, (235, 240, 245), 3)
        x1, y1 = line.min(0) - 4
        x2, y2 = line.max(0) + 4
        boxes.append((0, x1, y1, x2, y2))
    img = cv2.GaussianBlur(img, (3, 3), 0)
    return img, boxes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='dataset dir; images go to OUT/crops/...')
    ap.add_argument('--n', type=int, default=24, help='number of images')
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    root = os.path.join(args.out, 'crops')
    os.makedirs(os.path.join(root, 'images'), exist_ok=True)
    os.makedirs(os.path.join(root, 'labels'), exist_ok=True)
    for i in range(args.n):
        kind = i % 3 - 1  # -1 good, 0 crack, 1 rotation
        img, boxes = draw_part(rng, kind)
        h, w = img.shape[:2]
        stem = f'fake_{args.seed}_{i:05d}'
        cv2.imwrite(os.path.join(root, 'images', stem + '.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        with open(os.path.join(root, 'labels', stem + '.txt'), 'w') as f:
            for c, x1, y1, x2, y2 in boxes:
                x1, x2 = np.clip([x1, x2], 0, w)
                y1, y2 = np.clip([y1, y2], 0, h)
                f.write(f'{c} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} '
                        f'{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n')
    with open(os.path.join(root, 'data.yaml'), 'w') as f:
        yaml.safe_dump({'path': os.path.abspath(root), 'train': 'images', 'val': 'images',
                        'nc': len(NAMES), 'names': NAMES}, f, sort_keys=False)
    print(f'wrote {args.n} images to {root}')


if __name__ == '__main__':
    main()
