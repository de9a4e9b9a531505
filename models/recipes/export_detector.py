#!/usr/bin/python3
"""Export a trained detector checkpoint to ONNX (opset 17) in the YOLOv7 export layout.

    python3 models/recipes/export_detector.py --weights runs/NAME/best.pt --out die_defects.onnx

Input  `images`  [batch, 3, height, width] float32 RGB 0..1 (letterboxed; all dims dynamic,
                 height/width multiples of 32).
Output `output`  [batch, N, 5 + nc]: cx, cy, w, h in input pixels, objectness, class scores,
                 decoded in the graph (sigmoid; (xy * 2 - 0.5 + grid) * stride;
                 (wh * 2)^2 * anchor). No NMS.
Metadata: names (Python dict literal), stride, imgsz ([h, w] train size), task, recipe
(the training command), plus anchors and arch.
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
from onnx_utils import compare, finalize, run_with_ort  # noqa: E402
from yolov7tiny import Decoded, YOLOv7Tiny, count_params  # noqa: E402


def load_detector(path):
    ck = torch.load(path, map_location='cpu')
    sd = ck['ema'] if 'ema' in ck else ck['model']
    model = YOLOv7Tiny(ck['nc'], np.array(ck['anchors']).reshape(3, 3, 2).tolist(), coordconv=ck['coordconv'])
    model.load_state_dict(sd)
    return model.float().eval(), ck


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True, help='runs/NAME/best.pt (or last.pt)')
    ap.add_argument('--out', required=True, help='output .onnx path')
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--no-fuse', action='store_true', help='keep BatchNorm layers')
    ap.add_argument('--no-verify', action='store_true', help='skip the onnxruntime-node comparison')
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model, ck = load_detector(args.weights)
    if not args.no_fuse:
        model.fuse()
    net = Decoded(model).eval()
    s = int(ck['imgsz'])
    dummy = torch.rand(1, 3, s, s)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    t = time.time()
    torch.onnx.export(net, dummy, args.out, opset_version=args.opset, input_names=['images'],
                      output_names=['output'], do_constant_folding=True,
                      dynamic_axes={'images': {0: 'batch', 2: 'height', 3: 'width'},
                                    'output': {0: 'batch', 1: 'anchors'}})
    names = {i: n for i, n in enumerate(ck['names'])}
    meta = {'names': repr(names), 'stride': '32', 'imgsz': f'[{s}, {s}]', 'task': 'detect',
            'recipe': ck.get('recipe', ''), 'arch': 'yolov7-tiny' + ('-coordconv' if ck['coordconv'] else ''),
            'anchors': repr([[round(float(v), 2) for v in a] for a in np.array(ck['anchors']).reshape(9, 2)])}
    finalize(args.out, meta, {'output': {2: 5 + model.nc}})
    print(f'exported {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB, {count_params(model) / 1e6:.2f} M params, '
          f'epoch {ck.get("epoch")}) in {time.time() - t:.1f}s; metadata {meta}')
    if not args.no_verify:
        # batch 2 at a non-square size other than the trace size checks the dynamic axes
        x = torch.rand(2, 3, s + 32, max(32, s - 64), generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            ref = net(x).numpy()
        compare('output', ref, run_with_ort(args.out, x.numpy()), atol=2e-3)


if __name__ == '__main__':
    main()
