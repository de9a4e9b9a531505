#!/usr/bin/python3
"""Train a good-vs-defective classifier on `die-inspect synth --crops` output.

    python3 models/recipes/train_classifier.py --data DIR/crops --val VALDIR/crops \\
        --arch resnet18s --imgsz 224 --epochs 30 --batch 32 --out runs/NAME [--seed 0] \\
        [--device auto] [--max-minutes M]

Target: 0 good (empty or missing label file), 1 defective (any label line).
Input: plain resize to imgsz x imgsz (no letterbox), RGB / 255, normalised with the
ImageNet mean/std; cached in RAM. Augmentation: flips, small scale/translate (no rotation:
a rotated die is a defect), brightness/contrast jitter.
Loss: cross-entropy with inverse-frequency class weights (--no-balance to turn off).
AdamW, warmup + cosine LR, EMA of weights. Every epoch: OUT/last.pt (model, EMA,
optimizer, epoch, RNG state), a row in OUT/log.csv, val ROC AUC; OUT/best.pt keeps the EMA
weights with the best val AUC. Re-running the same command resumes; --max-minutes stops
after the epoch that would overrun the budget; --restart starts over.
"""
import argparse
import math
import os
import random
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifiers import build_classifier, conv_linear_gflops  # noqa: E402
from common import (ModelEMA, append_csv, cosine_factor, end_epoch, finish_run, grad_scaler, list_samples,  # noqa: E402
                    open_run, param_groups, progress, read_labels, restore_run, save_epoch, select_device,
                    set_seed)
from metrics import roc_auc  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class ClsData(torch.utils.data.Dataset):
    def __init__(self, root, imgsz, augment=False, name='data', region=None):
        self.samples = list_samples(root)
        self.imgsz = imgsz
        self.augment = augment
        t = time.time()
        self.imgs, self.targets = [], []
        for k, (ip, lp) in enumerate(self.samples):
            img = cv2.imread(ip, cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit(f'cannot read {ip}')
            if region:
                # The die's neighbourhood of the upright crop (fractions x1, y1, x2, y2):
                # more pixels on the die, and the LED region (distractor cracks) left out.
                h, w = img.shape[:2]
                img = img[int(round(region[1] * h)):int(round(region[3] * h)), int(round(region[0] * w)):int(round(region[2] * w))]
            self.imgs.append(cv2.resize(img, (imgsz, imgsz), interpolation=cv2.INTER_AREA))
            self.targets.append(1 if len(read_labels(lp)) else 0)
            if (k + 1) % 1000 == 0:
                print(f'  {name}: cached {k + 1}/{len(self.samples)}', flush=True)
        self.targets = np.array(self.targets, np.int64)
        print(f'{name}: {len(self.imgs)} images ({int((self.targets == 0).sum())} good, '
              f'{int(self.targets.sum())} defective), cached at {imgsz} in {time.time() - t:.1f}s')

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, i):
        img = self.imgs[i]
        if self.augment:
            s = self.imgsz
            k = random.uniform(0.9, 1.1)
            tx, ty = (random.uniform(-0.05, 0.05) * s for _ in range(2))
            M = np.array([[k, 0, (1 - k) * s / 2 + tx], [0, k, (1 - k) * s / 2 + ty]], np.float32)
            img = cv2.warpAffine(img, M, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            if random.random() < 0.5:
                img = img[:, ::-1]
            if random.random() < 0.5:
                img = img[::-1]
            a, b = random.uniform(0.8, 1.2), random.uniform(-20, 20)
            img = cv2.convertScaleAbs(np.ascontiguousarray(img), alpha=a, beta=b)
        chw = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))
        return torch.from_numpy(chw), int(self.targets[i])


def seed_worker(_):
    s = torch.initial_seed() % 2 ** 32
    np.random.seed(s)
    random.seed(s)


def make_loader(data, batch, shuffle, workers, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.utils.data.DataLoader(data, batch_size=batch, shuffle=shuffle, num_workers=workers,
                                       generator=g, worker_init_fn=seed_worker)


def normalize(imgs, device):
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (imgs.to(device, non_blocking=True).float() / 255 - mean) / std


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
    ap.add_argument('--arch', choices=['resnet18s', 'mobilenetv2s', 'vggs'], default='resnet18s')
    ap.add_argument('--width', type=float, default=None, help='width multiplier (default 0.25 resnet18s, 0.5 mobilenetv2s and vggs)')
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
    ap.add_argument('--max-minutes', type=float, default=0.0)
    ap.add_argument('--fit-minutes', type=float, default=0.0,
                    help='after epoch 1, lower --epochs so the whole schedule fits this budget')
    ap.add_argument('--max-batches', type=int, default=0, help='debug: at most this many batches an epoch')
    ap.add_argument('--restart', action='store_true')
    return ap.parse_args()


def main():
    t_start = time.time()
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    last_path, best_path, log_path, ckpt = open_run(args, 'AUC')
    device = select_device(args.device)
    cuda = device.type == 'cuda'
    if ckpt is not None:
        for k in ('arch', 'width', 'imgsz', 'batch'):
            if ckpt['args'].get(k) != getattr(args, k):
                raise SystemExit(f'--{k} {getattr(args, k)} differs from {last_path} ({ckpt["args"].get(k)}); '
                                 f'use another --out or --restart')
    set_seed(args.seed)
    region = [float(v) for v in args.region.split(',')] if args.region else None
    train = ClsData(args.data, args.imgsz, augment=True, name='train', region=region)
    val = ClsData(args.val, args.imgsz, augment=False, name='val', region=region)
    model = build_classifier(args.arch, args.width).to(device)
    nparam = sum(p.numel() for p in model.parameters())
    print(f'model: {args.arch}: {nparam:,} params (~{nparam * 4 / 1e6:.1f} MB fp32), '
          f'{conv_linear_gflops(model, args.imgsz, args.imgsz) if not cuda else float("nan"):.3f} GFLOPs at {args.imgsz}')
    model.to(device)
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr0)
    scaler = grad_scaler(cuda)
    ema = ModelEMA(model, decay=0.999, tau=500)
    counts = np.bincount(train.targets, minlength=2).astype(np.float64)
    weights = None
    if not args.no_balance and counts.min() > 0:
        weights = torch.tensor(counts.sum() / (2 * counts), dtype=torch.float32, device=device)
        print(f'class weights good {weights[0]:.3f} defective {weights[1]:.3f}')
    start_epoch, best_fitness, recipe = restore_run(ckpt, args, model, ema, opt, scaler, log_path)
    del ckpt
    ema.ema.to(device)
    meta = {'arch': args.arch, 'width': args.width, 'imgsz': args.imgsz, 'names': ['good', 'defective'],
            'mean': MEAN, 'std': STD, 'recipe': recipe, 'args': vars(args)}
    val_loader = make_loader(val, args.batch * 2, False, min(args.workers, 1))
    nb = math.ceil(len(train) / args.batch)
    if args.max_batches:
        nb = min(nb, args.max_batches)
    n_warm = min(round(args.warmup_epochs * nb), nb * args.epochs // 2)

    for epoch in range(start_epoch, args.epochs):
        t_ep = time.time()
        model.train()
        loader = make_loader(train, args.batch, True, args.workers, seed=args.seed * 1000 + epoch)
        tl, n_img = 0.0, 0
        for i, (imgs, y) in enumerate(progress(loader, nb, f'epoch {epoch + 1}/{args.epochs}')):
            if i >= nb:
                break
            ni = i + nb * epoch
            lr = args.lr0 * cosine_factor(epoch + i / nb, args.epochs, args.lrf)
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
            tl += float(loss) * len(y)
            n_img += len(y)
        train_s = time.time() - t_ep
        m = evaluate(ema.ema, val_loader, device, cuda)
        fitness = m['auc'] if not math.isnan(m['auc']) else m['acc']
        is_best = fitness > best_fitness
        best_fitness = max(best_fitness, fitness)
        ep_s = time.time() - t_ep
        append_csv(log_path, {'epoch': epoch + 1, 'lr': lr, 'train_loss': tl / max(n_img, 1), **m,
                              'train_s': train_s, 'epoch_s': ep_s, 's_per_img': train_s / max(n_img, 1)})
        print(f'epoch {epoch + 1}/{args.epochs} loss {tl / max(n_img, 1):.4f} | val AUC {m["auc"]:.4f} '
              f'acc {m["acc"]:.4f} loss {m["val_loss"]:.4f} | {ep_s:.1f}s ({train_s / max(n_img, 1):.3f} s/img train)',
              flush=True)
        # meta['args'] is vars(args), so the checkpoint carries a fitted --epochs
        state = end_epoch(args, t_start, epoch, ep_s, ep_s, lambda: save_epoch(
            meta, model, ema, opt, scaler, epoch + 1, m, best_fitness, is_best, last_path, best_path))
        if state == 'paused':
            return
        if state == 'done':  # --fit-minutes may have shortened the run
            break
    print(f'done: best val AUC {best_fitness:.4f}; weights {best_path}')
    finish_run(args, 'best_auc', best_fitness)


if __name__ == '__main__':
    main()
