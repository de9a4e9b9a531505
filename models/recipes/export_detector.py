#!/usr/bin/python3
"""Export a trained detector or segmenter checkpoint to ONNX (opset 17) in the YOLOv7 /
YOLOv5-seg export layout.

    python3 models/recipes/export_detector.py --weights runs/NAME/best.pt --out die_defects.onnx

Input  `images`  [batch, 3, height, width] float32 RGB 0..1 (letterboxed; all dims dynamic,
                 height/width multiples of 32).
Output `output`  [batch, N, 5 + nc]: cx, cy, w, h in input pixels, objectness, class scores,
                 decoded in the graph (sigmoid; (xy * 2 - 0.5 + grid) * stride;
                 (wh * 2)^2 * anchor). No NMS.
A segmenter (`--masks 32` checkpoints) has `output0` [batch, N, 5 + nc + 32] (the 32 mask
coefficients raw) and `output1` [batch, 32, height/4, width/4] prototypes instead.
Metadata: names (Python dict literal), stride, imgsz ([h, w] train size), task, recipe
(the training command), plus anchors and arch; with --reference-pair also planes
(`image,reference,difference`: the model takes reference pairs); a pruned model (from
prune_detector.py, or fine-tuned from one) also widths (JSON {layer: channels}).
The weights are the EMA weights (best.pt holds only those; for last.pt the EMA is used),
with BatchNorm folded into the convolutions.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_checkpoint  # noqa: E402
from detectors import arch_name, model_from_checkpoint  # noqa: E402
from onnx_utils import compare, finalize, run_with_ort  # noqa: E402
from yolov7tiny import Decoded, count_params  # noqa: E402


def load_detector(path):
    ck = load_checkpoint(path)
    return model_from_checkpoint(ck).float().eval(), ck


class DecodedSeg(torch.nn.Module):
    """Export wrapper: image batch -> (decoded predictions, prototypes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        raw, protos = self.model(images)
        return self.model.decode(raw), protos


def export(model, ck, out, opset=17, imgsz=0, reference_pair=False, recipe=None, fuse=True):
    """Write the ONNX file (metadata, checker, shape inference). Returns (the exported torch
    module, its output names, the inference size)."""
    if fuse:
        model.fuse()
    seg = getattr(model, 'masks', 0) > 0
    net = (DecodedSeg if seg else Decoded)(model).eval()
    s = imgsz or int(ck['imgsz'])
    dummy = torch.rand(1, 3, s, s)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    t = time.time()
    outputs = ['output0', 'output1'] if seg else ['output']
    axes = {'images': {0: 'batch', 2: 'height', 3: 'width'}, outputs[0]: {0: 'batch', 1: 'anchors'}}
    if seg:
        axes['output1'] = {0: 'batch', 2: 'mask_height', 3: 'mask_width'}
    torch.onnx.export(net, dummy, out, opset_version=opset, input_names=['images'],
                      output_names=outputs, do_constant_folding=True, dynamic_axes=axes)
    names = {i: n for i, n in enumerate(ck['names'])}
    arch = arch_name(ck.get('arch', 'yolov7-tiny'), ck.get('coordconv', False), ck.get('gsconv', False), seg)
    meta = {'names': repr(names), 'stride': '32', 'imgsz': f'[{s}, {s}]', 'task': 'segment' if seg else 'detect',
            'recipe': recipe if recipe is not None else ck.get('recipe', ''), 'arch': arch,
            'anchors': repr([[round(float(v), 2) for v in a] for a in np.array(ck['anchors']).reshape(9, 2)])}
    if ck.get('widths'):
        meta['widths'] = json.dumps(ck['widths'], separators=(',', ':'))
    if reference_pair:
        meta['planes'] = 'image,reference,difference'
    finalize(out, meta, {outputs[0]: {2: model.no}, **({'output1': {1: model.masks}} if seg else {})})
    shown = {k: v for k, v in meta.items() if k != 'widths'}
    print(f'exported {out} ({os.path.getsize(out) / 1e6:.1f} MB, {count_params(model) / 1e6:.2f} M params, '
          f'epoch {ck.get("epoch")}) in {time.time() - t:.1f}s; metadata {shown}'
          + (f' and the widths of {len(ck["widths"])} layers' if 'widths' in meta else ''))
    return net, outputs, s


def verify(net, out, outputs, s):
    """Batch 2 at a non-square size other than the trace size (checks the dynamic axes):
    PyTorch vs onnxruntime-node."""
    x = torch.rand(2, 3, s + 32, max(32, s - 64), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = net(x)
    got = run_with_ort(out, x.numpy(), outputs)
    for name, r, g in zip(outputs, ref if len(outputs) > 1 else [ref], got):
        compare(name, r.numpy(), g, atol=2e-3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True, help='runs/NAME/best.pt (or last.pt, or prune_detector.py\'s pruned.pt)')
    ap.add_argument('--out', required=True, help='output .onnx path')
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--imgsz', type=int, default=0,
                    help='inference size recorded as metadata imgsz (default: the training size; e.g. 640 for a '
                         'detector trained on 320 tiles that runs on whole 640 images)')
    ap.add_argument('--reference-pair', action='store_true',
                    help='trained on reference pairs (deeppcb_to_yolo.py --pair): metadata planes '
                         '"image,reference,difference" makes the runtime ask for { image, reference }')
    ap.add_argument('--no-fuse', action='store_true', help='keep BatchNorm layers')
    ap.add_argument('--recipe', help="metadata 'recipe' in place of the command the checkpoint recorded "
                    '(e.g. the repository-relative command when training ran elsewhere)')
    ap.add_argument('--no-verify', action='store_true', help='skip the onnxruntime-node comparison')
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model, ck = load_detector(args.weights)
    net, outputs, s = export(model, ck, args.out, args.opset, args.imgsz, args.reference_pair, args.recipe,
                             fuse=not args.no_fuse)
    if not args.no_verify:
        verify(net, args.out, outputs, s)


if __name__ == '__main__':
    main()
