"""A StyleGAN2-style conditional generator and discriminator, small enough for CPU training
at 64-128 px (the defect-die GAN of train_gan_dies.py).

Generator: z (pixel-normalised) joined with an embedded class -> a mapping MLP -> w; a
learned 4x4 constant, then one block per resolution (bilinear upsample, two modulated 3x3
convs with per-pixel noise and bias, leaky ReLU) and a skip toRGB at every resolution whose
outputs are summed upwards. Discriminator: residual blocks down to 4x4, a minibatch
standard-deviation channel, and a projection head (the dot product of its features with an
embedding of the class). Equalised learning rate everywhere (weights stored at unit
variance, scaled by 1/sqrt(fan_in) when used).

Modulation scales the input channels by the style and demodulation scales the outputs
(StyleGAN2's non-fused form): the same maths as modulating the weights, but one shared
convolution for the whole batch, so the ONNX export keeps a dynamic batch.

Noise: a fresh normal image per layer in training; `noise_mode='const'` (what the export
uses) takes a fixed buffer per layer, so a latent always makes the same picture.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SQRT2 = math.sqrt(2)


def lrelu(x):
    """Leaky ReLU rescaled to keep unit variance (gain sqrt 2)."""
    return F.leaky_relu(x, 0.2) * SQRT2


class EqLinear(nn.Module):
    def __init__(self, cin, cout, bias_init=0.0, lr_mul=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr_mul)
        self.bias = nn.Parameter(torch.full((cout,), float(bias_init)))
        self.scale, self.lr_mul = lr_mul / math.sqrt(cin), lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqConv(nn.Module):
    def __init__(self, cin, cout, k, bias=True, down=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.scale, self.pad, self.down = 1 / math.sqrt(cin * k * k), k // 2, down

    def forward(self, x):
        if self.down:
            x = F.avg_pool2d(x, 2)
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


class ModConv(nn.Module):
    """Modulated convolution: style from w scales the input channels; demodulation
    normalises each output channel to unit expected variance."""

    def __init__(self, cin, cout, k, w_dim, demod=True):
        super().__init__()
        self.affine = EqLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.scale, self.pad, self.demod = 1 / math.sqrt(cin * k * k), k // 2, demod

    def forward(self, x, w):
        s = self.affine(w)                                   # [N, cin]
        weight = self.weight * self.scale
        x = F.conv2d(x * s[:, :, None, None], weight, padding=self.pad)
        if self.demod:
            d = torch.rsqrt((weight.pow(2)[None] * s.pow(2)[:, None, :, None, None]).sum((2, 3, 4)) + 1e-8)
            x = x * d[:, :, None, None]
        return x


class StyleLayer(nn.Module):
    """Modulated 3x3 conv, noise, bias, leaky ReLU."""

    def __init__(self, cin, cout, w_dim, res):
        super().__init__()
        self.conv = ModConv(cin, cout, 3, w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer('noise_const', torch.randn(1, 1, res, res))
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x, w, noise_mode):
        x = self.conv(x, w)
        if noise_mode == 'random':
            x = x + torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device) * self.noise_strength
        elif noise_mode == 'const':
            x = x + self.noise_const * self.noise_strength
        return lrelu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    def __init__(self, cin, w_dim):
        super().__init__()
        self.conv = ModConv(cin, 3, 1, w_dim, demod=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias[None, :, None, None]


def channels_for(res, base, cmax):
    """Channels at a resolution: base*64/res, capped (wide at 4x4, narrow at full size)."""
    return int(min(cmax, base * 64 // res))


class Generator(nn.Module):
    def __init__(self, z_dim=128, w_dim=128, classes=2, size=64, base=64, cmax=128, mapping_layers=4):
        super().__init__()
        if size < 8 or size & (size - 1):
            raise ValueError(f'size must be a power of two >= 8, got {size}')
        self.z_dim, self.w_dim, self.classes, self.size = z_dim, w_dim, classes, size
        self.embed = EqLinear(classes, z_dim) if classes > 1 else None
        layers, cin = [], z_dim * (2 if classes > 1 else 1)
        for _ in range(mapping_layers):
            layers.append(EqLinear(cin, w_dim, lr_mul=0.01))
            cin = w_dim
        self.mapping = nn.ModuleList(layers)
        c4 = channels_for(4, base, cmax)
        self.const = nn.Parameter(torch.randn(1, c4, 4, 4))
        self.first = StyleLayer(c4, c4, w_dim, 4)
        self.rgbs = nn.ModuleList([ToRGB(c4, w_dim)])
        self.blocks = nn.ModuleList()
        res, c = 8, c4
        while res <= size:
            co = channels_for(res, base, cmax)
            self.blocks.append(nn.ModuleList([StyleLayer(c, co, w_dim, res), StyleLayer(co, co, w_dim, res)]))
            self.rgbs.append(ToRGB(co, w_dim))
            res, c = res * 2, co

    def map(self, z, c):
        x = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)
        if self.embed is not None:
            e = self.embed(F.one_hot(c.long(), self.classes).float())
            x = torch.cat([x, e * torch.rsqrt(e.pow(2).mean(1, keepdim=True) + 1e-8)], 1)
        for layer in self.mapping:
            x = lrelu(layer(x))
        return x

    def forward(self, z, c, noise_mode='random'):
        """z [N, z_dim], c [N] class indices -> images [N, 3, size, size] in about [-1, 1]."""
        w = self.map(z, c)
        x = self.first(self.const.expand(z.shape[0], -1, -1, -1), w, noise_mode)
        img = self.rgbs[0](x, w)
        for (a, b), rgb in zip(self.blocks, self.rgbs[1:]):
            x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
            x = b(a(x, w, noise_mode), w, noise_mode)
            img = F.interpolate(img, scale_factor=2, mode='bilinear', align_corners=False) + rgb(x, w)
        return img


class DBlock(nn.Module):
    """Residual discriminator block: two 3x3 convs (the second after a 2x average pool),
    plus a 1x1 skip, summed with 1/sqrt 2."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1, self.conv2 = EqConv(cin, cin, 3), EqConv(cin, cout, 3, down=True)
        self.skip = EqConv(cin, cout, 1, bias=False, down=True)

    def forward(self, x):
        return (self.skip(x) + lrelu(self.conv2(lrelu(self.conv1(x))))) / SQRT2


def minibatch_std(x, group=4):
    """Appends the mean over channels and pixels of the standard deviation within groups of
    `group` samples: lets the discriminator see a lack of variety."""
    n, c, h, w = x.shape
    g = min(group, n)
    while n % g:
        g -= 1
    y = x.reshape(g, -1, c, h, w)
    y = (y - y.mean(0)).pow(2).mean(0).add(1e-8).sqrt().mean((1, 2, 3))   # [n/g]
    y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], 1)


class Discriminator(nn.Module):
    def __init__(self, classes=2, size=64, base=64, cmax=128, cmap=64):
        super().__init__()
        self.classes = classes
        self.from_rgb = EqConv(3, channels_for(size, base, cmax), 1)
        blocks, res = [], size
        while res > 4:
            blocks.append(DBlock(channels_for(res, base, cmax), channels_for(res // 2, base, cmax)))
            res //= 2
        self.blocks = nn.Sequential(*blocks)
        c4 = channels_for(4, base, cmax)
        self.conv = EqConv(c4 + 1, c4, 3)
        self.fc = EqLinear(c4 * 16, c4)
        self.out = EqLinear(c4, cmap if classes > 1 else 1)
        self.embed = EqLinear(classes, cmap) if classes > 1 else None
        self.cmap = cmap

    def forward(self, img, c):
        x = self.blocks(lrelu(self.from_rgb(img)))
        x = lrelu(self.conv(minibatch_std(x)))
        x = self.out(lrelu(self.fc(x.flatten(1))))
        if self.embed is None:
            return x[:, 0]
        e = self.embed(F.one_hot(c.long(), self.classes).float())
        e = e * torch.rsqrt(e.pow(2).mean(1, keepdim=True) + 1e-8)
        return (x * e).sum(1) / math.sqrt(self.cmap)


if __name__ == '__main__':
    g, d = Generator(), Discriminator()
    print(f'generator {sum(p.numel() for p in g.parameters()):,} params; '
          f'discriminator {sum(p.numel() for p in d.parameters()):,} params')
    z = torch.randn(4, 128)
    c = torch.tensor([0, 1, 0, 1])
    print('sample', tuple(g(z, c).shape), 'score', tuple(d(g(z, c), c).shape))
