#!/usr/bin/python3
"""YOLOv5n-style detector and segmenter for the package ROI models, written from the
architecture description (depth 0.33, width 0.25).

Layout (channels):
  backbone : 6x6 s2 conv (16) -> 3x3 s2 conv (32) -> C3(32) x1            stride 4
             3x3 s2 conv (64) -> C3(64) x2                = P3            stride 8
             3x3 s2 conv (128) -> C3(128) x3              = P4            stride 16
             3x3 s2 conv (256) -> C3(256) x1 -> SPPF(256) = P5            stride 32
  neck     : PAN: 1x1 lateral, nearest upsample, concat, C3 (no shortcut), top-down
             then 3x3 s2 convs bottom-up; outputs 64 / 128 / 256 channels
  head     : 1x1 prediction conv per level, 3 anchors each
All convs are Conv2d(no bias) + BatchNorm + SiLU. A C3 block: two 1x1 branches, one
through n bottlenecks (1x1 then 3x3, residual when `shortcut`), concatenated and fused.

`masks=32` makes it a YOLOv5-seg style segmenter: each prediction carries 32 mask
coefficients after the class scores, and a prototype branch on the stride-8 output
(3x3 conv, 2x upsample, 3x3 conv, 1x1 conv to 32 maps) gives prototypes at stride 4.
An instance mask is sigmoid(coefficients . prototypes), cropped to its box.

Run it to print parameters and GFLOPs:
    /usr/bin/python3 models/recipes/yolov5n.py --nc 1 --imgsz 640 [--masks 32]
"""
import argparse

import torch
import torch.nn as nn

from yolov7tiny import Conv, count_gflops, count_params, decode_levels, init_weights

STRIDES = (8, 16, 32)
DEFAULT_ANCHORS_640 = [[(10, 13), (16, 30), (33, 23)],
                       [(30, 61), (62, 45), (59, 119)],
                       [(116, 90), (156, 198), (373, 326)]]


class ConvS(Conv):
    """Conv + BatchNorm + SiLU (the YOLOv5 activation)."""

    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__(c1, c2, k, s)
        if p is not None:
            self.conv.padding = (p, p)
        self.act = nn.SiLU(inplace=True)


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.a = ConvS(c, c, 1)
        self.b = ConvS(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.b(self.a(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        h = c2 // 2
        self.a = ConvS(c1, h, 1)
        self.b = ConvS(c1, h, 1)
        self.m = nn.Sequential(*(Bottleneck(h, shortcut) for _ in range(n)))
        self.out = ConvS(2 * h, c2, 1)

    def forward(self, x):
        return self.out(torch.cat([self.m(self.a(x)), self.b(x)], 1))


class SPPF(nn.Module):
    """Three chained 5x5 max pools (same receptive fields as 5/9/13 in parallel)."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        h = c1 // 2
        self.a = ConvS(c1, h, 1)
        self.pool = nn.MaxPool2d(k, 1, k // 2)
        self.out = ConvS(4 * h, c2, 1)

    def forward(self, x):
        x = self.a(x)
        y1 = self.pool(x)
        y2 = self.pool(y1)
        return self.out(torch.cat([x, y1, y2, self.pool(y2)], 1))


class Proto(nn.Module):
    def __init__(self, c1, ch=64, masks=32):
        super().__init__()
        self.a = ConvS(c1, ch, 3)
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.b = ConvS(ch, ch, 3)
        self.c = ConvS(ch, masks, 1)

    def forward(self, x):
        return self.c(self.b(self.up(self.a(x))))


class YOLOv5n(nn.Module):
    def __init__(self, nc=1, anchors=None, masks=0):
        super().__init__()
        self.nc, self.masks = nc, masks
        self.no = nc + 5 + masks
        self.na, self.nl = 3, 3
        anchors = torch.tensor(anchors if anchors is not None else DEFAULT_ANCHORS_640, dtype=torch.float32)
        self.register_buffer('anchors', anchors.view(self.nl, self.na, 2))
        self.register_buffer('strides', torch.tensor(STRIDES, dtype=torch.float32))
        self.stem = nn.Sequential(ConvS(3, 16, 6, 2, 2), ConvS(16, 32, 3, 2), C3(32, 32, 1))
        self.stage3 = nn.Sequential(ConvS(32, 64, 3, 2), C3(64, 64, 2))        # P3
        self.stage4 = nn.Sequential(ConvS(64, 128, 3, 2), C3(128, 128, 3))     # P4
        self.stage5 = nn.Sequential(ConvS(128, 256, 3, 2), C3(256, 256, 1), SPPF(256, 256))
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.lat5 = ConvS(256, 128, 1)
        self.td4 = C3(256, 128, 1, False)
        self.lat4 = ConvS(128, 64, 1)
        self.td3 = C3(128, 64, 1, False)
        self.down3 = ConvS(64, 64, 3, 2)
        self.bu4 = C3(128, 128, 1, False)
        self.down4 = ConvS(128, 128, 3, 2)
        self.bu5 = C3(256, 256, 1, False)
        self.pred = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in (64, 128, 256))
        self.proto = Proto(64, 64, masks) if masks else None
        init_weights(self)

    def forward(self, x):
        """Raw level outputs [batch, anchors, ny, nx, no]; a segmenter also returns the
        prototypes [batch, masks, h/4, w/4]."""
        x = self.stem(x)
        p3 = self.stage3(x)
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        l5 = self.lat5(p5)
        t4 = self.td4(torch.cat([self.up(l5), p4], 1))
        l4 = self.lat4(t4)
        o3 = self.td3(torch.cat([self.up(l4), p3], 1))
        o4 = self.bu4(torch.cat([self.down3(o3), l4], 1))
        o5 = self.bu5(torch.cat([self.down4(o4), l5], 1))
        outs = []
        for i, f in enumerate((o3, o4, o5)):
            y = self.pred[i](f)
            b, _, ny, nx = y.shape
            outs.append(y.view(b, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous())
        return (outs, self.proto(o3)) if self.proto is not None else outs

    def decode(self, raw):
        """[batch, N, 5 + nc (+ masks)]: boxes and scores decoded, mask coefficients raw
        (the YOLOv5 / YOLOv5-seg export layout)."""
        return decode_levels(raw, self.anchors, self.strides, n_sigmoid=5 + self.nc)

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self


def main():
    ap = argparse.ArgumentParser(description='print YOLOv5n size')
    ap.add_argument('--nc', type=int, default=1)
    ap.add_argument('--masks', type=int, default=0)
    ap.add_argument('--imgsz', type=int, default=640)
    a = ap.parse_args()
    torch.set_num_threads(1)
    m = YOLOv5n(a.nc, masks=a.masks)
    n = count_params(m)
    g = count_gflops(m, a.imgsz, a.imgsz)
    print(f'YOLOv5n nc={a.nc} masks={a.masks}: {n:,} params ({n / 1e6:.2f} M), {g:.2f} GFLOPs at {a.imgsz}x{a.imgsz}')


if __name__ == '__main__':
    main()
