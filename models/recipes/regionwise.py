"""Region-wise high-resolution synthesis (train_gan_packages.py): one generator makes each
of the T x T tiles of an image from ONE shared latent, conditioned on the tile's position;
the tiles are merged into the full image. Coherence between tiles comes from a full-image
discriminator on the merged image, from a loss on the one-pixel seams between tiles, or
both; a DCGAN of the same output size is the baseline.

TileGenerator: z (pixel-normalised) joined with a learned embedding of the tile index ->
a linear layer to a 4x4 map, then blocks of (2x upsample, 3x3 conv, leaky ReLU, pixel
norm) up to the tile size, the convs up to 32x32 also reading two channels of the pixel's
position in the FULL image (x, y in [-1, 1]), so that neighbouring tiles see continuous
coordinates across their border; tanh to RGB. All tiles of a batch run as one batch of N x T x T.

TileDiscriminator: stride-2 convs down to 4x4 and a projection on the tile position.
FullDiscriminator: the same kind of stack on the merged image. DCGAN: transposed convs
with BatchNorm and ReLU up to the full size, and its BatchNorm discriminator.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def pixel_norm(x):
    return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


def widths(size, base, cmax, start=4):
    """Channels at each resolution from start to size: base x 128 / res, capped at cmax, at least 4."""
    out, res = [], start
    while res <= size:
        out.append(max(4, min(cmax, base * 128 // res)))
        res *= 2
    return out


def coords(n, tiles, tile, res, device):
    """[n x T x T, 2, res, res]: each tile pixel's (x, y) in the full image, in [-1, 1]."""
    step = tile / res                                       # tile pixels per feature pixel
    local = (torch.arange(res, device=device) + 0.5) * step  # pixel centres inside a tile
    full = tiles * tile
    grid = []
    for r in range(tiles):
        for c in range(tiles):
            ys = (r * tile + local) / full * 2 - 1
            xs = (c * tile + local) / full * 2 - 1
            gy, gx = torch.meshgrid(ys, xs, indexing='ij')
            grid.append(torch.stack([gx, gy]))
    return torch.stack(grid).repeat(n, 1, 1, 1)


class TileGenerator(nn.Module):
    def __init__(self, z_dim=128, tiles=4, tile=128, base=8, cmax=128, e_dim=32, coord_res=32):
        super().__init__()
        self.z_dim, self.tiles, self.tile = z_dim, tiles, tile
        self.size = tiles * tile
        ch = widths(tile, base, cmax)
        self.embed = nn.Embedding(tiles * tiles, e_dim)
        self.fc = nn.Linear(z_dim + e_dim, ch[0] * 16)
        # position channels and pixel norm up to coord_res only: above it they cost more
        # (memory traffic on N x T x T large maps) than they add
        self.coord_res = min(coord_res, tile)
        res = [4 * 2 ** (i + 1) for i in range(len(ch) - 1)]
        self.convs = nn.ModuleList(nn.Conv2d(ch[i] + (2 if r <= self.coord_res else 0), ch[i + 1], 3, padding=1)
                                   for i, r in enumerate(res))
        self.rgb = nn.Conv2d(ch[-1], 3, 3, padding=1)
        self.c0 = ch[0]

    def tiles_of(self, z):
        """z [N, z_dim] -> tiles [N x T x T, 3, tile, tile] (row-major tile order)."""
        n, tt = z.shape[0], self.tiles * self.tiles
        zz = pixel_norm(z).repeat_interleave(tt, 0)
        pos = torch.arange(tt, device=z.device).repeat(n)
        x = F.leaky_relu(self.fc(torch.cat([zz, self.embed(pos)], 1)), 0.2).view(-1, self.c0, 4, 4)
        x = pixel_norm(x)
        for conv in self.convs:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
            if x.shape[2] <= self.coord_res:
                x = pixel_norm(F.leaky_relu(conv(torch.cat([x, coords(n, self.tiles, self.tile, x.shape[2], z.device)], 1)), 0.2))
            else:
                x = F.leaky_relu(conv(x), 0.2)
        return torch.tanh(self.rgb(x))

    def forward(self, z):
        return merge(self.tiles_of(z), self.tiles)


def merge(tiles, t):
    """[N x T x T, C, h, w] (row-major tiles) -> [N, C, T x h, T x w]."""
    nt, c, h, w = tiles.shape
    n = nt // (t * t)
    return tiles.view(n, t, t, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(n, c, t * h, t * w)


def split(images, t):
    """The inverse of merge."""
    n, c, hh, ww = images.shape
    h, w = hh // t, ww // t
    return images.view(n, c, t, h, t, w).permute(0, 2, 4, 1, 3, 5).reshape(n * t * t, c, h, w)


def seam_loss(images, t):
    """Mean |difference| between the two pixel rows (columns) that meet at each tile border:
    the one-pixel seams a region-wise generator must make continuous."""
    n, c, hh, ww = images.shape
    h, w = hh // t, ww // t
    rows = [(images[:, :, k * h - 1] - images[:, :, k * h]).abs().mean() for k in range(1, t)]
    cols = [(images[:, :, :, k * w - 1] - images[:, :, :, k * w]).abs().mean() for k in range(1, t)]
    return torch.stack(rows + cols).mean()


class ConvStack(nn.Module):
    """Stride-2 4x4 convs with leaky ReLU from size down to 4x4, then a linear layer to
    `out` features. batch_norm: DCGAN's discriminator."""

    def __init__(self, size, base, cmax, out, batch_norm=False):
        super().__init__()
        ch = list(reversed(widths(size // 2, base, cmax)))    # channels after each stride-2 conv
        layers, cin = [], 3
        for i, co in enumerate(ch):
            layers.append(nn.Conv2d(cin, co, 4, stride=2, padding=1))
            if batch_norm and i:
                layers.append(nn.BatchNorm2d(co))
            layers.append(nn.LeakyReLU(0.2))
            cin = co
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin * 16, out)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1))


class TileDiscriminator(nn.Module):
    def __init__(self, tiles=4, tile=128, base=16, cmax=128, cmap=64):
        super().__init__()
        self.tiles = tiles
        self.stack = ConvStack(tile, base, cmax, cmap + 1)
        self.embed = nn.Embedding(tiles * tiles, cmap)

    def forward(self, images):
        """Scores every tile of the merged images against its position: [N x T x T]."""
        x = self.stack(split(images, self.tiles))
        pos = torch.arange(self.tiles * self.tiles, device=images.device).repeat(images.shape[0])
        return x[:, 0] + (x[:, 1:] * self.embed(pos)).sum(1) / x[:, 1:].shape[1] ** 0.5


class FullDiscriminator(nn.Module):
    def __init__(self, size=512, base=16, cmax=128, batch_norm=False):
        super().__init__()
        self.stack = ConvStack(size, base, cmax, 1, batch_norm)

    def forward(self, images):
        return self.stack(images)[:, 0]


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim=128, size=512, base=16, cmax=256):
        super().__init__()
        self.z_dim, self.size = z_dim, size
        ch = widths(size // 2, base, cmax)
        layers = [nn.ConvTranspose2d(z_dim, ch[0], 4, 1, 0), nn.BatchNorm2d(ch[0]), nn.ReLU(True)]
        for a, b in zip(ch, ch[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ch[-1], 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z[:, :, None, None])


def build_generator(net):
    """The generator a checkpoint's `net` options describe (the trainer's and the exporter's)."""
    if net['arch'] == 'dcgan':
        return DCGANGenerator(net['z_dim'], net['size'], net['base'], max(net['cmax'], 256))
    return TileGenerator(net['z_dim'], net['tiles'], net['size'] // net['tiles'], net['base'], net['cmax'])


if __name__ == '__main__':
    for name, m in (('tile generator', TileGenerator()), ('tile discriminator', TileDiscriminator()),
                    ('full discriminator', FullDiscriminator()), ('dcgan generator', DCGANGenerator()),
                    ('dcgan discriminator', FullDiscriminator(batch_norm=True))):
        print(f'{name}: {sum(p.numel() for p in m.parameters()):,} params')
    z = torch.randn(2, 128)
    img = TileGenerator()(z)
    print('region-wise sample', tuple(img.shape), 'seam loss', float(seam_loss(img, 4)))
    print('dcgan sample', tuple(DCGANGenerator()(z).shape))
