#!/usr/bin/python3
"""Convert the DeepPCB folder to the crops layout used by the recipes.

    python3 models/recipes/deeppcb_to_yolo.py --src ../shared/datasets/deeppcb \\
        --out models/recipes/data/deeppcb [--val-frac 0.2] [--seed 0] [--tile 320 --overlap 64] \\
        [--templates | --pair]

Writes OUT/train/crops and OUT/val/crops, each with images/*.jpg, labels/*.txt
(`cls cx cy w h` normalised; classes 0 open, 1 short, 2 mousebite, 3 spur, 4 copper,
5 pin-hole = DeepPCB type - 1) and data.yaml. By default the split is by DeepPCB group
(whole board groups go to train or val) so crops of one board do not leak across; there
are only 7 groups, so --split-by image gives a finer (but leakier) split. OUT/train/list.txt
and OUT/val/list.txt hold each side's lines of the DeepPCB list file, so `die-inspect eval
--data <deeppcb> --list OUT/val/list.txt` measures the held-out side on the original files
(templates included).

--tile S cuts the training images into S x S tiles at native resolution (stride S - overlap,
the last tile aligned to the border); a box is kept in a tile when at least --min-visible
of its area is inside (clipped to the tile); tiles without boxes are kept too (they teach
the background). Validation images stay whole (640x640) unless --tile-val.
--templates adds the defect-free template images (`*_temp.jpg`) with empty label files:
negatives for the detector and the `good` class for the classifier (tested image =
defective).
--pair writes each tested image together with its template as one lossless PNG whose
channels are, in RGB order, the tested image, the template and their absolute difference
(grey levels): the layout `die-inspect` builds at run time from a tested image and its
reference (`detector.detect([{ image, reference }])`, `detect --reference`). A board's own
round pads look like spurious copper on the tested image alone; against its template they
do not.
"""
import argparse
import os
import re
import shutil

import cv2
import numpy as np
import yaml

NAMES = ['open', 'short', 'mousebite', 'spur', 'copper', 'pin-hole']


def read_list(src, list_name):
    pairs = []
    with open(os.path.join(src, list_name)) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                pairs.append((parts[0], parts[1]))
    return pairs


def read_boxes(path):
    rows = []
    with open(path) as f:
        for line in f:
            v = [int(float(t)) for t in re.split(r'[,\s]+', line.strip()) if t]
            if len(v) >= 5 and 1 <= v[4] <= 6:
                x1, y1, x2, y2 = min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])
                if x2 > x1 and y2 > y1:
                    rows.append([v[4] - 1, x1, y1, x2, y2])
    return np.array(rows, np.float32).reshape(-1, 5)


def pair_image(test, template):
    """BGR planes (|test - template|, template, test): RGB order test, template, difference."""
    t = cv2.cvtColor(test, cv2.COLOR_BGR2GRAY)
    r = cv2.cvtColor(template, cv2.COLOR_BGR2GRAY)
    return cv2.merge([cv2.absdiff(t, r), r, t])


def write_sample(root, stem, img, boxes, ext='.jpg'):
    h, w = img.shape[:2]
    cv2.imwrite(os.path.join(root, 'images', stem + ext), img, [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == '.jpg' else [])
    with open(os.path.join(root, 'labels', stem + '.txt'), 'w') as f:
        for c, x1, y1, x2, y2 in boxes:
            f.write(f'{int(c)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n')


def tile_starts(size, tile, overlap):
    if size <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, size - tile + 1, step))
    if starts[-1] != size - tile:
        starts.append(size - tile)
    return starts


def tiles(img, boxes, tile, overlap, min_visible):
    h, w = img.shape[:2]
    for y0 in tile_starts(h, tile, overlap):
        for x0 in tile_starts(w, tile, overlap):
            crop = img[y0:y0 + tile, x0:x0 + tile]
            th, tw = crop.shape[:2]
            b = boxes.copy()
            if len(b):
                area = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])
                b[:, [1, 3]] = (b[:, [1, 3]] - x0).clip(0, tw)
                b[:, [2, 4]] = (b[:, [2, 4]] - y0).clip(0, th)
                vis = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])
                b = b[(vis >= min_visible * area) & (b[:, 3] - b[:, 1] >= 2) & (b[:, 4] - b[:, 2] >= 2)]
            yield f'_{y0}_{x0}', crop, b


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--src', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'datasets', 'deeppcb'))
    ap.add_argument('--list', default='trainval.txt', help='list file in --src')
    ap.add_argument('--out', required=True)
    ap.add_argument('--val-frac', type=float, default=0.2, help='share of board groups (or images) for val')
    ap.add_argument('--split-by', choices=['group', 'image'], default='group',
                    help='group: whole DeepPCB groups go to one side (only 7 groups: coarse); image: random pairs')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--tile', type=int, default=0, help='tile size for train images (0 = whole images)')
    ap.add_argument('--overlap', type=int, default=64)
    ap.add_argument('--min-visible', type=float, default=0.4)
    ap.add_argument('--tile-val', action='store_true', help='tile the val images too')
    ap.add_argument('--templates', action='store_true', help='add *_temp.jpg as defect-free images')
    ap.add_argument('--pair', action='store_true', help='tested image + template + difference as one PNG')
    args = ap.parse_args()
    if args.pair and args.templates:
        raise SystemExit('--pair and --templates exclude each other (a pair already holds the template)')
    return args


def split_key(args, img_rel):
    return img_rel.split('/')[0] if args.split_by == 'group' else img_rel


def val_keys(args, pairs):
    """The held-out side: a random --val-frac of the board groups (or of the pairs)."""
    groups = sorted({p[0].split('/')[0] for p in pairs})
    rng = np.random.default_rng(args.seed)
    keys = groups if args.split_by == 'group' else sorted(p[0] for p in pairs)
    n_val = max(1, round(len(keys) * args.val_frac)) if args.val_frac > 0 else 0
    picked = set(rng.permutation(keys)[:n_val].tolist())
    print(f'{len(pairs)} pairs in {len(groups)} groups; val: {n_val} {args.split_by}s'
          + (f' {sorted(picked)}' if args.split_by == 'group' else ''))
    return picked


def make_split_dirs(out):
    """Fresh OUT/train/crops and OUT/val/crops: images/, labels/ and data.yaml."""
    for split in ('train', 'val'):
        root = os.path.join(out, split, 'crops')
        if os.path.isdir(root):
            shutil.rmtree(root)
        os.makedirs(os.path.join(root, 'images'))
        os.makedirs(os.path.join(root, 'labels'))
        with open(os.path.join(root, 'data.yaml'), 'w') as f:
            yaml.safe_dump({'path': os.path.abspath(root), 'train': 'images', 'val': 'images',
                            'nc': len(NAMES), 'names': NAMES}, f, sort_keys=False)


def read_image(args, rel, base, ext):
    """The tested (or template) image, or with --pair the tested image, its template and
    their difference; None (with a warning) when a file is missing."""
    img = cv2.imread(os.path.join(args.src, rel), cv2.IMREAD_COLOR)
    if img is None:
        print(f'warning: cannot read {rel}; skipped')
        return None
    if args.pair:
        template = cv2.imread(os.path.join(args.src, base + '_temp' + ext), cv2.IMREAD_COLOR)
        if template is None or template.shape != img.shape:
            print(f'warning: no template of the same size for {rel}; skipped')
            return None
        img = pair_image(img, template)
    return img


def convert_pair(args, split, img_rel, ann_rel):
    """Writes one list line's samples (tested image, --templates its template; tiled where
    asked) into OUT/split/crops. Returns the box count of each sample written."""
    root = os.path.join(args.out, split, 'crops')
    base, ext = os.path.splitext(img_rel)
    stem = os.path.basename(base)
    items = [('test', base + '_test' + ext, read_boxes(os.path.join(args.src, ann_rel)))]
    if args.templates:
        items.append(('temp', base + '_temp' + ext, np.zeros((0, 5), np.float32)))
    written = []
    for tag, rel, boxes in items:
        img = read_image(args, rel, base, ext)
        if img is None:
            continue
        do_tile = args.tile and (split == 'train' or args.tile_val)
        parts = tiles(img, boxes, args.tile, args.overlap, args.min_visible) if do_tile else [('', img, boxes)]
        for suffix, im, b in parts:
            write_sample(root, f'{stem}_{tag}{suffix}', im, b, '.png' if args.pair else '.jpg')
            written.append(len(b))
    return written


def main():
    args = parse_args()
    pairs = read_list(args.src, args.list)
    held_out = val_keys(args, pairs)
    make_split_dirs(args.out)
    stats = {'train': [0, 0, 0], 'val': [0, 0, 0]}  # images, boxes, empty
    lists = {'train': [], 'val': []}
    for img_rel, ann_rel in pairs:
        split = 'val' if split_key(args, img_rel) in held_out else 'train'
        lists[split].append(f'{img_rel} {ann_rel}\n')
        for n_boxes in convert_pair(args, split, img_rel, ann_rel):
            s = stats[split]
            s[0] += 1
            s[1] += n_boxes
            s[2] += n_boxes == 0
    for split, lines in lists.items():
        with open(os.path.join(args.out, split, 'list.txt'), 'w') as f:
            f.writelines(lines)
    for split, (n, nb, ne) in stats.items():
        print(f'{split}: {n} images, {nb} boxes, {ne} without defects -> {os.path.join(args.out, split, "crops")}')


if __name__ == '__main__':
    main()
