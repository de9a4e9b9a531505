"""Detector models for training and export: the architecture an option set names, its
anchors (k-means on the training boxes, or the default set), and --init weights."""
import numpy as np
import torch

from checkpoints import load_checkpoint
from loss import kmeans_anchors
from onnx_utils import read_detector_onnx
from yolov5n import YOLOv5n
from yolov7tiny import DEFAULT_ANCHORS_640, YOLOv7Tiny


def build_model(arch, nc, anchors, coordconv=False, masks=0):
    a = np.asarray(anchors).reshape(3, 3, 2).tolist()
    if arch == 'yolov5n':
        return YOLOv5n(nc, a, masks=masks)
    return YOLOv7Tiny(nc, a, coordconv=coordconv)


def compute_anchors(data, mode, gen, seed):
    default = np.array(DEFAULT_ANCHORS_640, np.float64).reshape(9, 2) * data.imgsz / 640
    if mode == 'default':
        return default
    wh = np.concatenate([b[:, 3:5] - b[:, 1:3] for b in data.boxes if len(b)], 0) if any(len(b) for b in data.boxes) else np.zeros((0, 2))
    try:
        return kmeans_anchors(wh, 9, gen=gen, seed=seed)
    except ValueError as e:
        print(f'anchors: {e}; using the default anchors scaled to {data.imgsz}')
        return default


def load_init(args):
    """--init: another run's last.pt/best.pt, or one of our exported ONNX detectors (the
    only form a shipped model keeps its weights in)."""
    if not args.init.endswith('.onnx'):
        return load_checkpoint(args.init)
    init = read_detector_onnx(args.init)
    want = args.arch + ('-coordconv' if args.coordconv else '')
    if init['arch'] != want or args.masks:
        raise SystemExit(f'--init {args.init} is {init["arch"]!r}; these options build {want!r}')
    init['model'] = {k: torch.from_numpy(v) for k, v in init['model'].items()}
    return init
