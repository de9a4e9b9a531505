"""Evaluation: NMS on decoded outputs, COCO-style AP at IoU 0.50:0.05:0.95 (101-point
interpolated precision envelope), precision/recall at the best-F1 confidence, ROC AUC,
a segmenter's top-prediction mask IoU."""
import numpy as np
import torch
import torchvision

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def xywh2xyxy(b):
    out = b.clone() if isinstance(b, torch.Tensor) else b.copy()
    out[..., 0] = b[..., 0] - b[..., 2] / 2
    out[..., 1] = b[..., 1] - b[..., 3] / 2
    out[..., 2] = b[..., 0] + b[..., 2] / 2
    out[..., 3] = b[..., 1] + b[..., 3] / 2
    return out


def nms(decoded, conf=0.001, iou=0.6, max_det=300, pre_nms=3000):
    """decoded [b, N, 5+nc] -> list of (n,6) tensors x1,y1,x2,y2,score,cls (best class only)."""
    out = []
    for x in decoded:
        score, cls = (x[:, 5:] * x[:, 4:5]).max(1) if x.shape[1] > 5 else (x[:, 4], torch.zeros_like(x[:, 4]).long())
        keep = score > conf
        x, score, cls = x[keep], score[keep], cls[keep]
        if len(score) > pre_nms:
            top = score.topk(pre_nms).indices
            x, score, cls = x[top], score[top], cls[top]
        boxes = xywh2xyxy(x[:, :4])
        k = torchvision.ops.batched_nms(boxes, score, cls, iou)[:max_det]
        out.append(torch.cat([boxes[k], score[k, None], cls[k, None].float()], 1))
    return out


def box_iou_np(a, b):
    """(n,4) x (m,4) xyxy -> (n,m)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).prod(1)
    return inter / (area_a[:, None] + area_b[None] - inter + 1e-9)


def match_image(det, gt):
    """det (n,6) numpy xyxy,score,cls sorted by score desc; gt (m,5) cls,x1,y1,x2,y2.
    Greedy per IoU threshold: each detection takes the best-overlapping unmatched label of
    its class. Returns (n,10) bool true positives."""
    tp = np.zeros((len(det), len(IOU_THRESHOLDS)), bool)
    if len(det) == 0 or len(gt) == 0:
        return tp
    iou = box_iou_np(det[:, :4], gt[:, 1:5])
    iou[det[:, 5][:, None] != gt[:, 0][None]] = -1
    for ti, thr in enumerate(IOU_THRESHOLDS):
        taken = np.zeros(len(gt), bool)
        for di in range(len(det)):
            cand = np.where(~taken & (iou[di] >= thr))[0]
            if len(cand):
                j = cand[iou[di, cand].argmax()]
                taken[j] = True
                tp[di, ti] = True
    return tp


def average_precision(recall, precision):
    """101-point interpolated AP of one precision/recall curve (COCO style)."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[1.0], precision, [0.0]])
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    idx = np.searchsorted(mrec, x, side='left')
    return float(np.mean(np.where(idx < len(mpre), mpre[np.clip(idx, 0, len(mpre) - 1)], 0.0)))


def detection_metrics(stats, nc):
    """stats: list of (tp (n,10), score (n,), pred_cls (n,), gt_cls (m,)) per image.
    Returns dict P, R (at the confidence with best mean F1), mAP50, mAP50_95 and per-class AP."""
    if not stats:
        return {'P': 0.0, 'R': 0.0, 'mAP50': 0.0, 'mAP50_95': 0.0, 'ap_class': [0.0] * nc}
    tp = np.concatenate([s[0] for s in stats], 0)
    conf = np.concatenate([s[1] for s in stats])
    pcls = np.concatenate([s[2] for s in stats])
    gcls = np.concatenate([s[3] for s in stats])
    order = np.argsort(-conf, kind='stable')
    tp, conf, pcls = tp[order], conf[order], pcls[order]
    grid = np.linspace(0, 1, 1000)
    ap = np.zeros((nc, len(IOU_THRESHOLDS)))
    p_at = np.zeros((nc, len(grid)))
    r_at = np.zeros((nc, len(grid)))
    present = []
    for c in range(nc):
        n_gt = int((gcls == c).sum())
        sel = pcls == c
        if n_gt == 0:
            continue
        present.append(c)
        if sel.sum() == 0:
            continue
        tpc = np.cumsum(tp[sel], 0)
        fpc = np.cumsum(~tp[sel], 0)
        recall = tpc / n_gt
        precision = tpc / (tpc + fpc)
        for t in range(len(IOU_THRESHOLDS)):
            ap[c, t] = average_precision(recall[:, t], precision[:, t])
        # precision / recall as a function of confidence (at IoU 0.5), conf decreasing
        cs = conf[sel]
        r_at[c] = np.interp(-grid, -cs, recall[:, 0], left=0)
        p_at[c] = np.interp(-grid, -cs, precision[:, 0], left=1)
    if not present:
        return {'P': 0.0, 'R': 0.0, 'mAP50': 0.0, 'mAP50_95': 0.0, 'ap_class': [0.0] * nc}
    pr, rr = p_at[present].mean(0), r_at[present].mean(0)
    f1 = 2 * pr * rr / (pr + rr + 1e-9)
    i = int(f1.argmax())
    return {'P': float(pr[i]), 'R': float(rr[i]), 'mAP50': float(ap[present, 0].mean()),
            'mAP50_95': float(ap[present].mean()), 'ap_class': ap[:, 0].tolist()}


def roc_auc(scores, labels):
    """Area under the ROC curve (Mann-Whitney U, ties counted half). labels 0/1."""
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels).astype(bool)
    npos, nneg = int(labels.sum()), int((~labels).sum())
    if npos == 0 or nneg == 0:
        return float('nan')
    order = np.argsort(scores, kind='mergesort')
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    return float((r[labels].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def top_mask_ious(dec, protos, targets, masks, nc):
    """Per image with one label: IoU at prototype resolution between the most confident
    prediction's mask (cropped to its box) and the label's mask."""
    out = []
    mh, mw = protos.shape[2:]
    for j in range(dec.shape[0]):
        rows = (targets[:, 0] == j).nonzero().flatten()
        if len(rows) != 1:
            continue
        d = dec[j]
        best = d[(d[:, 4:5] * d[:, 5:5 + nc]).max(1)[0].argmax()]
        logits = (best[5 + nc:] @ protos[j].view(protos.shape[1], -1)).view(mh, mw)
        cx, cy, w, h = (best[:4] / 4).tolist()
        pm = torch.zeros(mh, mw, dtype=torch.bool)
        x1, y1 = max(0, int(round(cx - w / 2))), max(0, int(round(cy - h / 2)))
        pm[y1:max(y1, int(round(cy + h / 2))), x1:max(x1, int(round(cx + w / 2)))] = True
        pm &= logits.cpu() > 0
        gm = masks[rows[0]] > 0.5
        union = (pm | gm).sum().item()
        out.append((pm & gm).sum().item() / union if union else 0.0)
    return out
