"""Differentiable augmentation of the ADA kind: every augmentation is applied to each image
with probability p, to real and generated images alike before the discriminator sees them,
and p adapts so that the discriminator's sign on real images stays near a target. With few
real images this keeps the discriminator from memorising them; because the generator is
trained through the same augmentations, they do not leak into its samples while p stays
well below 1.

No rotations or flips: a rotated die is a defect class, and the package layout has a fixed
upright orientation. The operations: integer translation (up to 1/8 of the side, zero
fill), brightness, saturation and contrast, and cutout (a square of half the side).
"""
import torch
import torch.nn as nn


class AdaptiveAugment(nn.Module):
    """p is a buffer, so it is saved and resumed with the module that holds this one."""

    def __init__(self, target=0.6, speed_kimg=20.0, interval=4):
        super().__init__()
        self.register_buffer('p_buf', torch.zeros(()))
        self.target, self.speed_kimg, self.interval = target, speed_kimg, interval
        self._signs, self._n = 0.0, 0

    @property
    def p(self):
        return float(self.p_buf)

    def observe(self, real_logits):
        """Accumulates sign(D(real)); every `interval` batches moves p towards the target."""
        self._signs += float(real_logits.detach().sign().sum())
        self._n += real_logits.shape[0]
        if self._n >= self.interval * real_logits.shape[0]:
            rt = self._signs / self._n
            step = self._n / (self.speed_kimg * 1000)
            self.p_buf.fill_(min(max(self.p + (step if rt > self.target else -step), 0.0), 1.0))
            self._signs, self._n = 0.0, 0

    def forward(self, x):
        if self.p <= 0:
            return x
        n = x.shape[0]

        def chosen():
            return (torch.rand(n, 1, 1, 1, device=x.device) < self.p).float()

        x = x + (torch.rand(n, 1, 1, 1, device=x.device) - 0.5) * chosen()
        mean = x.mean(1, keepdim=True)
        x = mean + (x - mean) * (1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * chosen())
        mean = x.mean((1, 2, 3), keepdim=True)
        x = mean + (x - mean) * (1 + (torch.rand(n, 1, 1, 1, device=x.device) - 0.5) * chosen())
        x = translate(x, chosen()[:, 0, 0, 0])
        return cutout(x, chosen()[:, 0, 0, 0])


def translate(x, mask, ratio=0.125):
    """Shifts the chosen images by up to ratio x side in x and y, zero fill."""
    n, _, h, w = x.shape
    sx = (torch.randint(-int(w * ratio), int(w * ratio) + 1, (n,), device=x.device) * mask).long()
    sy = (torch.randint(-int(h * ratio), int(h * ratio) + 1, (n,), device=x.device) * mask).long()
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing='ij')
    src_y = gy[None] - sy[:, None, None]
    src_x = gx[None] - sx[:, None, None]
    inside = ((src_y >= 0) & (src_y < h) & (src_x >= 0) & (src_x < w)).float()[:, None]
    idx = (src_y.clamp(0, h - 1) * w + src_x.clamp(0, w - 1)).reshape(n, 1, -1).expand(-1, x.shape[1], -1)
    return x.reshape(n, x.shape[1], -1).gather(2, idx).reshape_as(x) * inside


def cutout(x, mask, ratio=0.5):
    """Zeros a square of ratio x side at a random place in the chosen images."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio), int(w * ratio)
    cy = torch.randint(0, h + 1 - ch % 2, (n, 1, 1), device=x.device)
    cx = torch.randint(0, w + 1 - cw % 2, (n, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing='ij')
    hole = ((gy[None] - cy).abs() < ch // 2) & ((gx[None] - cx).abs() < cw // 2)
    keep = 1 - hole.float() * mask[:, None, None]
    return x * keep[:, None]
