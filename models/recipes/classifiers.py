#!/usr/bin/python3
"""Small good-vs-defective classifiers, written from the architecture descriptions.

resnet18s    ResNet-18 layout (7x7 s2 stem + 3x3 s2 max pool, four stages of two basic
             residual blocks, widths w, 2w, 4w, 8w, strides 1/2/2/2, global average pool,
             linear head) with a narrow base width (default 16 = 0.25 of the original).
mobilenetv2s MobileNetV2 layout (3x3 s2 stem, inverted residual blocks: 1x1 expand,
             3x3 depthwise, 1x1 linear projection, residual when shapes match; ReLU6;
             1x1 conv to 1280 features, global average pool, linear head) at width 0.5.
vggs         VGG layout (plain stacks of 3x3 conv-BN-ReLU, no shortcuts, 2x2 max pool between
             stages): 3x3 s2 stem + max pool, four stages of two convs at widths w, 2w, 4w, 8w
             (default 32), global average pool, linear head. Unlike MobileNetV2's depthwise
             convolutions, which this CPU build of PyTorch trains ~20x slower per image than
             resnet18s, it trains at resnet18s' speed.
densenets    DenseNet layout (3x3 s2 stem + 3x3 s2 max pool; four dense blocks in which every
             layer, BN-ReLU-1x1 conv to 4k then BN-ReLU-3x3 conv to k, sees the concatenation
             of all earlier outputs; between blocks a transition, BN-ReLU-1x1 conv halving the
             channels and 2x2 average pool; final BN-ReLU, global average pool, linear head)
             with growth rate k (default 16) and blocks of 3, 6, 9, 6 layers.
effnets      EfficientNet layout (3x3 s2 stem, SiLU; MBConv blocks: 1x1 expand, kxk depthwise,
             squeeze-excitation on the expanded features, 1x1 linear projection, residual
             with stochastic depth when shapes match; 1x1 conv to the head features, global
             average pool, linear head), the B0 stage plan at width 0.5 and depth 0.67. The
             early stages, at the highest resolution, use fused MBConv (one kxk conv in place
             of expand + depthwise), which this CPU build of PyTorch trains several times
             faster than depthwise convolutions at the same size.
All take normalised RGB (x / 255 - mean) / std and return 2 logits (0 good, 1 defective).

    /usr/bin/python3 models/recipes/classifiers.py   # prints params, fp32 size and GFLOPs
"""
import math

import torch
import torch.nn as nn


def add_head(model, c, num_classes, dropout):
    """Global average pool, dropout and a linear layer on c features: every model's head."""
    model.pool = nn.AdaptiveAvgPool2d(1)
    model.drop = nn.Dropout(dropout)
    model.fc = nn.Linear(c, num_classes)


def head(model, x):
    return model.fc(model.drop(model.pool(x).flatten(1)))


def kaiming_convs(model, **kwargs):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', **kwargs)


def make_divisible(v, d=8):
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


class BasicBlock(nn.Module):
    def __init__(self, c1, c2, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c1, c2, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c2)
        self.conv2 = nn.Conv2d(c2, c2, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.relu = nn.ReLU(inplace=True)
        self.short = None
        if stride != 1 or c1 != c2:
            self.short = nn.Sequential(nn.Conv2d(c1, c2, 1, stride, bias=False), nn.BatchNorm2d(c2))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.short is None else self.short(x)))


class ResNet18S(nn.Module):
    def __init__(self, num_classes=2, base=16, dropout=0.2):
        super().__init__()
        w = [base, base * 2, base * 4, base * 8]
        self.stem = nn.Sequential(nn.Conv2d(3, w[0], 7, 2, 3, bias=False), nn.BatchNorm2d(w[0]),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        layers, c = [], w[0]
        for i, ch in enumerate(w):
            layers += [BasicBlock(c, ch, 1 if i == 0 else 2), BasicBlock(ch, ch, 1)]
            c = ch
        self.features = nn.Sequential(*layers)
        add_head(self, c, num_classes, dropout)
        kaiming_convs(self, nonlinearity='relu')
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)  # each residual block starts as identity

    def forward(self, x):
        return head(self, self.features(self.stem(x)))


class InvertedResidual(nn.Module):
    def __init__(self, c1, c2, stride, expand):
        super().__init__()
        hid = c1 * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(c1, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True)]
        layers += [nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True),
                   nn.Conv2d(hid, c2, 1, bias=False), nn.BatchNorm2d(c2)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and c1 == c2

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV2S(nn.Module):
    # (expansion, channels, repeats, first stride)
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes=2, width=0.5, last=1280, dropout=0.2):
        super().__init__()
        c = make_divisible(32 * width)
        layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6(inplace=True)]
        for t, ch, n, s in self.SETTINGS:
            ch = make_divisible(ch * width)
            for i in range(n):
                layers.append(InvertedResidual(c, ch, s if i == 0 else 1, t))
                c = ch
        last = make_divisible(last * max(1.0, width))
        layers += [nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU6(inplace=True)]
        self.features = nn.Sequential(*layers)
        add_head(self, last, num_classes, dropout)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out')
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return head(self, self.features(x))


class VGGS(nn.Module):
    def __init__(self, num_classes=2, base=32, dropout=0.2):
        super().__init__()

        def conv(c1, c2, s=1):
            return [nn.Conv2d(c1, c2, 3, s, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True)]

        layers = conv(3, base // 2, 2) + [nn.MaxPool2d(2)]
        c = base // 2
        for i, ch in enumerate([base, base * 2, base * 4, base * 8]):
            if i:
                layers.append(nn.MaxPool2d(2))
            layers += conv(c, ch) + conv(ch, ch)
            c = ch
        self.features = nn.Sequential(*layers)
        add_head(self, c, num_classes, dropout)
        kaiming_convs(self, nonlinearity='relu')

    def forward(self, x):
        return head(self, self.features(x))


class DenseLayer(nn.Module):
    def __init__(self, c1, k):
        super().__init__()
        self.block = nn.Sequential(nn.BatchNorm2d(c1), nn.ReLU(inplace=True), nn.Conv2d(c1, 4 * k, 1, bias=False),
                                   nn.BatchNorm2d(4 * k), nn.ReLU(inplace=True), nn.Conv2d(4 * k, k, 3, 1, 1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.block(x)], 1)


class DenseNetS(nn.Module):
    def __init__(self, num_classes=2, growth=16, blocks=(3, 6, 9, 6), dropout=0.2):
        super().__init__()
        c = 2 * growth
        layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        for i, n in enumerate(blocks):
            for _ in range(n):
                layers.append(DenseLayer(c, growth))
                c += growth
            if i < len(blocks) - 1:
                layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2)]
                c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        add_head(self, c, num_classes, dropout)
        kaiming_convs(self, nonlinearity='relu')

    def forward(self, x):
        return head(self, self.features(x))


class SqueezeExcite(nn.Module):
    """Channel gates from the globally pooled features: reduce to c_se, SiLU, expand, sigmoid."""

    def __init__(self, c, c_se):
        super().__init__()
        self.reduce = nn.Conv2d(c, c_se, 1)
        self.expand = nn.Conv2d(c_se, c, 1)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))


class MBConv(nn.Module):
    """Inverted residual with squeeze-excitation; `fused` replaces 1x1 expand + depthwise
    by one kxk conv. The SE bottleneck is a quarter of the block's input channels."""

    def __init__(self, c1, c2, k, stride, expand, fused, drop_path):
        super().__init__()
        hid = c1 * expand

        def cba(a, b, ks, s=1, groups=1):
            return [nn.Conv2d(a, b, ks, s, ks // 2, groups=groups, bias=False), nn.BatchNorm2d(b), nn.SiLU(inplace=True)]

        if fused:
            layers = cba(c1, hid, k, stride)
        else:
            layers = (cba(c1, hid, 1) if expand != 1 else []) + cba(hid, hid, k, stride, groups=hid)
        layers += [SqueezeExcite(hid, max(1, c1 // 4)), nn.Conv2d(hid, c2, 1, bias=False), nn.BatchNorm2d(c2)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and c1 == c2
        self.drop_path = drop_path

    def forward(self, x):
        y = self.block(x)
        if not self.residual:
            return y
        if self.training and self.drop_path > 0:
            # stochastic depth: each sample skips the block with probability drop_path
            keep = torch.rand(x.shape[0], 1, 1, 1, device=x.device) >= self.drop_path
            y = y * keep / (1 - self.drop_path)
        return x + y


class EfficientNetS(nn.Module):
    # EfficientNet-B0's stages: (expansion, kernel, channels, repeats, first stride, fused)
    STAGES = [(1, 3, 16, 1, 1, True), (4, 3, 24, 2, 2, True), (4, 5, 40, 2, 2, True), (6, 3, 80, 3, 2, False),
              (6, 5, 112, 3, 1, False), (6, 5, 192, 4, 2, False), (6, 3, 320, 1, 1, False)]

    def __init__(self, num_classes=2, width=0.5, depth=0.67, last=640, dropout=0.2, drop_path=0.1):
        super().__init__()
        c = make_divisible(32 * width)
        layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.SiLU(inplace=True)]
        plan = [(t, k, make_divisible(ch * width), max(1, math.ceil(n * depth)), s, f) for t, k, ch, n, s, f in self.STAGES]
        total, i = sum(p[3] for p in plan), 0
        for t, k, ch, n, s, fused in plan:
            for j in range(n):
                layers.append(MBConv(c, ch, k, s if j == 0 else 1, t, fused, drop_path * i / total))
                c, i = ch, i + 1
        layers += [nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.SiLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        add_head(self, last, num_classes, dropout)
        kaiming_convs(self)
        for m in self.modules():
            if isinstance(m, MBConv) and m.residual:
                nn.init.zeros_(m.block[-1].weight)  # each residual block starts as identity

    def forward(self, x):
        return head(self, self.features(x))


ARCHS = {'resnet18s': lambda w: ResNet18S(2, base=int(round(64 * (w or 0.25)))),
         'mobilenetv2s': lambda w: MobileNetV2S(2, width=w or 0.5),
         'vggs': lambda w: VGGS(2, base=int(round(64 * (w or 0.5)))),
         'densenets': lambda w: DenseNetS(2, growth=int(round(32 * (w or 0.5)))),
         'effnets': lambda w: EfficientNetS(2, width=w or 0.5)}


def build_classifier(arch, width=None):
    if arch not in ARCHS:
        raise SystemExit(f'unknown --arch {arch}; choose from {", ".join(ARCHS)}')
    return ARCHS[arch](width)


@torch.no_grad()
def conv_linear_gflops(model, h, w):
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out.numel() // out.shape[0] * m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        else:
            macs[0] += m.in_features * m.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()(torch.zeros(1, 3, h, w))
    for hk in hs:
        hk.remove()
    return 2 * macs[0] / 1e9


if __name__ == '__main__':
    torch.set_num_threads(1)
    for a in ARCHS:
        m = build_classifier(a)
        n = sum(p.numel() for p in m.parameters())
        print(f'{a}: {n:,} params (~{n * 4 / 1e6:.1f} MB fp32), {conv_linear_gflops(m, 224, 224):.3f} GFLOPs at 224, '
              f'{conv_linear_gflops(m, 160, 160):.3f} at 160')
