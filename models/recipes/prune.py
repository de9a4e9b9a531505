"""Structured channel pruning for the YOLOv7-tiny family (plain, CoordConv and slim neck).

The network as coupled groups. A group is the set of output channels of one conv (the
producer: its weight rows, bias and BatchNorm entries), the channels tied to them (a
depthwise conv that reads them: its rows and BatchNorm entries; its outputs are the same
channels again) and every slice that reads them (input columns of the convs that take
them, shifted by concat offsets, through max pools, upsampling and depthwise convs).
Removing channel k of a group removes all of these together. `trace` finds the groups by
walking the model block by block the way forward() runs it, and checks that every conv
was reached and every conv's input width adds up.

Never pruned: the 3 image channels, the 2 coordinate channels a CoordConv appends, the
prediction convs' outputs (their inputs are), and, as in the source study, the GSConvs
inside VoV-GSCSP: their outputs, the shuffled channels and the residual sum they feed.
Their inputs shrink with the groups that feed them.

Importance (higher = keep):
  lamp  per group, the L2 norm of each output channel's producing weights, BatchNorm
        folded in (so the trained and the fused form score alike), turned into LAMP
        scores (the source study's formula 3.5 applied to the vector of channel norms:
        sorted ascending, score(u) = n[u]^2 / sum_{v >= u} n[v]^2). Computed within each
        group, ranked across all groups: a group's strongest channel scores 1, and the
        score of a channel says how much of what is left of its layer it carries, which
        makes layers of different sizes and scales comparable.
  slim  network slimming: |gamma| of the producer's BatchNorm, ranked across all groups,
        after sparsity training (train_detector.py --sparsity REG adds REG * sign(gamma)
        to those gammas' gradients). A fused model has no BatchNorm: `attach_scales` gives
        its producers a ChannelScale (a BatchNorm that is a pure learned per-channel
        scale) for that training.

`prune` removes channels in steps until the GFLOPs reach base / speedup: each step
re-scores, then takes the globally least important chunks (a chunk is `round_to`
channels of one group, so widths stay multiples of it where the group's width is, or one
channel) up to 1/steps of the prunable channels; the step that reaches the target is cut
to the fewest chunks that do, so the result lands just under the target.
"""
import copy
import math

import torch
import torch.nn as nn

from yolov7tiny import (Conv, CoordConv, ELANTiny, GSBottleneck, GSConv, GSConvs, SPPCSPCTiny, VoVGSCSP, YOLOv7Tiny,
                        count_gflops)

# GFLOPs are counted at this size while pruning: every conv's output area is the input
# area over its stride squared, so the ratio to the start is the same as at 640 (sizes
# that are multiples of 32), at a hundredth of the cost
COUNT_SIZE = 64


class Group:
    """Channels that are removed together; see the module docstring."""

    def __init__(self, key, n, prunable=True):
        self.key, self.n, self.prunable = key, n, prunable
        self.producer = None  # the Conv whose output rows are these channels
        self.tied = []        # (Conv, offset): depthwise convs reading (and so giving out) these channels
        self.consumers = []   # (nn.Conv2d, offset): input columns offset .. offset + n read these channels


class Tracer:
    """Walks a model's blocks. A tensor is a list of groups (its channels, in order)."""

    def __init__(self, model):
        self.names = {m: n for n, m in model.named_modules()}
        self.groups = {}
        self.seen = set()

    def fixed(self, key, n):
        """A tensor of n channels that is never pruned."""
        self.groups[key] = Group(key, n, prunable=False)
        return [self.groups[key]]

    def read(self, conv, x, extra=0):
        """nn.Conv2d `conv` takes tensor x (plus `extra` channels appended after it)."""
        o = 0
        for g in x:
            g.consumers.append((conv, o))
            o += g.n
        if o + extra != conv.in_channels:
            raise ValueError(f'prune: {self.names[conv]} reads {conv.in_channels} channels, the trace gives {o + extra}')
        self.seen.add(conv)

    def conv(self, m, x, prunable=True):
        c = m.conv
        if c.groups > 1:  # depthwise: channel k in is channel k out, so it belongs to its input's groups
            if not c.groups == c.in_channels == c.out_channels == sum(g.n for g in x):
                raise ValueError(f'prune: {self.names[m]}: only depthwise grouped convs are supported')
            o = 0
            for g in x:
                g.tied.append((m, o))
                o += g.n
            self.seen.add(c)
            return x
        self.read(c, x, 2 if isinstance(m, CoordConv) else 0)  # the coordinates come after the input
        g = Group(self.names[m], c.out_channels, prunable)
        g.producer = m
        self.groups[g.key] = g
        return [g]

    def add(self, key, x, y):
        """A residual sum couples its operands channel by channel. The only sum in this
        family (the GS bottleneck's) has an excluded GSConv on one side: both sides stay."""
        for g in x + y:
            g.prunable = False
        return self.fixed(key, sum(g.n for g in x))

    def block(self, m, x):
        """Output tensor of block m applied to tensor x."""
        if isinstance(m, Conv):
            return self.conv(m, x)
        if isinstance(m, (nn.MaxPool2d, nn.Upsample, nn.Identity)):
            return x
        if isinstance(m, nn.Sequential):
            for s in m:
                x = self.block(s, x)
            return x
        if isinstance(m, ELANTiny):
            a, b = self.conv(m.a, x), self.conv(m.b, x)
            c = self.conv(m.c, b)
            d = self.conv(m.d, c)
            return self.conv(m.out, d + c + b + a)
        if isinstance(m, SPPCSPCTiny):
            y = self.conv(m.main, x)
            y = self.conv(m.reduce, y * (len(m.pools) + 1))  # max pools keep the channels
            return self.conv(m.out, y + self.conv(m.short, x))
        if isinstance(m, GSConvs):
            y = self.conv(m.a, x)
            return self.conv(m.mix, y + self.conv(m.dw, y))
        if isinstance(m, GSConv):  # only inside VoV-GSCSP: excluded from pruning, as in the source study
            y = self.conv(m.a, x, prunable=False)
            self.conv(m.dw, y)
            return self.fixed(self.names[m] + ':shuffled', 2 * y[0].n)
        if isinstance(m, GSBottleneck):
            y = self.block(m.g2, self.block(m.g1, x))
            return self.add(self.names[m] + ':sum', y, self.conv(m.short, x))
        if isinstance(m, VoVGSCSP):
            y = self.block(m.m, self.conv(m.a, x))
            return self.conv(m.out, self.conv(m.b, x) + y)
        raise TypeError(f'prune: no channel rule for {type(m).__name__} ({self.names.get(m)})')


def trace(model):
    """{key: Group} for a YOLOv7Tiny (any neck, fused or not); key = the producer's module name."""
    if not isinstance(model, YOLOv7Tiny):
        raise TypeError(f'prune: only the yolov7-tiny family is supported, not {type(model).__name__}')
    t = Tracer(model)
    b = t.block
    x = b(model.stage2, b(model.stem, t.fixed('images', 3)))
    p3 = b(model.stage3, x)
    p4 = b(model.stage4, p3)
    p5 = b(model.spp, b(model.stage5, p4))
    t4 = b(model.td4, b(model.lat5, p5) + b(model.lat4_in, p4))  # upsampling keeps the channels
    o3 = b(model.td3, b(model.lat4, t4) + b(model.lat3_in, p3))
    o4 = b(model.bu4, b(model.down3, o3) + t4)
    o5 = b(model.bu5, b(model.down4, o4) + p5)
    for head, pred, f in zip((model.head3, model.head4, model.head5), model.pred, (o3, o4, o5)):
        t.read(pred, b(head, f))
    missed = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d) and m not in t.seen]
    if missed:
        raise ValueError(f'prune: the trace missed {missed}')
    return t.groups


def prunable(groups):
    return [g for g in groups.values() if g.prunable and g.producer is not None]


def _keep(n, drop):
    return torch.tensor([i for i in range(n) if i not in drop], dtype=torch.long)


def _param(t, like):
    return nn.Parameter(t.detach().clone().contiguous(), requires_grad=like.requires_grad)


def _shrink_conv(c, drop_out, drop_in):
    keep = _keep(c.out_channels, drop_out)
    w = c.weight[keep]
    if c.groups > 1:  # depthwise: its inputs are its outputs
        c.groups = c.in_channels = len(keep)
    else:
        keep_in = _keep(c.in_channels, drop_in)
        w = w[:, keep_in]
        c.in_channels = len(keep_in)
    c.out_channels = len(keep)
    c.weight = _param(w, c.weight)
    if c.bias is not None:
        c.bias = _param(c.bias[keep], c.bias)
    return keep


def _shrink_bn(bn, keep):
    bn.num_features = len(keep)
    bn.weight = _param(bn.weight[keep], bn.weight)
    bn.bias = _param(bn.bias[keep], bn.bias)
    bn.running_mean = bn.running_mean[keep].clone()
    bn.running_var = bn.running_var[keep].clone()


@torch.no_grad()
def remove_channels(model, drop, groups=None):
    """Remove channels in place. drop: {group key: channel indices}, all relative to the
    widths before the call (every group is applied at once)."""
    groups = groups if groups is not None else trace(model)
    out_drop, in_drop, bns = {}, {}, {}
    for key, idx in drop.items():
        idx = sorted({int(i) for i in idx})
        if not idx:
            continue
        g = groups[key]
        if not g.prunable or g.producer is None:
            raise ValueError(f'prune: {key} is not prunable')
        if idx[0] < 0 or idx[-1] >= g.n or len(idx) >= g.n:
            raise ValueError(f'prune: {key}: cannot remove {len(idx)} of {g.n} channels ({idx[0]}..{idx[-1]})')
        for m, o in [(g.producer, 0)] + g.tied:
            out_drop.setdefault(m.conv, set()).update(o + i for i in idx)
            bns[m.conv] = m.bn
        for c, o in g.consumers:
            in_drop.setdefault(c, set()).update(o + i for i in idx)
    for c in set(out_drop) | set(in_drop):
        keep = _shrink_conv(c, out_drop.get(c, set()), in_drop.get(c, set()))
        if c in out_drop and bns[c] is not None:
            _shrink_bn(bns[c], keep)
    return model


def widths(model):
    """{group key: channels} of the prunable groups: what a checkpoint records so the same
    architecture can be built again."""
    return {g.key: g.n for g in prunable(trace(model))}


def widths_from_state_dict(sd):
    """Widths read off a state dict's conv weights ({module name: output channels}); the
    form an exported ONNX file's initializers give."""
    return {k[:-len('.conv.weight')]: int(v.shape[0]) for k, v in sd.items() if k.endswith('.conv.weight')}


def set_widths(model, w):
    """Shrink a freshly built model to recorded widths (keys that are not prunable groups
    are ignored: load_state_dict checks every shape afterwards). Keeps the first channels;
    the weights are meant to be loaded next."""
    groups = trace(model)
    drop = {}
    for g in prunable(groups):
        n = int(w.get(g.key, g.n))
        if not 1 <= n <= g.n:
            raise ValueError(f'prune: width {n} for {g.key} (built with {g.n})')
        drop[g.key] = range(n, g.n)
    return remove_channels(model, drop, groups)


def lamp_scores(w):
    """The source study's formula 3.5: with the entries of w flattened and sorted ascending
    by magnitude, score(u) = w[u]^2 / sum_{v >= u} w[v]^2. Returned in w's own order."""
    s = w.detach().flatten().double() ** 2
    sv, order = torch.sort(s, stable=True)
    tail = sv.flip(0).cumsum(0).flip(0)
    out = torch.empty_like(s)
    out[order] = sv / tail.clamp_min(1e-300)
    return out.float()


def folded_weight(m):
    """A Conv's weight with its BatchNorm's scale folded in (what fuse() would give)."""
    w = m.conv.weight
    if m.bn is not None:
        w = w * (m.bn.weight / torch.sqrt(m.bn.running_var + m.bn.eps)).view(-1, 1, 1, 1)
    return w


@torch.no_grad()
def importance(groups, method):
    """{group key: per-channel importance} of the prunable groups."""
    out = {}
    for g in prunable(groups):
        if method == 'lamp':
            out[g.key] = lamp_scores(folded_weight(g.producer).flatten(1).norm(dim=1))
        elif method == 'slim':
            if g.producer.bn is None:
                raise ValueError('network slimming ranks channels by BatchNorm gamma and this model is fused: '
                                 'fine-tune it with --sparsity first (that attaches a per-channel scale)')
            out[g.key] = g.producer.bn.weight.detach().abs().float()
        else:
            raise ValueError(f'prune: unknown method {method!r}')
    return out


def chunk_unit(n, round_to):
    """Channels removed at a time from a group of (original) width n."""
    return round_to if round_to > 1 and n % round_to == 0 else 1


def min_width(n, unit, max_frac):
    """The narrowest a group of original width n may become: never 0, at most max_frac removed."""
    return max(unit, math.ceil(n * (1 - max_frac) / unit - 1e-9) * unit)


def chunks(groups, scores, units, floors):
    """Removable chunks, least important first: (mean score, key, order, channel indices).
    A group's chunks take its channels in ascending order, down to its floor."""
    out = []
    for g in prunable(groups):
        s = scores[g.key]
        order = torch.sort(s, stable=True).indices
        u, j = units[g.key], 0
        while g.n - (j + 1) * u >= floors[g.key]:
            idx = order[j * u:(j + 1) * u]
            out.append((float(s[idx].mean()), g.key, j, idx.tolist()))
            j += 1
    out.sort(key=lambda c: c[:3])
    return out


def _apply(model, chosen):
    drop = {}
    for _, key, _, idx in chosen:
        drop.setdefault(key, []).extend(idx)
    return remove_channels(copy.deepcopy(model), drop)


def prune(model, method, speedup, steps=200, round_to=8, max_frac=1.0, log=print):
    """A pruned copy of `model` with GFLOPs <= start / speedup (see the module docstring).
    Returns (pruned model, info)."""
    groups = trace(model)
    n0 = {g.key: g.n for g in prunable(groups)}
    units = {k: chunk_unit(n, round_to) for k, n in n0.items()}
    floors = {k: min_width(n, units[k], max_frac) for k, n in n0.items()}
    per_step = max(1, math.ceil(sum(n0.values()) / steps))
    base = count_gflops(model, COUNT_SIZE, COUNT_SIZE)
    target = base / speedup
    cur, g_cur, step = model, base, 0
    while g_cur > target:
        groups = trace(cur)
        cand = chunks(groups, importance(groups, method), units, floors)
        if not cand:
            log(f'prune: every group is at its floor after {step} steps; speed-up {base / g_cur:.3f}')
            break
        k, taken = 0, 0
        while k < len(cand) and (k == 0 or taken < per_step):
            taken += len(cand[k][3])
            k += 1
        trial = _apply(cur, cand[:k])
        g_trial = count_gflops(trial, COUNT_SIZE, COUNT_SIZE)
        if g_trial <= target and k > 1:  # the last step: the fewest chunks that reach the target
            lo, hi = 1, k
            while lo < hi:
                mid = (lo + hi) // 2
                t = _apply(cur, cand[:mid])
                g_t = count_gflops(t, COUNT_SIZE, COUNT_SIZE)
                if g_t <= target:
                    hi, trial, g_trial = mid, t, g_t
                else:
                    lo = mid + 1
        cur, g_cur, step = trial, g_trial, step + 1
        if step % 10 == 0 or g_cur <= target:
            log(f'prune step {step}: speed-up {base / g_cur:.3f}')
    left = widths(cur)
    return cur, {'method': method, 'steps': step, 'speedup': base / g_cur, 'target': speedup,
                 'channels': (sum(n0.values()), sum(left.values()))}


class ChannelScale(nn.BatchNorm2d):
    """A learned per-channel scale in BatchNorm form, for network slimming on a fused
    model: running mean 0, variance 1, eps 0, beta fixed at 0 and always in eval mode
    (batch statistics are never used or tracked), so it computes gamma * x exactly;
    gamma starts at 1. Conv.fuse() folds it back into the conv."""

    def __init__(self, c):
        super().__init__(c, eps=0.0)
        self.bias.requires_grad_(False)
        super().train(False)

    def train(self, mode=True):
        return super().train(False)


def attach_scales(model):
    """Give every prunable group's producer without BatchNorm (a fused model) a ChannelScale."""
    n = 0
    for g in prunable(trace(model)):
        m = g.producer
        if m.bn is None:
            m.bn = ChannelScale(m.conv.out_channels).to(m.conv.weight.device)
            n += 1
    return n


def fold_scales(model):
    """Fold attached ChannelScales back into their convs (the model is fused again)."""
    for m in model.modules():
        if isinstance(m, Conv) and isinstance(m.bn, ChannelScale):
            m.fuse()
    return model


def slim_gammas(model):
    """The BatchNorm gammas network slimming sparsifies: those of the prunable groups' producers."""
    return [g.producer.bn.weight for g in prunable(trace(model)) if g.producer.bn is not None]


@torch.no_grad()
def add_sparsity_grad(gammas, reg):
    """L1 penalty reg * sum |gamma|: adds its subgradient reg * sign(gamma) to the gradients."""
    for p in gammas:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        p.grad.add_(torch.sign(p.detach()), alpha=reg)
