#!/usr/bin/python3
"""Export a trained good-vs-defective classifier to ONNX (opset 17).

    python3 models/recipes/export_classifier.py --weights runs/NAME/best.pt --out die_good_defect.onnx

Input  `images` [batch, 3, H, W] float32 RGB: plain resize (no letterbox) to imgsz, / 255,
                then (x - mean) / std per channel; batch dynamic, H and W fixed (imgsz).
Output `logits` [batch, 2]: class 0 good, 1 defective (softmax for probabilities).
Output `features` [batch, C, h, w]: the last feature map, which the global average pool and
                the linear head turn into the logits; die-inspect computes class activation
                maps from it and the head's weights (metadata cam_features names it).
Metadata: names "{0: 'good', 1: 'defective'}", imgsz "[H, W]", mean, std (JSON arrays, RGB,
applied after / 255), task "classify", recipe (the training command), arch.
Uses the EMA weights (best.pt holds only those).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifiers import build_classifier  # noqa: E402
from checkpoints import load_checkpoint  # noqa: E402
from onnx_utils import compare, finalize, run_with_ort  # noqa: E402


class WithFeatures(torch.nn.Module):
    """The classifier with the feature map its global average pool reads as a second output."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.seen = []
        model.pool.register_forward_hook(lambda _m, inputs, _out: self.seen.append(inputs[0]))

    def forward(self, x):
        self.seen.clear()
        logits = self.model(x)
        return logits, self.seen[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--recipe', help="metadata 'recipe' in place of the command the checkpoint recorded "
                    '(e.g. the repository-relative command when training ran elsewhere)')
    ap.add_argument('--no-verify', action='store_true', help='skip the onnxruntime-node comparison')
    args = ap.parse_args()
    ck = load_checkpoint(args.weights)
    model = build_classifier(ck['arch'], ck.get('width'))
    model.load_state_dict(ck['ema'] if 'ema' in ck else ck['model'])
    model.float().eval()
    s = int(ck['imgsz'])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(WithFeatures(model).eval(), torch.randn(1, 3, s, s), args.out, opset_version=args.opset,
                      input_names=['images'], output_names=['logits', 'features'], do_constant_folding=True,
                      dynamic_axes={'images': {0: 'batch'}, 'logits': {0: 'batch'}, 'features': {0: 'batch'}})
    meta = {'cam_features': 'features', 'names': repr({0: 'good', 1: 'defective'}), 'imgsz': json.dumps([s, s]),
            'mean': json.dumps(ck['mean']), 'std': json.dumps(ck['std']), 'task': 'classify',
            'recipe': args.recipe if args.recipe is not None else ck.get('recipe', ''), 'arch': ck['arch']}
    region = (ck.get('args') or {}).get('region')
    if region:  # the runtime crops the same part of each image before resizing
        meta['region'] = json.dumps([float(v) for v in region.split(',')])
    finalize(args.out, meta)
    print(f'exported {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB, epoch {ck.get("epoch")}); metadata {meta}')
    if not args.no_verify:
        x = torch.randn(3, 3, s, s, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            ref_logits, ref_features = (t.numpy() for t in WithFeatures(model).eval()(x))
        logits, features = run_with_ort(args.out, x.numpy(), outputs=['logits', 'features'])
        compare('logits', ref_logits, logits, atol=1e-4)
        compare('features', ref_features, features, atol=1e-4)


if __name__ == '__main__':
    main()
