#!/usr/bin/python3
"""Prune a YOLOv7-tiny detector's channels (structured pruning) to a GFLOPs speed-up.

    python3 models/recipes/prune_detector.py --weights RUN/best.pt|RUN/last.pt|MODEL.onnx \\
        --method lamp|slim --speedup 1.5 [--steps 200] [--round 8] [--max-frac 1.0] --out runs/X/pruned.pt

--method lamp ranks channels by LAMP scores of their BatchNorm-folded weight norms,
--method slim by |BatchNorm gamma| (network slimming: prune a model trained with
train_detector.py --sparsity 5e-4). Channels go in steps (each a 1/--steps share of the
prunable channels, the last one cut to just reach the target) until the GFLOPs are at most
the start's / --speedup. --round keeps a layer's width a multiple of it (where it is one to
begin with); --max-frac caps the share of a layer's channels that may go (a layer always
keeps some). See prune.py for the channel groups and the scores.

The output is a checkpoint with the pruned layer widths (`widths`): fine-tune it with
train_detector.py --init OUT (same architecture options as the source, e.g. --coordconv)
and export it, or the fine-tuned run, with export_detector.py. A model read from an ONNX
export stays fused (no BatchNorm), like --init MODEL.onnx trains it.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_checkpoint, save_atomic  # noqa: E402
from detectors import model_from_checkpoint, read_onnx_checkpoint  # noqa: E402
from loop import recipe_command  # noqa: E402
from prune import fold_scales, prune, widths  # noqa: E402
from runtime import set_threads  # noqa: E402
from yolov7tiny import count_gflops, count_params  # noqa: E402

# what a pruned checkpoint carries over from its source (the model description the
# trainer and the exporter read)
KEEP = ('nc', 'names', 'coordconv', 'gsconv', 'imgsz', 'anchors', 'arch', 'masks', 'fused')


def pruned_checkpoint(ck, pruned, info, recipe):
    """What --out holds: the source's model description, the pruned weights and widths."""
    out = {k: ck[k] for k in KEEP if k in ck}
    out.update(model=pruned.state_dict(), widths=widths(pruned), scales=False, epoch=ck.get('epoch'), recipe=recipe,
               pruned={**info, 'source_recipe': ck.get('recipe', '')})
    return out


def size_line(model):
    return f'{count_params(model):,} params ({count_params(model) / 1e6:.2f} M), {count_gflops(model, 640, 640):.2f} GFLOPs at 640'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--weights', required=True, help='RUN/best.pt, RUN/last.pt (its EMA weights) or an exported MODEL.onnx')
    ap.add_argument('--method', choices=['lamp', 'slim'], default='lamp')
    ap.add_argument('--speedup', type=float, default=1.5, help='GFLOPs of the source / GFLOPs of the result')
    ap.add_argument('--steps', type=int, default=200, help='each step removes 1/STEPS of the prunable channels')
    ap.add_argument('--round', type=int, default=8, help='keep layer widths multiples of this (1 = any width)')
    ap.add_argument('--max-frac', type=float, default=1.0, help='most of a layer\'s channels that may be removed')
    ap.add_argument('--out', required=True, help='the pruned checkpoint, e.g. runs/NAME/pruned.pt')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    args = ap.parse_args()
    if args.speedup <= 1 or args.steps < 1 or args.round < 1 or not 0 < args.max_frac <= 1:
        raise SystemExit('need --speedup > 1, --steps >= 1, --round >= 1 and 0 < --max-frac <= 1')
    set_threads(args.threads)
    ck = read_onnx_checkpoint(args.weights) if args.weights.endswith('.onnx') else load_checkpoint(args.weights)
    if ck.get('arch', 'yolov7-tiny') != 'yolov7-tiny':
        raise SystemExit(f'{args.weights}: {ck["arch"]}; only yolov7-tiny detectors can be pruned')
    model = model_from_checkpoint(ck).float().eval()
    if args.method == 'slim' and not (ck.get('args') or {}).get('sparsity'):
        print('note: this model was not trained with --sparsity: network slimming works best after sparsity training')
    print(f'{args.weights}: {size_line(model)}')
    t = time.time()
    try:
        pruned, info = prune(model, args.method, args.speedup, args.steps, args.round, args.max_frac)
    except ValueError as e:
        raise SystemExit(str(e))
    fold_scales(pruned)  # the slimming scales of a fused model have done their job
    print(f'pruned ({args.method}, {info["steps"]} steps, {time.time() - t:.0f}s): {size_line(pruned)}; '
          f'speed-up {info["speedup"]:.3f}; prunable channels {info["channels"][0]} -> {info["channels"][1]}')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_atomic(pruned_checkpoint(ck, pruned, {**info, 'source': args.weights}, recipe_command()), args.out)
    print(f'wrote {args.out}: fine-tune with train_detector.py --init {args.out}, export with export_detector.py')


if __name__ == '__main__':
    main()
