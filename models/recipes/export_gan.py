#!/usr/bin/python3
"""Export a trained generator (train_gan_dies.py or train_gan_packages.py) to ONNX (opset 17).

    python3 models/recipes/export_gan.py --weights runs/NAME/best.pt --out NAME.onnx

Defect-die generator (metadata task "gan-dies"):
  inputs  `z` [batch, Z] float32 (standard normal), `class` [batch] int64 (index into names)
  output  `images` [batch, 3, S, S] float32 RGB in [0, 1]
  metadata names (JSON list), latent Z, imgsz S, context (the margin around the label box
  each sample shows, x the box's width / height on each side), box_sizes (JSON: per class,
  label box [w, h] relative to the image they came from), arch, recipe
Image generator (metadata task "gan-packages"):
  input   `z` [batch, Z]; output `images` [batch, 3, H, W] RGB in [0, 1]
  metadata latent, imgsz "[H, W]", tiles, coherence, arch, recipe

The EMA generator is exported, with its noise inputs fixed (StyleGAN's 'const' noise), so a
latent always gives the same picture. The export is compared with PyTorch through
onnxruntime-node when it can be found.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_checkpoint  # noqa: E402
from onnx_utils import compare, finalize, run_with_ort  # noqa: E402
from regionwise import build_generator  # noqa: E402
from stylegan import Generator  # noqa: E402


class DieSampler(torch.nn.Module):
    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z, c):
        return ((self.g(z, c, noise_mode='const') + 1) / 2).clamp(0, 1)


class ImageSampler(torch.nn.Module):
    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z):
        return ((self.g(z) + 1) / 2).clamp(0, 1)


def build(ck):
    """(sampler module, example inputs, input names, metadata) for a checkpoint."""
    net = ck['net']
    if ck['task'] == 'gan-dies':
        g = Generator(**net)
        g.load_state_dict(ck['ema'] if 'ema' in ck else ck['model'])
        z = torch.randn(3, net['z_dim'], generator=torch.Generator().manual_seed(0))
        c = torch.tensor([i % net['classes'] for i in range(3)], dtype=torch.int64)
        meta = {'task': 'gan-dies', 'names': json.dumps(ck['names']), 'latent': net['z_dim'], 'imgsz': net['size'],
                'context': ck['context'], 'box_sizes': json.dumps(ck['box_sizes'], separators=(',', ':')),
                'arch': ck['arch']}
        return DieSampler(g).eval(), (z, c), ['z', 'class'], meta
    if ck['task'] == 'gan-packages':
        g = build_generator(net)
        g.load_state_dict(ck['ema'] if 'ema' in ck else ck['model'])
        z = torch.randn(2, net['z_dim'], generator=torch.Generator().manual_seed(0))
        meta = {'task': 'gan-packages', 'latent': net['z_dim'], 'imgsz': json.dumps([net['size'], net['size']]),
                'tiles': net['tiles'] if net['arch'] == 'regionwise' else 1, 'coherence': ck['coherence'],
                'arch': net['arch']}
        return ImageSampler(g).eval(), (z,), ['z'], meta
    raise SystemExit(f'not a generator checkpoint (task {ck.get("task")!r})')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--recipe', help="metadata 'recipe' in place of the command the checkpoint recorded")
    ap.add_argument('--no-verify', action='store_true', help='skip the onnxruntime-node comparison')
    args = ap.parse_args()
    ck = load_checkpoint(args.weights)
    sampler, inputs, names, meta = build(ck)
    meta['recipe'] = args.recipe if args.recipe is not None else ck.get('recipe', '')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    dynamic = {n: {0: 'batch'} for n in names + ['images']}
    with torch.no_grad():
        torch.onnx.export(sampler, inputs, args.out, opset_version=args.opset, input_names=names,
                          output_names=['images'], dynamic_axes=dynamic, do_constant_folding=True)
        ref = sampler(*inputs).numpy()
    finalize(args.out, meta, {'images': {1: 3, 2: ref.shape[2], 3: ref.shape[3]}})
    print(f'exported {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB, epoch {ck.get("epoch")}, '
          f'{ck.get("metrics", {}).get("kimg", float("nan")):.1f} kimg)')
    if not args.no_verify:
        extra = {'class': inputs[1].numpy().astype(np.int64)} if len(inputs) > 1 else None
        compare('images', ref, run_with_ort(args.out, inputs[0].numpy(), extra=extra), atol=2e-4)


if __name__ == '__main__':
    main()
