"""GAN training images: defect crops cut from a YOLO dataset's labels, and whole images
from a folder, both cached in RAM as uint8.

Defect crops: every label box grown by `context` x its width left and right and x its
height above and below (clipped to the image, with the far side filled by replication), then
resized to size x size. Both axes are scaled on their own, so a sample's label box is always
the central [c / (1 + 2c), (1 + c) / (1 + 2c)] of each axis: die-inspect pastes a sample at
a box size drawn from `box_sizes` (the label boxes relative to their image), and that is
where the label goes.
"""
import os

import cv2
import numpy as np
import torch

from labels import IMG_EXTS, list_samples, read_labels, read_names


def defect_crops(root, size=64, context=0.25, classes=None, max_per_class=0):
    """-> (images uint8 [N, 3, S, S] RGB, labels int64 [N], names, box_sizes {name: [[w, h], ...]}).
    classes: names to keep (default all of data.yaml's), in the order the model uses."""
    names = read_names(root)
    keep = list(classes or names)
    missing = [c for c in keep if c not in names]
    if missing:
        raise SystemExit(f'{root}: no class {missing} in data.yaml ({names})')
    imgs, labs, sizes = [], [], {c: [] for c in keep}
    for img_path, lab_path in list_samples(root):
        rows = read_labels(lab_path)
        if not len(rows):
            continue
        im = cv2.imread(img_path, cv2.IMREAD_COLOR)
        if im is None:
            raise SystemExit(f'{img_path}: not a readable image')
        h, w = im.shape[:2]
        for cls, cx, cy, bw, bh in rows:
            name = names[int(cls)] if 0 <= int(cls) < len(names) else None
            if name not in sizes or bw <= 0 or bh <= 0:
                continue
            if max_per_class and len(sizes[name]) >= max_per_class:
                continue
            imgs.append(cut(im, (cx * w, cy * h, bw * w, bh * h), size, context))
            labs.append(keep.index(name))
            sizes[name].append([float(bw), float(bh)])
    if not imgs:
        raise SystemExit(f'{root}: no labels of {keep}')
    x = torch.from_numpy(np.stack(imgs)[..., ::-1].copy()).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(labs, dtype=torch.int64), keep, sizes


def cut(im, box, size, context):
    """The box (cx, cy, w, h in pixels) grown by context on every side, resized to size."""
    cx, cy, bw, bh = box
    gw, gh = bw * (1 + 2 * context), bh * (1 + 2 * context)
    # the affine map from output pixels to the grown box, sampled with replicated borders
    sx, sy = gw / size, gh / size
    m = np.array([[sx, 0, cx - gw / 2 + sx / 2 - 0.5], [0, sy, cy - gh / 2 + sy / 2 - 0.5]], np.float64)
    return cv2.warpAffine(im, m, (size, size), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def folder_images(root, size, limit=0):
    """Every image in root (recursively, sorted), resized to size (int or (h, w)) ->
    uint8 [N, 3, H, W] RGB."""
    h, w = (size, size) if isinstance(size, int) else size
    paths = []
    for d, _, files in os.walk(root):
        paths += [os.path.join(d, f) for f in files if f.lower().endswith(IMG_EXTS)]
    paths.sort()
    if limit:
        paths = paths[:limit]
    if not paths:
        raise SystemExit(f'no images under {root}')
    out = np.empty((len(paths), h, w, 3), np.uint8)
    for i, p in enumerate(paths):
        im = cv2.imread(p, cv2.IMREAD_COLOR)
        if im is None:
            raise SystemExit(f'{p}: not a readable image')
        out[i] = cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(out[..., ::-1].copy()).permute(0, 3, 1, 2).contiguous()


def to_unit(x):
    """uint8 images -> float in [-1, 1], the range the networks work in."""
    return x.float() / 127.5 - 1
