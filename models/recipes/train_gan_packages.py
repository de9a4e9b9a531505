#!/usr/bin/python3
"""Train a high-resolution image generator: region-wise (T x T tiles from one shared latent,
regionwise.py) with a choice of coherence mechanism, or the DCGAN baseline.

    python3 models/recipes/train_gan_packages.py --data DIR --out runs/gan-boards-full \\
        [--arch regionwise|dcgan] [--coherence full|seam|both|none] [--size 512] [--tiles 4] \\
        [--batch 4] [--epochs 100] [--fit-minutes M] [--max-minutes M] [--seed 0]
    python3 models/recipes/export_gan.py --weights runs/gan-boards-full/best.pt --out gan_boards.onnx

--data: a folder of images (any sizes; resized to --size x --size), e.g.
`die-inspect synth --boards-only` output for a background generator.

Region-wise: every tile is scored by a tile discriminator that knows the tile's position.
--coherence full adds a discriminator on the merged full image (its loss added to the
generator's); seam adds --seam-weight x the mean |difference| across the one-pixel seams
between tiles; both does both; none neither. DCGAN: transposed-conv generator with
BatchNorm and a BatchNorm discriminator on the full image. All: non-saturating logistic
loss, Adam (--lr, betas 0.5, 0.999), the same ADA-kind augmentation before every
discriminator, EMA of the generator.

An epoch is one pass over the images (or --epoch-images of them). Every epoch: OUT/last.pt, OUT/best.pt (the EMA
generator), a row in OUT/log.csv and OUT/samples.png; re-running the same command resumes.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ema import ModelEMA  # noqa: E402
from gan_data import folder_images, to_unit  # noqa: E402
from gan_loop import GanPair, PairOptim, add_run_args, d_loss, g_loss, save_grid  # noqa: E402
from loop import Hooks, Run, epoch_batches  # noqa: E402
from regionwise import FullDiscriminator, TileDiscriminator, build_generator, seam_loss  # noqa: E402
from runtime import grad_scaler, seeded_loader, select_device, set_seed, set_threads  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='a folder of images')
    ap.add_argument('--out', required=True)
    ap.add_argument('--arch', choices=['regionwise', 'dcgan'], default='regionwise')
    ap.add_argument('--coherence', choices=['full', 'seam', 'both', 'none'], default='full',
                    help='region-wise only: what keeps the tiles coherent')
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--tiles', type=int, default=4, help='T: the image is T x T tiles')
    ap.add_argument('--base', type=int, default=8, help='channels = base x 128 / resolution, capped at --cmax')
    ap.add_argument('--cmax', type=int, default=128)
    ap.add_argument('--z-dim', type=int, default=128)
    ap.add_argument('--seam-weight', type=float, default=10.0)
    ap.add_argument('--limit', type=int, default=0, help='use the first N images only')
    ap.add_argument('--epochs', type=int, default=100)
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--lr', type=float, default=0.0002)
    ap.add_argument('--epoch-images', type=int, default=0,
                    help='an epoch is this many images (a fresh shuffle each time) rather than a full pass: '
                         'at 512 px on a CPU a pass takes long, and checkpoints come once an epoch')
    add_run_args(ap, ada_kimg=5.0)
    args = ap.parse_args(argv)
    if args.size % args.tiles or (args.size // args.tiles) & (args.size // args.tiles - 1):
        ap.error('--size / --tiles must be a power of two')
    return args


class Discriminators(nn.Module):
    """The discriminators a configuration trains, as one module (GanPair.d): (name, module,
    weight in the generator's loss)."""

    def __init__(self, args):
        super().__init__()
        tile = args.size // args.tiles
        self.parts = nn.ModuleDict()
        if args.arch == 'dcgan':
            self.parts['full'] = FullDiscriminator(args.size, args.base, args.cmax, batch_norm=True)
        else:
            self.parts['tile'] = TileDiscriminator(args.tiles, tile, args.base, args.cmax)
            if args.coherence in ('full', 'both'):
                self.parts['full'] = FullDiscriminator(args.size, args.base, args.cmax)

    def forward(self, images):
        return {k: d(images) for k, d in self.parts.items()}


def gan_hooks(args, run, images, device):
    pair, ema, opt, _ = run.state
    nb = epoch_batches(min(len(images), args.epoch_images or len(images)), args.batch, args.max_batches)
    fixed_z = torch.randn(4, args.z_dim, generator=torch.Generator().manual_seed(args.seed)).to(device)
    seam = args.arch == 'regionwise' and args.coherence in ('seam', 'both')

    def disc(x):
        return pair.d(pair.augment(x))

    def step(batch, i, epoch, tally):
        (imgs,) = batch
        real = to_unit(imgs).to(device)
        n = real.shape[0]
        pair.d.requires_grad_(True)
        with torch.no_grad():
            fake = pair.g(torch.randn(n, args.z_dim, device=device))
        real_out, fake_out = disc(real), disc(fake)
        loss_d = sum(d_loss(real_out[k], fake_out[k]) for k in real_out)
        opt.d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt.d.step()
        first = next(iter(real_out))
        pair.augment.observe(real_out[first].view(n, -1).mean(1))
        pair.d.requires_grad_(False)
        fake = pair.g(torch.randn(n, args.z_dim, device=device))
        out = disc(fake)
        loss_g = sum(g_loss(v) for v in out.values())
        s = seam_loss(fake, args.tiles) if args.arch == 'regionwise' else torch.zeros(())
        total = loss_g + args.seam_weight * s if seam else loss_g
        opt.g.zero_grad(set_to_none=True)
        total.backward()
        opt.g.step()
        ema.update(pair.g)
        pair.images_seen += n
        for k, v in (('d', loss_d), ('g', loss_g), ('seam', s)):
            tally[k] += float(v) * n
        tally['real'] += float(real_out[first].sign().mean()) * n
        tally['n'] += n
        return n

    @torch.no_grad()
    def validate():
        samples = ema.ema(fixed_z)
        save_grid(os.path.join(args.out, 'samples.png'), F.interpolate(samples, scale_factor=0.5, mode='area'), 2)
        return {'kimg': float(pair.images_seen) / 1000}

    def log(t, m):
        k = max(t['n'], 1)
        cols = {'loss_d': t['d'] / k, 'loss_g': t['g'] / k, 'seam': t['seam'] / k, 'rt': t['real'] / k,
                'ada_p': pair.augment.p, **m}
        return cols, (f'D {cols["loss_d"]:.3f} G {cols["loss_g"]:.3f} seam {cols["seam"]:.4f} r_t {cols["rt"]:.2f} '
                      f'p {cols["ada_p"]:.3f} | {m["kimg"]:.2f} kimg')

    return Hooks(
        batches=nb, step=step,
        loader=lambda epoch: seeded_loader(torch.utils.data.TensorDataset(images), args.batch, True, 0,
                                           seed=args.seed * 1000 + epoch),
        validate=validate, fitness=lambda m: m['kimg'], log=log,
        tally=lambda: {'d': 0.0, 'g': 0.0, 'seam': 0.0, 'real': 0.0, 'n': 0}, metrics=('kimg',))


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    run = Run(args, 'kimg', 'kimg')
    device = select_device(args.device)
    run.check_args(('arch', 'coherence', 'size', 'tiles', 'base', 'cmax', 'z_dim', 'batch', 'limit'), strict=True)
    set_seed(args.seed)
    images = folder_images(args.data, args.size, args.limit)
    print(f'data: {len(images)} images at {args.size}x{args.size} from {args.data}')
    net = {'arch': args.arch, 'z_dim': args.z_dim, 'size': args.size, 'tiles': args.tiles, 'base': args.base,
           'cmax': args.cmax}
    pair = GanPair(build_generator(net), Discriminators(args), args.ada_target, args.ada_kimg).to(device)
    print(f'{args.arch} generator {sum(p.numel() for p in pair.g.parameters()):,} params; discriminators '
          + ', '.join(f'{k} {sum(p.numel() for p in d.parameters()):,}' for k, d in pair.d.parts.items()))
    opt = PairOptim(pair, args.lr, args.lr, 0, betas=(0.5, 0.999))
    ema = ModelEMA(pair.g, decay=0.999, tau=100)
    run.resume(pair, ema, opt, grad_scaler(False))
    meta = {'task': 'gan-packages', 'arch': args.arch, 'net': net,
            'coherence': args.coherence if args.arch == 'regionwise' else 'none'}
    run.train(meta, gan_hooks(args, run, images, device))


if __name__ == '__main__':
    main()
