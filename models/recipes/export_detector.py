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
(`image,reference,difference`: the model takes reference pairs).
The weights are the EMA weights (best.pt holds only those; for last.pt the EMA is used),
with BatchNorm folded into the convolutions.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_checkpoint  # noqa: E402
from detectors import build_model  # noqa: E402
from onnx_utils import compare, finalize, run_with_ort  # noqa: E402
from yolov7tiny import Decoded, count_params  # noqa: E402


def load_detector(path):
    ck = load_checkpoint(path)
    sd = ck['ema'] if 'ema' in ck else ck['model']
    model = build_model(ck.get('arch', 'yolov7-tiny'), ck['nc'], ck['anchors'], ck['coordconv'], ck.get('masks', 0))
    if ck.get('fused'):  # fine-tuned from an ONNX export: no BatchNorm left to fold
        model.fuse()
    model.load_state_dict(sd)
    return model.float().eval(), ck


class DecodedSeg(torch.nn.Module):
    """Export wrapper: image batch -> (decoded predictions, prototypes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        raw, protos = self.model(images)
        return self.model.decode(raw), protos


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True, help='runs/NAME/best.pt (or last.pt)')
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
    if not args.no_fuse:
        model.fuse()
    seg = getattr(model, 'masks', 0) > 0
    net = (DecodedSeg if seg else Decoded)(model).eval()
    s = args.imgsz or int(ck['imgsz'])
    dummy = torch.rand(1, 3, s, s)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    t = time.time()
    outputs = ['output0', 'output1'] if seg else ['output']
    axes = {'images': {0: 'batch', 2: 'height', 3: 'width'}, outputs[0]: {0: 'batch', 1: 'anchors'}}
    if seg:
        axes['output1'] = {0: 'batch', 2: 'mask_height', 3: 'mask_width'}
    torch.onnx.export(net, dummy, args.out, opset_version=args.opset, input_names=['images'],
                      output_names=outputs, do_constant_folding=True, dynamic_axes=axes)
    names = {i: n for i, n in enumerate(ck['names'])}
    arch = ck.get('arch', 'yolov7-tiny') + ('-coordconv' if ck['coordconv'] else '') + ('-seg' if seg else '')
    meta = {'names': repr(names), 'stride': '32', 'imgsz': f'[{s}, {s}]', 'task': 'segment' if seg else 'detect',
            'recipe': args.recipe if args.recipe is not None else ck.get('recipe', ''), 'arch': arch,
            'anchors': repr([[round(float(v), 2) for v in a] for a in np.array(ck['anchors']).reshape(9, 2)])}
    if args.reference_pair:
        meta['planes'] = 'image,reference,difference'
    finalize(args.out, meta, {outputs[0]: {2: model.no}, **({'output1': {1: model.masks}} if seg else {})})
    print(f'exported {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB, {count_params(model) / 1e6:.2f} M params, '
          f'epoch {ck.get("epoch")}) in {time.time() - t:.1f}s; metadata {meta}')
    if not args.no_verify:
        # batch 2 at a non-square size other than the trace size checks the dynamic axes
        x = torch.rand(2, 3, s + 32, max(32, s - 64), generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            ref = net(x)
        got = run_with_ort(args.out, x.numpy(), outputs)
        for name, r, g in zip(outputs, ref if seg else [ref], got):
            compare(name, r.numpy(), g, atol=2e-3)


if __name__ == '__main__':
    main()
