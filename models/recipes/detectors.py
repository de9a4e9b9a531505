"""Detector models for training and export: the architecture an option set names, its
anchors (k-means on the training boxes, or the default set), --init weights, and the
model a checkpoint describes (pruned widths, BatchNorm folded or not, slimming scales)."""
import numpy as np
import torch

from checkpoints import load_checkpoint
from loss import kmeans_anchors
from onnx_utils import read_detector_onnx
from prune import attach_scales, set_widths, widths, widths_from_state_dict
from yolov5n import YOLOv5n
from yolov7tiny import DEFAULT_ANCHORS_640, YOLOv7Tiny

VARIANTS = ('coordconv', 'gsconv')


def arch_name(arch, coordconv=False, gsconv=False, masks=0):
    """The ONNX metadata `arch`: e.g. yolov7-tiny, yolov7-tiny-coordconv, yolov5n-seg."""
    return arch + ('-coordconv' if coordconv else '') + ('-gsconv' if gsconv else '') + ('-seg' if masks else '')


def parse_arch(name):
    """arch_name's inverse: (arch, coordconv, gsconv, seg)."""
    parts = name.split('-')
    flags = {p: p in parts for p in VARIANTS + ('seg',)}
    base = '-'.join(p for p in parts if p not in flags)
    return base, flags['coordconv'], flags['gsconv'], flags['seg']


def build_model(arch, nc, anchors, coordconv=False, masks=0, gsconv=False, widths=None):
    """The architecture (random weights); `widths` ({layer: channels}, from a pruned
    checkpoint) shrinks it to a pruned model's layer widths."""
    a = np.asarray(anchors).reshape(3, 3, 2).tolist()
    if arch == 'yolov5n':
        if widths:
            raise ValueError('pruned widths are only supported for yolov7-tiny')
        return YOLOv5n(nc, a, masks=masks)
    model = YOLOv7Tiny(nc, a, coordconv=coordconv, gsconv=gsconv)
    if widths:
        set_widths(model, widths)
    return model


def build_in_form(arch, nc, anchors, coordconv=False, masks=0, gsconv=False, form=None):
    """build_model in the form a checkpoint records (`form`: its widths, whether BatchNorm is
    folded, whether slimming scales are attached), ready for that checkpoint's weights."""
    form = form or {}
    model = build_model(arch, nc, anchors, coordconv, masks, gsconv, form.get('widths'))
    if form.get('fused'):  # fine-tuned from an ONNX export: no BatchNorm left to fold
        model.fuse()
    if form.get('scales'):
        attach_scales(model)
    return model


def load_weights(model, ck):
    """Loads a checkpoint's weights (the EMA's where there is one). An ONNX export keeps
    anchors and strides as graph constants: where the weights lack them, the model's own stay."""
    sd = ck['ema'] if ck.get('ema') is not None else ck['model']
    own = {k: v for k, v in model.state_dict().items() if k in ('anchors', 'strides')}
    model.load_state_dict({**own, **sd})
    return model


def model_from_checkpoint(ck):
    """The model a checkpoint (or read_onnx_checkpoint's dict) holds, its weights loaded:
    built at its widths, fused when it was, with slimming scales when it has them."""
    model = build_in_form(ck.get('arch', 'yolov7-tiny'), ck['nc'], ck['anchors'], ck.get('coordconv', False),
                          ck.get('masks', 0), ck.get('gsconv', False), ck)
    return load_weights(model, ck)


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


def read_onnx_checkpoint(path):
    """One of our exported ONNX detectors as a checkpoint-like dict (fused weights as
    tensors, the architecture options its `arch` names, layer widths from its
    initializers, so a pruned export is rebuilt at its own widths)."""
    ck = read_detector_onnx(path)
    ck['model'] = {k: torch.from_numpy(v) for k, v in ck['model'].items()}
    ck['arch'], ck['coordconv'], ck['gsconv'], seg = parse_arch(ck['arch'])
    if seg:
        raise SystemExit(f'{path}: a segmenter export; only detectors can be read back')
    if ck['arch'] == 'yolov7-tiny' and not ck.get('widths'):
        full = widths(YOLOv7Tiny(ck['nc'], coordconv=ck['coordconv'], gsconv=ck['gsconv']))
        w = {k: n for k, n in widths_from_state_dict(ck['model']).items() if k in full}
        ck['widths'] = w if w != full else None  # None: not pruned
    return ck


def load_init(args):
    """--init: another run's last.pt/best.pt, a pruned.pt from prune_detector.py, or one of
    our exported ONNX detectors (the only form a shipped model keeps its weights in)."""
    init = read_onnx_checkpoint(args.init) if args.init.endswith('.onnx') else load_checkpoint(args.init)
    have = arch_name(init.get('arch', 'yolov7-tiny'), init.get('coordconv', False), init.get('gsconv', False),
                     init.get('masks', 0))
    want = arch_name(args.arch, args.coordconv, args.gsconv, args.masks)
    if have != want:
        raise SystemExit(f'--init {args.init} is {have!r}; these options build {want!r}')
    return init
