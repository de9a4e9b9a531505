#!/usr/bin/python3
"""Train a good-vs-defective classifier on `die-inspect synth --crops` output.

    python3 models/recipes/train_classifier.py --data DIR/crops --val VALDIR/crops \\
        --arch resnet18s --imgsz 224 --epochs 30 --batch 32 --out runs/NAME [--seed 0] \\
        [--device auto] [--max-minutes M] [--oversample] [--label-smoothing 0.1] \\
        [--progressive 128,176] [--schedule cosine|linear]

--arch resnet18s, vggs, mobilenetv2s, densenets or effnets (see classifiers.py).

Target: 0 good (empty or missing label file), 1 defective (any label line).
Input: plain resize to imgsz x imgsz (no letterbox), RGB / 255, normalised with the
ImageNet mean/std; cached in RAM. Augmentation: flips, small scale/translate (no rotation:
a rotated die is a defect), brightness/contrast jitter.
Loss: cross-entropy with inverse-frequency class weights (--no-balance to turn off), or
--oversample: batches drawn with replacement so both classes come equally often (no class
weights then); --label-smoothing. AdamW, warmup then a cosine (or --schedule linear) LR,
EMA of weights. --progressive 128,176: the epochs split into equal stages trained at those
sizes (batches resized from the cache) and the last at --imgsz, so the early epochs cost less. Every epoch: OUT/last.pt (model, EMA,
optimizer, epoch, RNG state), a row in OUT/log.csv, val ROC AUC; OUT/best.pt keeps the EMA
weights with the best val AUC. Re-running the same command resumes; --max-minutes stops
after the epoch that would overrun the budget; --restart starts over.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifiers import ARCHS, build_classifier, conv_linear_gflops  # noqa: E402
from cls_data import MEAN, STD, ClsData, balanced_sampler, make_loader, normalize  # noqa: E402
from ema import ModelEMA  # noqa: E402
from loop import Hooks, Run, epoch_batches  # noqa: E402
from metrics import roc_auc  # noqa: E402
from optim import cosine_factor, linear_factor, param_groups  # noqa: E402
from progress import progress  # noqa: E402
from runtime import grad_scaler, select_device, set_seed, set_threads  # noqa: E402


@torch.no_grad()
def evaluate(model, loader, device, use_amp):
    model.eval()
    probs, ys, loss, n = [], [], 0.0, 0
    for imgs, y in progress(loader, len(loader), 'val'):
        with torch.autocast(device_type='cuda', enabled=use_amp):
            logits = model(normalize(imgs, device)).float()
        y = y.to(device)
        loss += float(F.cross_entropy(logits, y, reduction='sum'))
        n += len(y)
        probs.append(logits.softmax(1)[:, 1].cpu().numpy())
        ys.append(y.cpu().numpy())
    p, t = np.concatenate(probs), np.concatenate(ys)
    return {'auc': roc_auc(p, t), 'acc': float(((p >= 0.5) == t).mean()), 'val_loss': loss / max(n, 1)}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True)
    ap.add_argument('--val', required=True)
    ap.add_argument('--arch', choices=list(ARCHS), default='resnet18s')
    ap.add_argument('--width', type=float, default=None,
                    help='width multiplier (default 0.25 resnet18s, 0.5 the others; densenets: growth rate / 32)')
    ap.add_argument('--imgsz', type=int, default=224)
    ap.add_argument('--region', default='', help='classify only this part of each crop: x1,y1,x2,y2 as fractions')
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', default='auto')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = default)')
    ap.add_argument('--lr0', type=float, default=2e-3)
    ap.add_argument('--lrf', type=float, default=0.01)
    ap.add_argument('--weight-decay', type=float, default=0.05)
    ap.add_argument('--warmup-epochs', type=float, default=1.0)
    ap.add_argument('--label-smoothing', type=float, default=0.0)
    ap.add_argument('--no-balance', action='store_true', help='no inverse-frequency class weights')
    ap.add_argument('--oversample', action='store_true',
                    help='draw each class equally often (with replacement) in place of class weights')
    ap.add_argument('--schedule', choices=['cosine', 'linear'], default='cosine', help='LR decay from lr0 to lr0 * lrf')
    ap.add_argument('--progressive', default='',
                    help='sizes below --imgsz for the earlier equal parts of the epochs, e.g. 128,176')
    ap.add_argument('--max-minutes', type=float, default=0.0)
    ap.add_argument('--fit-minutes', type=float, default=0.0,
                    help='after epoch 1, lower --epochs so the whole schedule fits this budget')
    ap.add_argument('--max-batches', type=int, default=0, help='debug: at most this many batches an epoch')
    ap.add_argument('--restart', action='store_true')
    return ap.parse_args()


def class_weights(targets, args, device):
    """Inverse-frequency cross-entropy weights (None with --no-balance or a missing class)."""
    counts = np.bincount(targets, minlength=2).astype(np.float64)
    if args.no_balance or args.oversample or counts.min() <= 0:
        return None
    weights = torch.tensor(counts.sum() / (2 * counts), dtype=torch.float32, device=device)
    print(f'class weights good {weights[0]:.3f} defective {weights[1]:.3f}')
    return weights


def progressive_sizes(args):
    """The input size of each epoch: --progressive stages, then --imgsz."""
    sizes = [int(v) for v in args.progressive.split(',') if v] + [args.imgsz]
    if any(v < 32 or v > args.imgsz for v in sizes):
        raise SystemExit(f'--progressive sizes must be between 32 and --imgsz {args.imgsz}')
    return [sizes[min(len(sizes) - 1, e * len(sizes) // max(args.epochs, 1))] for e in range(args.epochs)]


def log_epoch(tally, m):
    """log.csv columns and the epoch line's text (mean training loss, val metrics)."""
    tl = tally['loss'] / max(tally['images'], 1)
    return {'train_loss': tl, **m}, f'loss {tl:.4f} | val AUC {m["auc"]:.4f} acc {m["acc"]:.4f} loss {m["val_loss"]:.4f}'


def classifier_hooks(args, run, data, weights, device):
    """The loop's hooks: a step with warmup then cosine LR, AMP and EMA; validation (ROC
    AUC, accuracy, loss) of the EMA model, best.pt chosen on AUC."""
    model, ema, opt, scaler = run.state
    train, val = data
    cuda = device.type == 'cuda'
    val_loader = make_loader(val, args.batch * 2, False, min(args.workers, 1))
    nb = epoch_batches(len(train), args.batch, args.max_batches)
    n_warm = min(round(args.warmup_epochs * nb), nb * args.epochs // 2)
    decay = cosine_factor if args.schedule == 'cosine' else linear_factor
    sizes = progressive_sizes(args)

    def step(batch, i, epoch, tally):
        imgs, y = batch
        ni = i + nb * epoch
        if sizes[epoch] != args.imgsz:
            imgs = F.interpolate(imgs.float(), size=(sizes[epoch], sizes[epoch]), mode='bilinear',
                                 antialias=True, align_corners=False)
        lr = args.lr0 * decay(epoch + i / nb, args.epochs, args.lrf)
        if ni < n_warm:
            lr *= (ni + 1) / n_warm
        for g in opt.param_groups:
            g['lr'] = lr
        y = y.to(device)
        with torch.autocast(device_type='cuda', enabled=cuda):
            logits = model(normalize(imgs, device))
        loss = F.cross_entropy(logits.float(), y, weight=weights, label_smoothing=args.label_smoothing)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        ema.update(model)
        tally['loss'] += float(loss) * len(y)
        tally['images'] += len(y)
        return len(y)

    return Hooks(
        batches=nb, step=step,
        loader=lambda epoch: make_loader(train, args.batch, True, args.workers, seed=args.seed * 1000 + epoch,
                                         sampler=balanced_sampler(train.targets, args.seed * 1000 + epoch) if args.oversample else None),
        validate=lambda: evaluate(ema.ema, val_loader, device, cuda),
        fitness=lambda m: m['auc'] if not math.isnan(m['auc']) else m['acc'],
        log=log_epoch, tally=lambda: {'loss': 0.0, 'images': 0})


def main():
    args = parse_args()
    set_threads(args.threads)
    run = Run(args, 'AUC', 'best_auc')
    device = select_device(args.device)
    cuda = device.type == 'cuda'
    run.check_args(('arch', 'width', 'imgsz', 'batch', 'progressive', 'oversample'), strict=True)
    set_seed(args.seed)
    region = [float(v) for v in args.region.split(',')] if args.region else None
    train = ClsData(args.data, args.imgsz, augment=True, name='train', region=region)
    val = ClsData(args.val, args.imgsz, augment=False, name='val', region=region)
    model = build_classifier(args.arch, args.width).to(device)
    nparam = sum(p.numel() for p in model.parameters())
    print(f'model: {args.arch}: {nparam:,} params (~{nparam * 4 / 1e6:.1f} MB fp32), '
          f'{conv_linear_gflops(model, args.imgsz, args.imgsz) if not cuda else float("nan"):.3f} GFLOPs at {args.imgsz}')
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr0)
    scaler = grad_scaler(cuda)
    ema = ModelEMA(model, decay=0.999, tau=500)
    weights = class_weights(train.targets, args, device)
    run.resume(model, ema, opt, scaler)
    meta = {'arch': args.arch, 'width': args.width, 'imgsz': args.imgsz, 'names': ['good', 'defective'],
            'mean': MEAN, 'std': STD}
    run.train(meta, classifier_hooks(args, run, (train, val), weights, device))


if __name__ == '__main__':
    main()
