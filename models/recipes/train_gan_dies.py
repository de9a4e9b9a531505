#!/usr/bin/python3
"""Train the defect-die GAN: a StyleGAN2-style generator conditional on the defect class,
on the label crops of a YOLO dataset (`die-inspect synth --crops` output, or your own).

    python3 models/recipes/train_gan_dies.py --data DIR/crops --out runs/gan-dies \\
        [--size 64] [--context 0.25] [--classes die_crack,die_rotation] [--epochs 200] \\
        [--batch 16] [--max-per-class N] [--fit-minutes M] [--max-minutes M] [--seed 0]
    python3 models/recipes/export_gan.py --weights runs/gan-dies/best.pt --out gan_dies.onnx

Data: every label box of the chosen classes grown by --context on each side and resized to
--size (gan_data.defect_crops), horizontally mirrored half the time. Networks:
stylegan.Generator / Discriminator (--base, --cmax channels). Loss: non-saturating
logistic, R1 (--r1-gamma) every --r1-every batches on the augmented reals; ADA-kind
augmentation (augment.py) whose probability tracks --ada-target; Adam 0.0025, betas (0, 0.99);
EMA of the generator (what best.pt and the export hold).

An epoch is one pass over the crops. Every epoch: OUT/last.pt (both networks, optimizers,
EMA, augmentation probability, RNG state), OUT/best.pt (the EMA generator), a row in
OUT/log.csv (losses, augmentation p, R1) and OUT/samples.png (fixed latents, one row per
class). Re-running the same command resumes; --restart starts over.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ema import ModelEMA  # noqa: E402
from gan_data import defect_crops, to_unit  # noqa: E402
from gan_loop import GanPair, PairOptim, add_run_args, d_loss, g_loss, r1_penalty, save_grid  # noqa: E402
from loop import Hooks, Run, epoch_batches  # noqa: E402
from runtime import grad_scaler, seeded_loader, select_device, set_seed, set_threads  # noqa: E402
from stylegan import Discriminator, Generator  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='YOLO dataset: DIR, DIR/crops or its images/ folder')
    ap.add_argument('--out', required=True)
    ap.add_argument('--classes', default='die_crack,die_rotation', help='label names to learn, in model order')
    ap.add_argument('--size', type=int, default=64, help='sample side, a power of two')
    ap.add_argument('--context', type=float, default=0.25, help='margin around each label box, x its width / height')
    ap.add_argument('--max-per-class', type=int, default=0, help='use at most N crops of each class (few-shot runs)')
    ap.add_argument('--z-dim', type=int, default=128)
    ap.add_argument('--base', type=int, default=32, help='channels = base x 64 / resolution, capped at --cmax')
    ap.add_argument('--cmax', type=int, default=128)
    ap.add_argument('--epochs', type=int, default=200)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=0.0025)
    ap.add_argument('--r1-gamma', type=float, default=0.1)
    ap.add_argument('--r1-every', type=int, default=16)
    add_run_args(ap, ada_kimg=20.0)
    return ap.parse_args(argv)


def box_size_sample(sizes, n=64):
    """At most n label sizes per class, evenly spaced through the sorted areas: what the
    export records for die-inspect to draw paste sizes from."""
    out = {}
    for name, s in sizes.items():
        s = sorted(s, key=lambda v: v[0] * v[1])
        step = max(len(s) / n, 1)
        out[name] = [[round(v, 5) for v in s[int(i * step)]] for i in range(min(n, len(s)))]
    return out


def gan_hooks(args, run, data, device):
    pair, ema, opt, _ = run.state
    images, labels = data
    nb = epoch_batches(len(images), args.batch, args.max_batches)
    gen = torch.Generator().manual_seed(args.seed)
    fixed_z = torch.randn(8 * pair.g.classes, args.z_dim, generator=gen).to(device)
    fixed_c = torch.arange(pair.g.classes).repeat_interleave(8).to(device)

    def disc(x, c):
        return pair.d(pair.augment(x), c)

    def step(batch, i, epoch, tally):
        imgs, c = batch
        real = to_unit(imgs).to(device)
        flip = torch.rand(real.shape[0], device=device) < 0.5
        real = torch.where(flip[:, None, None, None], real.flip(3), real)
        c = c.to(device)
        n = real.shape[0]
        # discriminator
        pair.d.requires_grad_(True)
        with torch.no_grad():
            fake = pair.g(torch.randn(n, args.z_dim, device=device), c)
        real_logits = disc(real, c)
        loss_d = d_loss(real_logits, disc(fake, c))
        opt.d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt.d.step()
        pair.augment.observe(real_logits)
        if args.r1_every and (nb * epoch + i) % args.r1_every == 0:
            r1 = r1_penalty(lambda x: disc(x, c), real)
            opt.d.zero_grad(set_to_none=True)
            (r1 * (args.r1_gamma / 2) * args.r1_every).backward()
            opt.d.step()
            tally['r1'] = float(r1)
        # generator
        pair.d.requires_grad_(False)
        loss_g = g_loss(disc(pair.g(torch.randn(n, args.z_dim, device=device), c), c))
        opt.g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt.g.step()
        ema.update(pair.g)
        pair.images_seen += n
        tally['d'] += float(loss_d) * n
        tally['g'] += float(loss_g) * n
        tally['real'] += float(real_logits.sign().sum())
        tally['n'] += n
        return n

    @torch.no_grad()
    def validate():
        save_grid(os.path.join(args.out, 'samples.png'), ema.ema(fixed_z, fixed_c, noise_mode='const'), 8)
        return {'kimg': float(pair.images_seen) / 1000}

    def log(t, m):
        k = max(t['n'], 1)
        cols = {'loss_d': t['d'] / k, 'loss_g': t['g'] / k, 'rt': t['real'] / k, 'ada_p': pair.augment.p,
                'r1': t.get('r1', math.nan), **m}
        return cols, (f'D {cols["loss_d"]:.3f} G {cols["loss_g"]:.3f} r_t {cols["rt"]:.2f} '
                      f'p {cols["ada_p"]:.3f} R1 {cols["r1"]:.3f} | {m["kimg"]:.1f} kimg')

    return Hooks(
        batches=nb, step=step,
        loader=lambda epoch: seeded_loader(torch.utils.data.TensorDataset(images, labels), args.batch, True, 0,
                                           seed=args.seed * 1000 + epoch),
        validate=validate, fitness=lambda m: m['kimg'], log=log,
        tally=lambda: {'d': 0.0, 'g': 0.0, 'real': 0.0, 'n': 0}, metrics=('kimg',))


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    run = Run(args, 'kimg', 'kimg')
    device = select_device(args.device)
    run.check_args(('size', 'context', 'classes', 'z_dim', 'base', 'cmax', 'batch', 'max_per_class'), strict=True)
    set_seed(args.seed)
    classes = [c.strip() for c in args.classes.split(',') if c.strip()]
    images, labels, names, sizes = defect_crops(args.data, args.size, args.context, classes, args.max_per_class)
    counts = {n: int((labels == i).sum()) for i, n in enumerate(names)}
    print(f'data: {len(images)} crops of {args.size}x{args.size} from {args.data}: {counts}')
    net = dict(z_dim=args.z_dim, w_dim=args.z_dim, classes=len(names), size=args.size, base=args.base, cmax=args.cmax)
    pair = GanPair(Generator(**net), Discriminator(classes=len(names), size=args.size, base=args.base, cmax=args.cmax),
                   args.ada_target, args.ada_kimg).to(device)
    print(f'generator {sum(p.numel() for p in pair.g.parameters()):,} params, '
          f'discriminator {sum(p.numel() for p in pair.d.parameters()):,}')
    opt = PairOptim(pair, args.lr, args.lr, args.r1_every)
    ema = ModelEMA(pair.g, decay=0.999, tau=100)
    run.resume(pair, ema, opt, grad_scaler(False))
    meta = {'task': 'gan-dies', 'arch': 'stylegan2-lite', 'net': net, 'names': names, 'context': args.context,
            'box_sizes': box_size_sample(sizes), 'train_counts': counts}
    run.train(meta, gan_hooks(args, run, (images, labels), device))


if __name__ == '__main__':
    main()
