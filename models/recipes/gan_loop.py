"""What the two GAN recipes share on top of loop.Run: the generator and discriminator held
as one module (so last.pt keeps both, and the augmentation probability), their two Adam
optimizers behind one optimizer-like object, the non-saturating logistic loss with a lazy
R1 penalty, and the sample grid written after every epoch.

A GAN has no validation figure to pick a checkpoint on: best.pt is the newest epoch's EMA
generator (its fitness is the images seen), and quality is measured after training with
`node scripts/gan-metrics.js` (FID / KID on a shipped classifier's features).
"""
import os

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from augment import AdaptiveAugment


def add_run_args(ap, ada_kimg):
    """The options both GAN trainers take: augmentation, seed, device, threads, budgets, resume."""
    ap.add_argument('--ada-target', type=float, default=0.6)
    ap.add_argument('--ada-kimg', type=float, default=ada_kimg, help='thousands of images for p to go from 0 to 1')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', default='auto')
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = default)')
    ap.add_argument('--max-minutes', type=float, default=0.0)
    ap.add_argument('--fit-minutes', type=float, default=0.0,
                    help='after epoch 1, lower --epochs so the whole run fits this budget')
    ap.add_argument('--max-batches', type=int, default=0, help='debug: at most this many batches an epoch')
    ap.add_argument('--restart', action='store_true')


class GanPair(nn.Module):
    def __init__(self, g, d, ada_target=0.6, ada_kimg=20.0):
        super().__init__()
        self.g, self.d = g, d
        self.augment = AdaptiveAugment(ada_target, ada_kimg)
        self.register_buffer('images_seen', torch.zeros((), dtype=torch.float64))


class PairOptim:
    """Adam for G and for D (default betas (0, 0.99): StyleGAN2's), saved and loaded as one.
    With lazy R1 every r1_every batches the D optimizer's lr and betas are scaled by the
    interval's ratio, as lazy regularisation does."""

    def __init__(self, pair, lr_g, lr_d, r1_every, betas=(0.0, 0.99)):
        ratio = r1_every / (r1_every + 1) if r1_every else 1
        self.g = torch.optim.Adam(pair.g.parameters(), lr=lr_g, betas=betas)
        self.d = torch.optim.Adam(pair.d.parameters(), lr=lr_d * ratio, betas=(betas[0] ** ratio, betas[1] ** ratio))

    @property
    def param_groups(self):
        return self.g.param_groups

    def zero_grad(self, set_to_none=True):
        self.g.zero_grad(set_to_none=set_to_none)
        self.d.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return {'g': self.g.state_dict(), 'd': self.d.state_dict()}

    def load_state_dict(self, s):
        self.g.load_state_dict(s['g'])
        self.d.load_state_dict(s['d'])


def d_loss(real_logits, fake_logits):
    """Non-saturating logistic loss, discriminator side."""
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def g_loss(fake_logits):
    return F.softplus(-fake_logits).mean()


def r1_penalty(d_fn, real):
    """gamma/2 x E|grad_x D(x)|^2 on real images (the caller scales by gamma and interval)."""
    real = real.detach().requires_grad_(True)
    logits = d_fn(real)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.pow(2).sum((1, 2, 3)).mean()


def to_uint8(x):
    """[-1, 1] float NCHW -> uint8 NHWC."""
    return ((x.detach().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def save_grid(path, images, cols):
    """Writes images ([-1, 1] NCHW, RGB) as one PNG grid, atomically."""
    a = to_uint8(images)
    n, h, w, _ = a.shape
    rows = (n + cols - 1) // cols
    grid = np.full((rows * (h + 2) + 2, cols * (w + 2) + 2, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = a[i]
    tmp = path + '.tmp.png'
    cv2.imwrite(tmp, np.ascontiguousarray(grid[..., ::-1]))
    os.replace(tmp, path)
