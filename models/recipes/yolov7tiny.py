#!/usr/bin/python3
"""YOLOv7-tiny style detector, written from the architecture description.

Layout (channels for the standard width):
  stem     : 3x3 s2 conv (32) -> 3x3 s2 conv (64)                         stride 4
  backbone : ELAN-tiny(64) -> maxpool -> ELAN-tiny(128)  = P3              stride 8
             maxpool -> ELAN-tiny(256)                   = P4              stride 16
             maxpool -> ELAN-tiny(512) -> SPPCSPC-tiny(256) = P5           stride 32
  neck     : top-down (1x1 lateral convs, nearest upsample, concat, ELAN-tiny) and
             bottom-up (3x3 s2 convs, concat, ELAN-tiny), PAN style
  head     : 3x3 conv (128/256/512) + 1x1 prediction conv per level, 3 anchors each
All convs are Conv2d(no bias) + BatchNorm + LeakyReLU(0.1).
An ELAN-tiny block: two parallel 1x1 convs (a, b), two chained 3x3 convs on b (c, d),
concat [d, c, b, a] and a 1x1 conv to the output width.

`coordconv=True` makes the neck's 3x3 convs (the two bottom-up downsampling convs and
the three head convs) CoordConvs: two channels holding the normalised x and y position
(-1..1) are appended to their input.

`gsconv=True` is the slim neck (backbone and heads unchanged): the neck's ELAN-tiny blocks
(td4, td3, bu4, bu5) become VoV-GSCSP blocks, its 1x1 lateral convs (lat5, lat4_in, lat4,
lat3_in) and its two stride-2 convs (down3, down4) become GSConvs (GSConv with a 1x1 conv
in place of the channel shuffle, so the channel pruner can follow it). The GS bottlenecks
inside VoV-GSCSP keep the real shuffle.

Run it to print parameters and GFLOPs (MACs counted by forward hooks on Conv2d,
GFLOPs = 2 * MACs / 1e9):
    /usr/bin/python3 models/recipes/yolov7tiny.py --nc 2 --imgsz 640 [--coordconv | --gsconv]
"""
import argparse
import math

import torch
import torch.nn as nn

# anchors (w, h in input pixels at 640) used only when no k-means anchors are given
DEFAULT_ANCHORS_640 = [[(10, 13), (16, 30), (33, 23)],
                       [(30, 61), (62, 45), (59, 119)],
                       [(116, 90), (156, 198), (373, 326)]]
STRIDES = (8, 16, 32)


def decode_levels(raw, anchors, strides, n_sigmoid=None):
    """Raw level outputs [b, na, ny, nx, no] -> [b, N, no]: cx, cy, w, h in input pixels,
    then objectness and class scores, all after sigmoid. Channels from `n_sigmoid` on (a
    segmenter's mask coefficients) pass through raw."""
    out = []
    for i, p in enumerate(raw):
        s = strides[i]
        na, ny, nx = p.shape[1], p.shape[2], p.shape[3]
        k = p.shape[-1] if n_sigmoid is None else n_sigmoid
        y = p[..., :k].sigmoid()
        gx = torch.arange(nx, device=p.device, dtype=p.dtype).view(1, 1, 1, -1, 1)
        gy = torch.arange(ny, device=p.device, dtype=p.dtype).view(1, 1, -1, 1, 1)
        cx = (y[..., 0:1] * 2 - 0.5 + gx) * s
        cy = (y[..., 1:2] * 2 - 0.5 + gy) * s
        wh = (y[..., 2:4] * 2) ** 2 * anchors[i].view(1, na, 1, 1, 2)
        out.append(torch.cat([cx, cy, wh, y[..., 4:], p[..., k:]], -1).flatten(1, 3))
    return torch.cat(out, 1)


def init_weights(model):
    """Kaiming-uniform convs; prediction biases start at the prior objectness (~8 objects
    per 640 image) and class probability, so early losses are not dominated by noise."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5))
    for conv, s in zip(model.pred, STRIDES):
        b = conv.bias.view(model.na, model.no)
        with torch.no_grad():
            b[:, 4] = math.log(8 / (640 / s) ** 2)
            b[:, 5:5 + model.nc] = math.log(0.6 / max(model.nc - 0.99, 0.01))


class Conv(nn.Module):
    """Conv2d + BatchNorm + LeakyReLU(0.1) (`act=False`: no activation; `g`: groups, g = c1 =
    c2 is a depthwise conv). After fuse() the BN is folded into the conv."""

    def __init__(self, c1, c2, k=1, s=1, g=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.LeakyReLU(0.1, inplace=True) if act else nn.Identity()

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)

    @torch.no_grad()
    def fuse(self):
        """Fold the BN into the conv. The conv may already have a bias: a fused model that got
        a per-channel scale back for network slimming (prune.attach_scales)."""
        if self.bn is None:
            return
        bn, conv = self.bn, self.conv
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                          conv.padding, groups=conv.groups, bias=True).to(conv.weight.device)
        fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
        b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        fused.bias.copy_((b - bn.running_mean) * scale + bn.bias)
        self.conv, self.bn = fused, None


def add_coords(x):
    """Append normalised x and y coordinate channels (-1..1, pixel centres). Export friendly:
    sizes come from the tensor shape so ONNX height/width can stay dynamic."""
    h, w = x.shape[2], x.shape[3]
    xs = (torch.arange(w, device=x.device, dtype=x.dtype) + 0.5) / w * 2 - 1
    ys = (torch.arange(h, device=x.device, dtype=x.dtype) + 0.5) / h * 2 - 1
    zero = torch.zeros_like(x[:, :1])
    return torch.cat([x, zero + xs.view(1, 1, 1, -1), zero + ys.view(1, 1, -1, 1)], 1)


class CoordConv(Conv):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__(c1 + 2, c2, k, s)

    def forward(self, x):
        return super().forward(add_coords(x))


class ELANTiny(nn.Module):
    def __init__(self, c1, c2, ch):
        super().__init__()
        self.a = Conv(c1, ch, 1)
        self.b = Conv(c1, ch, 1)
        self.c = Conv(ch, ch, 3)
        self.d = Conv(ch, ch, 3)
        self.out = Conv(4 * ch, c2, 1)

    def forward(self, x):
        a = self.a(x)
        b = self.b(x)
        c = self.c(b)
        d = self.d(c)
        return self.out(torch.cat([d, c, b, a], 1))


class SPPCSPCTiny(nn.Module):
    """Two 1x1 branches; one goes through max pools 5/9/13 (stride 1, same size) whose
    outputs are concatenated with their input and reduced; then both branches are joined."""

    def __init__(self, c1, c2, pools=(5, 9, 13)):
        super().__init__()
        self.main = Conv(c1, c2, 1)
        self.short = Conv(c1, c2, 1)
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in pools)
        self.reduce = Conv(c2 * (len(pools) + 1), c2, 1)
        self.out = Conv(2 * c2, c2, 1)

    def forward(self, x):
        y = self.main(x)
        y = self.reduce(torch.cat([p(y) for p in reversed(self.pools)] + [y], 1))
        return self.out(torch.cat([y, self.short(x)], 1))


class GSConv(nn.Module):
    """GSConv: a dense conv to half the output width, a 5x5 depthwise conv on that half,
    both halves concatenated, then a channel shuffle: the fixed permutation that puts the
    even channels first and the odd ones after, so every output half mixes dense and
    depthwise features."""

    def __init__(self, c1, c2, k=1, s=1, act=True):
        super().__init__()
        h = c2 // 2
        self.a = Conv(c1, h, k, s, act=act)
        self.dw = Conv(h, h, 5, 1, g=h, act=act)

    def forward(self, x):
        y = self.a(x)
        y = torch.cat([y, self.dw(y)], 1)
        return torch.cat([y[:, 0::2], y[:, 1::2]], 1)


class GSConvs(nn.Module):
    """The pruning-friendly GSConv: the shuffle (a permutation no channel pruner can follow)
    is replaced by a learned 1x1 Conv + BN + LeakyReLU over the concatenated halves."""

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        h = c2 // 2
        self.a = Conv(c1, h, k, s)
        self.dw = Conv(h, h, 5, 1, g=h)
        self.mix = Conv(2 * h, c2, 1)

    def forward(self, x):
        y = self.a(x)
        return self.mix(torch.cat([y, self.dw(y)], 1))


class GSBottleneck(nn.Module):
    """Two GSConvs (1x1, then 3x3 without activation) plus a 1x1 shortcut conv (no activation)."""

    def __init__(self, c1, c2):
        super().__init__()
        self.g1 = GSConv(c1, c2, 1)
        self.g2 = GSConv(c2, c2, 3, act=False)
        self.short = Conv(c1, c2, 1, act=False)

    def forward(self, x):
        return self.g2(self.g1(x)) + self.short(x)


class VoVGSCSP(nn.Module):
    """VoV-GSCSP: two 1x1 branches to half the output width, one through a GS bottleneck;
    concat [plain branch, bottleneck branch] and a 1x1 conv to the output width."""

    def __init__(self, c1, c2, n=1):
        super().__init__()
        h = c2 // 2
        self.a = Conv(c1, h, 1)
        self.b = Conv(c1, h, 1)
        self.m = nn.Sequential(*(GSBottleneck(h, h) for _ in range(n)))
        self.out = Conv(2 * h, c2, 1)

    def forward(self, x):
        return self.out(torch.cat([self.b(x), self.m(self.a(x))], 1))


def neck_elan(c1, c2):
    """The plain neck's block: ELAN-tiny with half the output width inside."""
    return ELANTiny(c1, c2, c2 // 2)


class YOLOv7Tiny(nn.Module):
    def __init__(self, nc=2, anchors=None, coordconv=False, gsconv=False):
        super().__init__()
        if coordconv and gsconv:
            raise ValueError('coordconv and gsconv are separate neck variants')
        self.nc = nc
        self.no = nc + 5
        self.na = 3
        self.nl = 3
        self.coordconv = coordconv
        self.gsconv = gsconv
        anchors = torch.tensor(anchors if anchors is not None else DEFAULT_ANCHORS_640, dtype=torch.float32)
        self.register_buffer('anchors', anchors.view(self.nl, self.na, 2))  # input pixels
        self.register_buffer('strides', torch.tensor(STRIDES, dtype=torch.float32))
        N = CoordConv if coordconv else Conv
        # slim neck: GSConvs for the neck's 1x1 laterals and stride-2 convs, VoV-GSCSP for its blocks
        L, D, B = (GSConvs, GSConvs, VoVGSCSP) if gsconv else (Conv, N, neck_elan)
        # backbone
        self.stem = nn.Sequential(Conv(3, 32, 3, 2), Conv(32, 64, 3, 2))
        self.stage2 = ELANTiny(64, 64, 32)
        self.stage3 = nn.Sequential(nn.MaxPool2d(2, 2), ELANTiny(64, 128, 64))      # P3
        self.stage4 = nn.Sequential(nn.MaxPool2d(2, 2), ELANTiny(128, 256, 128))    # P4
        self.stage5 = nn.Sequential(nn.MaxPool2d(2, 2), ELANTiny(256, 512, 256))    # P5
        self.spp = SPPCSPCTiny(512, 256)
        # neck, top-down
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.lat5 = L(256, 128, 1)
        self.lat4_in = L(256, 128, 1)
        self.td4 = B(256, 128)
        self.lat4 = L(128, 64, 1)
        self.lat3_in = L(128, 64, 1)
        self.td3 = B(128, 64)
        # neck, bottom-up
        self.down3 = D(64, 128, 3, 2)
        self.bu4 = B(256, 128)
        self.down4 = D(128, 256, 3, 2)
        self.bu5 = B(512, 256)
        # heads
        self.head3 = N(64, 128, 3)
        self.head4 = N(128, 256, 3)
        self.head5 = N(256, 512, 3)
        self.pred = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in (128, 256, 512))
        init_weights(self)

    def forward(self, x):
        """Returns a list of raw predictions, one per level: [batch, anchors, ny, nx, 5 + nc]."""
        x = self.stem(x)
        x = self.stage2(x)
        p3 = self.stage3(x)
        p4 = self.stage4(p3)
        p5 = self.spp(self.stage5(p4))
        t4 = self.td4(torch.cat([self.up(self.lat5(p5)), self.lat4_in(p4)], 1))
        o3 = self.td3(torch.cat([self.up(self.lat4(t4)), self.lat3_in(p3)], 1))
        o4 = self.bu4(torch.cat([self.down3(o3), t4], 1))
        o5 = self.bu5(torch.cat([self.down4(o4), p5], 1))
        outs = []
        for i, f in enumerate((self.head3(o3), self.head4(o4), self.head5(o5))):
            y = self.pred[i](f)
            b, _, ny, nx = y.shape
            outs.append(y.view(b, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous())
        return outs

    def decode(self, raw):
        """Raw level outputs -> [batch, N, 5 + nc] (the YOLOv7 export layout)."""
        return decode_levels(raw, self.anchors, self.strides)

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self


class Decoded(nn.Module):
    """Export wrapper: image batch -> one decoded output tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model.decode(self.model(images))


def count_params(model):
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_gflops(model, h=640, w=640):
    """2 * multiply-accumulates of all Conv2d layers for one image (forward hooks)."""
    macs = [0]

    def hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        macs[0] += out.numel() // out.shape[0] * k

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was_training = model.training
    model.eval()
    p = next(model.parameters())
    model(torch.zeros(1, 3, h, w, device=p.device, dtype=p.dtype))
    model.train(was_training)
    for hk in hs:
        hk.remove()
    return 2 * macs[0] / 1e9


def main():
    ap = argparse.ArgumentParser(description='print YOLOv7-tiny size')
    ap.add_argument('--nc', type=int, default=2)
    ap.add_argument('--imgsz', type=int, default=640)
    ap.add_argument('--coordconv', action='store_true')
    ap.add_argument('--gsconv', action='store_true', help='slim neck (VoV-GSCSP + GSConvs)')
    a = ap.parse_args()
    torch.set_num_threads(1)
    m = YOLOv7Tiny(a.nc, coordconv=a.coordconv, gsconv=a.gsconv)
    n = count_params(m)
    g = count_gflops(m, a.imgsz, a.imgsz)
    nf = count_params(YOLOv7Tiny(a.nc, coordconv=a.coordconv, gsconv=a.gsconv).fuse())
    print(f'YOLOv7-tiny nc={a.nc} coordconv={a.coordconv} gsconv={a.gsconv}: {n:,} params ({n / 1e6:.2f} M; '
          f'{nf:,} after BN fusion), {g:.2f} GFLOPs at {a.imgsz}x{a.imgsz}')


if __name__ == '__main__':
    main()
