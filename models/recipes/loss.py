"""Detector loss and anchors.

- anchors: k-means on label widths/heights (in letterboxed training pixels) with 1 - IoU
  as the distance, optionally refined by a simple genetic search on anchor fitness.
- targets: YOLOv5/v7-style assignment: a label goes to every anchor whose w/h ratio to it
  is below `anchor_t` (4) on both sides, in its own cell and the two nearest neighbouring
  cells (so up to 3 cells per anchor).
- box loss: 1 - CIoU, or a mix (1 - r) * (1 - CIoU) + r * (1 - NWD) with `nwd = r`, where
  NWD = exp(-W2 / C) is the normalised Gaussian Wasserstein distance between the boxes
  seen as 2-D Gaussians, measured in input pixels (C ~ typical object size, 12.8 default).
- objectness: BCE against the (detached, clamped) CIoU of the matched prediction,
  per-level balance 4 / 1 / 0.4; classes: BCE with one-hot targets.
"""
import math

import numpy as np
import torch
import torch.nn as nn


def wh_iou(wh1, wh2):
    """IoU of boxes sharing a corner: (n,2) x (k,2) -> (n,k)."""
    inter = np.minimum(wh1[:, None, 0], wh2[None, :, 0]) * np.minimum(wh1[:, None, 1], wh2[None, :, 1])
    return inter / (wh1[:, None].prod(2) + wh2[None].prod(2) - inter)


def anchor_fitness(k, wh, thr=4.0):
    """Mean best ratio-match of labels to anchors (matches below 1/thr count 0) and the
    best possible recall (share of labels that at least one anchor can be assigned to)."""
    r = wh[:, None] / k[None]
    x = np.minimum(r, 1 / r).min(2)
    best = x.max(1)
    return float((best * (best > 1 / thr)).mean()), float((best > 1 / thr).mean())


def kmeans_anchors(wh, n=9, thr=4.0, gen=1000, seed=0, iters=300, verbose=True):
    """wh: (m,2) label sizes in training pixels. Returns (n,2) anchors sorted by area."""
    rng = np.random.default_rng(seed)
    wh = np.asarray(wh, np.float64)
    wh = wh[(wh >= 2).all(1)]
    if len(wh) < n:
        raise ValueError(f'{len(wh)} boxes are too few for {n} anchors')
    # k-means++ style seeding with 1 - IoU distance
    k = [wh[rng.integers(len(wh))]]
    for _ in range(1, n):
        d = (1 - wh_iou(wh, np.array(k))).min(1) ** 2
        k.append(wh[rng.choice(len(wh), p=d / d.sum()) if d.sum() > 0 else rng.integers(len(wh))])
    k = np.array(k)
    for _ in range(iters):
        assign = wh_iou(wh, k).argmax(1)
        new = np.array([np.median(wh[assign == j], 0) if (assign == j).any() else k[j] for j in range(n)])
        if np.allclose(new, k):
            break
        k = new
    f, bpr = anchor_fitness(k, wh, thr)
    if verbose:
        print(f'anchors: k-means fitness {f:.4f}, best possible recall {bpr:.4f}')
    # genetic refinement: multiplicative mutations, keep improvements
    for _ in range(gen):
        v = np.ones_like(k)
        while (v == 1).all():
            v = ((rng.random(k.shape) < 0.9) * rng.random() * rng.standard_normal(k.shape) * 0.1 + 1).clip(0.3, 3.0)
        kg = (k * v).clip(min=2.0)
        fg, _ = anchor_fitness(kg, wh, thr)
        if fg > f:
            k, f = kg, fg
    k = k[np.argsort(k.prod(1))]
    f, bpr = anchor_fitness(k, wh, thr)
    if verbose and gen:
        print(f'anchors: after {gen} generations fitness {f:.4f}, best possible recall {bpr:.4f}')
    return k


def box_ciou(b1, b2, eps=1e-7):
    """CIoU of paired boxes (n,4) cx,cy,w,h."""
    b1x1, b1x2 = b1[:, 0] - b1[:, 2] / 2, b1[:, 0] + b1[:, 2] / 2
    b1y1, b1y2 = b1[:, 1] - b1[:, 3] / 2, b1[:, 1] + b1[:, 3] / 2
    b2x1, b2x2 = b2[:, 0] - b2[:, 2] / 2, b2[:, 0] + b2[:, 2] / 2
    b2y1, b2y2 = b2[:, 1] - b2[:, 3] / 2, b2[:, 1] + b2[:, 3] / 2
    inter = (torch.min(b1x2, b2x2) - torch.max(b1x1, b2x1)).clamp(0) * \
            (torch.min(b1y2, b2y2) - torch.max(b1y1, b2y1)).clamp(0)
    w1, h1 = b1[:, 2], b1[:, 3] + eps
    w2, h2 = b2[:, 2], b2[:, 3] + eps
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(b1x2, b2x2) - torch.min(b1x1, b2x1)
    ch = torch.max(b1y2, b2y2) - torch.min(b1y1, b2y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = (b2[:, 0] - b1[:, 0]) ** 2 + (b2[:, 1] - b1[:, 1]) ** 2
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def box_nwd(b1, b2, c=12.8, eps=1e-7):
    """Normalised Gaussian Wasserstein distance of paired boxes (n,4) cx,cy,w,h (pixels):
    each box is N((cx,cy), diag(w^2/4, h^2/4)); W2^2 = |dc|^2 + |(dw, dh)/2|^2."""
    w2 = ((b1[:, 0] - b2[:, 0]) ** 2 + (b1[:, 1] - b2[:, 1]) ** 2 +
          ((b1[:, 2] - b2[:, 2]) ** 2 + (b1[:, 3] - b2[:, 3]) ** 2) / 4)
    return torch.exp(-torch.sqrt(w2 + eps) / c)


class DetectionLoss:
    def __init__(self, model, imgsz=640, box=0.05, obj=1.0, cls=0.5, anchor_t=4.0,
                 nwd=0.0, nwd_c=12.8, label_smoothing=0.0):
        self.na, self.nl, self.nc = model.na, model.nl, model.nc
        self.anchor_t = anchor_t
        self.nwd, self.nwd_c = nwd, nwd_c
        self.balance = [4.0, 1.0, 0.4]
        # gains scaled like the usual YOLO recipes (per level count, classes, image size)
        self.box_gain = box * 3 / self.nl
        self.cls_gain = cls * self.nc / 80 * 3 / self.nl
        self.obj_gain = obj * (imgsz / 640) ** 2 * 3 / self.nl
        self.cp, self.cn = 1.0 - 0.5 * label_smoothing, 0.5 * label_smoothing
        self.bce = nn.BCEWithLogitsLoss()

    def __call__(self, preds, targets, anchors, strides):
        """preds: raw level outputs [b, na, ny, nx, no]; targets (n,6): img, cls, cx, cy, w, h
        normalised to the (square) input; anchors (nl,na,2) pixels; strides (nl,)."""
        return self.box_obj_cls(preds, self.match(preds, targets, anchors, strides), strides)

    def match(self, preds, targets, anchors, strides):
        """assign() for every level."""
        return [self.assign(p, targets, anchors[i] / strides[i]) for i, p in enumerate(preds)]

    def box_obj_cls(self, preds, matches, strides):
        dev = preds[0].device
        lbox = torch.zeros((), device=dev)
        lobj = torch.zeros((), device=dev)
        lcls = torch.zeros((), device=dev)
        for i, p in enumerate(preds):
            b, a, gj, gi, tbox, tcls, anc, _ = matches[i]
            tobj = torch.zeros(p.shape[:4], device=dev, dtype=p.dtype)
            if len(b):
                ps = p[b, a, gj, gi].float()
                pxy = ps[:, :2].sigmoid() * 2 - 0.5
                pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * anc
                pbox = torch.cat([pxy, pwh], 1)
                ciou = box_ciou(pbox, tbox)
                loss_box = 1 - ciou
                if self.nwd > 0:
                    s = strides[i]
                    loss_box = (1 - self.nwd) * loss_box + self.nwd * (1 - box_nwd(pbox * s, tbox * s, self.nwd_c))
                lbox = lbox + loss_box.mean()
                tobj[b, a, gj, gi] = ciou.detach().clamp(0).to(tobj.dtype)
                if self.nc > 1:
                    t = torch.full_like(ps[:, 5:], self.cn)
                    t[torch.arange(len(b), device=dev), tcls] = self.cp
                    lcls = lcls + self.bce(ps[:, 5:], t)
            lobj = lobj + self.bce(p[..., 4].float(), tobj.float()) * self.balance[i]
        bs = preds[0].shape[0]
        lbox, lobj, lcls = lbox * self.box_gain, lobj * self.obj_gain, lcls * self.cls_gain
        return (lbox + lobj + lcls) * bs, torch.stack([lbox, lobj, lcls]).detach()

    def assign(self, p, targets, anc):
        """Label -> (image, anchor, cell) matches for one level; boxes in grid units; the
        last value is each match's row in `targets`."""
        dev = p.device
        ny, nx = p.shape[2], p.shape[3]
        nt = targets.shape[0]
        empty = torch.zeros(0, dtype=torch.long, device=dev)
        if nt == 0:
            return empty, empty, empty, empty, torch.zeros(0, 4, device=dev), empty, torch.zeros(0, 2, device=dev), empty
        scale = torch.tensor([nx, ny, nx, ny], device=dev, dtype=torch.float32)
        t = torch.cat([targets[:, :6], torch.arange(nt, device=dev, dtype=targets.dtype)[:, None]], 1)
        t[:, 2:6] = t[:, 2:6] * scale
        # every label against every anchor: (na, nt)
        ratio = t[None, :, 4:6] / anc[:, None, :]
        ok = torch.max(ratio, 1 / ratio).max(2)[0] < self.anchor_t
        ai = torch.arange(self.na, device=dev).view(-1, 1).expand(-1, nt)
        t = t[None].expand(self.na, -1, -1)[ok]
        ai = ai[ok]
        if len(t) == 0:
            return empty, empty, empty, empty, torch.zeros(0, 4, device=dev), empty, torch.zeros(0, 2, device=dev), empty
        # own cell plus the neighbours on the sides the centre is closest to
        g = 0.5
        gxy = t[:, 2:4]
        gxy_inv = torch.tensor([nx, ny], device=dev) - gxy
        left, up = ((gxy % 1 < g) & (gxy > 1)).T
        right, down = ((gxy_inv % 1 < g) & (gxy_inv > 1)).T
        offsets = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], device=dev, dtype=torch.float32) * g
        sel = torch.stack([torch.ones_like(left), left, up, right, down])   # (5, n)
        t5 = t[None].expand(5, -1, -1)[sel]
        ai5 = ai[None].expand(5, -1)[sel]
        off = offsets[:, None, :].expand(-1, len(t), -1)[sel]
        gxy = t5[:, 2:4]
        gij = (gxy - off).long()
        gi = gij[:, 0].clamp(0, nx - 1)
        gj = gij[:, 1].clamp(0, ny - 1)
        tbox = torch.cat([gxy - torch.stack([gi, gj], 1).float(), t5[:, 4:6]], 1)
        return t5[:, 0].long(), ai5, gj, gi, tbox, t5[:, 1].long(), anc[ai5], t5[:, 6].long()


class SegmentLoss(DetectionLoss):
    """DetectionLoss plus the YOLOv5-seg mask loss: for every matched prediction,
    BCE between sigmoid(coefficients . prototypes) and its label's mask, over the label's
    box only and averaged by the box area (large and small objects weigh alike)."""

    def __init__(self, model, imgsz=640, mask_gain=None, **kw):
        super().__init__(model, imgsz, **kw)
        self.nm = model.masks
        self.mask_gain = self.box_gain if mask_gain is None else mask_gain

    def __call__(self, out, targets, anchors, strides, masks=None):
        """out: (raw level outputs, prototypes [b, nm, mh, mw]); masks: (n_targets, mh, mw)
        covered fractions in [0, 1], row-aligned with `targets`. The label-to-prediction
        matches are made once and serve both the box/objectness/class and the mask terms."""
        preds, protos = out
        matches = self.match(preds, targets, anchors, strides)
        loss, items = self.box_obj_cls(preds, matches, strides)
        dev = protos.device
        mh, mw = protos.shape[2:]
        lseg = torch.zeros((), device=dev)
        for i, p in enumerate(preds):
            b, a, gj, gi, _, _, _, ti = matches[i]
            if not len(b):
                continue
            coef = p[b, a, gj, gi][:, 5 + self.nc:].float()
            # label boxes in prototype pixels (targets are normalised to the square input)
            t = targets[ti, 2:6] * torch.tensor([mw, mh, mw, mh], device=dev)
            x1, y1 = t[:, 0] - t[:, 2] / 2, t[:, 1] - t[:, 3] / 2
            x2, y2 = t[:, 0] + t[:, 2] / 2, t[:, 1] + t[:, 3] / 2
            xs = torch.arange(mw, device=dev).view(1, 1, -1) + 0.5
            ys = torch.arange(mh, device=dev).view(1, -1, 1) + 0.5
            inside = ((xs >= x1.view(-1, 1, 1)) & (xs < x2.view(-1, 1, 1)) &
                      (ys >= y1.view(-1, 1, 1)) & (ys < y2.view(-1, 1, 1))).float()
            area = inside.sum((1, 2)).clamp(min=1)
            for j in b.unique():
                k = b == j
                logits = (coef[k] @ protos[j].float().view(self.nm, -1)).view(-1, mh, mw)
                bce = nn.functional.binary_cross_entropy_with_logits(logits, masks[ti[k]], reduction='none')
                lseg = lseg + ((bce * inside[k]).sum((1, 2)) / area[k]).sum() / len(b)
        lseg = lseg * self.mask_gain
        bs = preds[0].shape[0]
        return loss + lseg * bs, torch.cat([items, lseg.detach()[None]])
