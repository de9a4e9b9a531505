"""The crops folder layout every recipe reads (images/, labels/, data.yaml) and its YOLO
label files: `cls cx cy w h` boxes or `cls x1 y1 x2 y2 ...` polygons, normalised."""
import os

import numpy as np
import yaml

IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def crops_dirs(root):
    """Accept DIR, DIR/crops or DIR/crops/images; return (images_dir, labels_dir, yaml_path)."""
    root = os.path.abspath(root)
    if os.path.basename(root) == 'images':
        root = os.path.dirname(root)
    if not os.path.isdir(os.path.join(root, 'images')) and os.path.isdir(os.path.join(root, 'crops', 'images')):
        root = os.path.join(root, 'crops')
    img_dir = os.path.join(root, 'images')
    if not os.path.isdir(img_dir):
        raise SystemExit(f'no images/ folder under {root}')
    return img_dir, os.path.join(root, 'labels'), os.path.join(root, 'data.yaml')


def list_samples(root):
    """[(image_path, label_path)] sorted by name; the label file may be absent (= no objects)."""
    img_dir, lab_dir, _ = crops_dirs(root)
    out = []
    for name in sorted(os.listdir(img_dir)):
        if name.lower().endswith(IMG_EXTS):
            out.append((os.path.join(img_dir, name),
                        os.path.join(lab_dir, os.path.splitext(name)[0] + '.txt')))
    if not out:
        raise SystemExit(f'no images in {img_dir}')
    return out


def read_labels(path):
    """YOLO label file -> float32 array (n, 5): cls, cx, cy, w, h (normalised). A polygon
    row (`cls x1 y1 x2 y2 ...`, the YOLO-seg form) gives its bounding box."""
    return np.array([[c, *box] for c, box, _ in _label_rows(path)], np.float32).reshape(-1, 5)


def read_polygons(path):
    """YOLO-seg label file -> [(cls, (k,2) float32 normalised points)]; box rows give
    their four corners."""
    return [(c, poly) for c, _, poly in _label_rows(path)]


def _label_rows(path):
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for line in f:
            v = [float(x) for x in line.split()]
            if len(v) == 5:
                cx, cy, w, h = v[1:]
                poly = np.array([[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2],
                                 [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]], np.float32)
            elif len(v) >= 7 and len(v) % 2 == 1:
                poly = np.array(v[1:], np.float32).reshape(-1, 2)
            else:
                continue
            lo, hi = poly.min(0), poly.max(0)
            rows.append((v[0], [*(lo + hi) / 2, *(hi - lo)], poly))
    return rows


def read_names(root, fallback_nc=None):
    """Class names from the folder's data.yaml (a list or an {index: name} dict)."""
    _, _, yaml_path = crops_dirs(root)
    if os.path.exists(yaml_path):
        with open(yaml_path) as f:
            d = yaml.safe_load(f) or {}
        names = d.get('names')
        if isinstance(names, dict):
            names = [names[k] for k in sorted(names)]
        if names:
            return [str(n) for n in names]
    if fallback_nc:
        return [f'class{i}' for i in range(fallback_nc)]
    raise SystemExit(f'{yaml_path}: no names')
