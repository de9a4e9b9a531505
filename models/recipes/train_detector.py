#!/usr/bin/python3
"""Train a YOLO detector or segmenter: the YOLOv7-tiny die-defect detector on
`die-inspect synth --crops` output, or (`--arch yolov5n [--masks 32]`) the package ROI
detector / segmenter on `package_dataset.py` output.

    python3 models/recipes/train_detector.py --data DIR/crops --val VALDIR/crops \\
        --imgsz 320 --epochs 100 --batch 16 --out runs/NAME [--nwd 0.5] [--coordconv] \\
        [--arch yolov7-tiny|yolov5n] [--masks 32] [--seed 0] [--device auto] [--max-minutes M]

Every epoch writes OUT/last.pt (model, EMA, optimizer, scaler, epoch, anchors, RNG state)
and appends a row to OUT/log.csv; OUT/best.pt keeps the EMA weights with the best val
mAP@0.5:0.95. Re-running the same command resumes after the last finished epoch (an
interrupted epoch is redone); when all epochs are done it only reports. With
--max-minutes the run stops after the epoch that would otherwise overrun the budget;
run it again to continue. --restart discards OUT/last.pt. --init PT starts a new run from
another run's weights and anchors (fine-tuning: the DeepPCB pair detector starts from the
single-image one); --init MODEL.onnx starts from a shipped detector's exported weights,
BatchNorm folded, and trains the fused model.

Images are letterboxed once to imgsz (long side = imgsz, pad 114) and cached in RAM.
Augmentation: HSV jitter, horizontal/vertical flips (labels mirrored), small scale and
translate. No mosaic (the whole package must stay visible). A segmenter's labels are
polygons (YOLO-seg rows); they go through the same transforms and are rasterised at the
prototype resolution (imgsz / 4) as mask targets.
"""
import argparse
import math
import os
import random
import sys
import time

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (ModelEMA, append_csv, cosine_factor, end_epoch, finish_run, grad_scaler, letterbox,  # noqa: E402
                    list_samples, load_checkpoint, open_run, param_groups, progress, read_labels, read_names,
                    read_polygons, restore_run, save_epoch, select_device, set_seed)
from loss import DetectionLoss, SegmentLoss, kmeans_anchors  # noqa: E402
from onnx_utils import read_detector_onnx  # noqa: E402
from metrics import detection_metrics, match_image, nms  # noqa: E402
from yolov5n import YOLOv5n  # noqa: E402
from yolov7tiny import DEFAULT_ANCHORS_640, YOLOv7Tiny, count_gflops, count_params  # noqa: E402


class DetData(torch.utils.data.Dataset):
    """Letterboxed, RAM-cached images; labels kept as (k,5) cls,x1,y1,x2,y2 in input pixels."""

    def __init__(self, root, imgsz, augment=False, hyp=None, name='data', masks=False):
        self.samples = list_samples(root)
        self.imgsz = imgsz
        self.augment = augment
        self.hyp = hyp or {}
        self.masks = masks
        self.imgs, self.boxes, self.polys = [], [], []
        t = time.time()
        for k, (ip, lp) in enumerate(self.samples):
            img = cv2.imread(ip, cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit(f'cannot read {ip}')
            h0, w0 = img.shape[:2]
            img, r, (px, py) = letterbox(img, imgsz)
            if masks:
                # polygons in input pixels; the boxes are theirs so both stay consistent
                polys = [(c, pl * [w0 * r, h0 * r] + [px, py]) for c, pl in read_polygons(lp)]
                self.polys.append(polys)
                b = poly_boxes(polys, imgsz)[0]
            else:
                lab = read_labels(lp)
                b = np.zeros((len(lab), 5), np.float32)
                if len(lab):
                    b[:, 0] = lab[:, 0]
                    b[:, 1] = (lab[:, 1] - lab[:, 3] / 2) * w0 * r + px
                    b[:, 2] = (lab[:, 2] - lab[:, 4] / 2) * h0 * r + py
                    b[:, 3] = (lab[:, 1] + lab[:, 3] / 2) * w0 * r + px
                    b[:, 4] = (lab[:, 2] + lab[:, 4] / 2) * h0 * r + py
                    b[:, 1:] = b[:, 1:].clip(0, imgsz)
            self.imgs.append(img)
            self.boxes.append(b)
            if (k + 1) % 500 == 0:
                print(f'  {name}: cached {k + 1}/{len(self.samples)}', flush=True)
        nb = sum(len(b) for b in self.boxes)
        print(f'{name}: {len(self.imgs)} images, {nb} boxes, '
              f'{sum(len(b) == 0 for b in self.boxes)} without defects, cached at {imgsz} in {time.time() - t:.1f}s')

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, i):
        if self.masks:
            return self.seg_item(i)
        img, boxes = self.imgs[i], self.boxes[i].copy()
        s = self.imgsz
        if self.augment:
            h = self.hyp
            img = augment_hsv(img, h['hsv_h'], h['hsv_s'], h['hsv_v'])
            img, boxes = random_affine(img, boxes, h['scale'], h['translate'])
            if random.random() < h['fliplr']:
                img = img[:, ::-1]
                boxes[:, [1, 3]] = s - boxes[:, [3, 1]]
            if random.random() < h['flipud']:
                img = img[::-1]
                boxes[:, [2, 4]] = s - boxes[:, [4, 2]]
        return to_tensors(img, boxes, s)

    def seg_item(self, i):
        """The same augmentations applied to polygons; boxes and masks follow from them."""
        img, s = self.imgs[i], self.imgsz
        polys = [(c, p.copy()) for c, p in self.polys[i]]
        if self.augment:
            h = self.hyp
            img = augment_hsv(img, h['hsv_h'], h['hsv_s'], h['hsv_v'])
            M = affine_matrix(h['scale'], h['translate'], s)
            if M is not None:
                img = cv2.warpAffine(img, M, (s, s), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
                for _, p in polys:
                    p[:] = p * M[0, 0] + M[:, 2]
            for axis, prob in ((0, h['fliplr']), (1, h['flipud'])):
                if random.random() < prob:
                    img = img[:, ::-1] if axis == 0 else img[::-1]
                    for _, p in polys:
                        p[:, axis] = s - p[:, axis]
        boxes, kept = poly_boxes(polys, s)
        keep = np.flatnonzero(kept)
        boxes = boxes[keep]
        masks = np.stack([poly_mask(polys[k][1], s) for k in keep]) if len(keep) else np.zeros((0, s // 4, s // 4), np.float32)
        img_t, t = to_tensors(img, boxes, s)
        return img_t, t, torch.from_numpy(masks)

    @staticmethod
    def collate(batch):
        cols = list(zip(*batch))
        for j, lab in enumerate(cols[1]):
            lab[:, 0] = j
        out = [torch.stack(cols[0]), torch.cat(cols[1], 0)]
        if len(cols) == 3:
            out.append(torch.cat(cols[2], 0))
        return tuple(out)


def to_tensors(img, boxes, s):
    t = np.zeros((len(boxes), 6), np.float32)
    if len(boxes):
        t[:, 1] = boxes[:, 0]
        t[:, 2] = (boxes[:, 1] + boxes[:, 3]) / 2 / s
        t[:, 3] = (boxes[:, 2] + boxes[:, 4]) / 2 / s
        t[:, 4] = (boxes[:, 3] - boxes[:, 1]) / s
        t[:, 5] = (boxes[:, 4] - boxes[:, 2]) / s
    chw = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))  # BGR -> RGB, CHW
    return torch.from_numpy(chw), torch.from_numpy(t)


def poly_boxes(polys, s):
    """[(cls, (k,2) px)] -> (n,5) cls,x1,y1,x2,y2 clipped to the input, and which of
    them stay targets (clip_visible)."""
    b = np.zeros((len(polys), 5), np.float32)
    for j, (c, p) in enumerate(polys):
        b[j] = [c, *p.min(0), *p.max(0)]
    b[:, 1:], kept = clip_visible(b[:, 1:], s)
    return b, kept


def clip_visible(xyxy, s):
    """Boxes (n,4) clipped to the s x s input, and which stay targets: more than 2 px wide
    and tall, with more than a quarter of their area inside."""
    area0 = (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1])
    c = xyxy.clip(0, s)
    w, h = c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]
    return c, (w > 2) & (h > 2) & (w * h > 0.25 * area0)


def poly_mask(poly, s):
    """A polygon (input pixels, continuous coordinates) as a prototype-resolution (s / 4)
    mask of covered area fractions. fillPoly also fills every pixel the outline touches,
    which at a quarter of the input would widen the mask by half a cell (8 px on a 1280
    image); filling at the input size and averaging 4 x 4 blocks keeps the edge in place."""
    full = np.zeros((s, s), np.uint8)
    cv2.fillPoly(full, [np.round((poly - 0.5) * 16).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
    return cv2.resize(full, (s // 4, s // 4), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def augment_hsv(img, hg, sg, vg):
    if not (hg or sg or vg):
        return img
    r = np.random.uniform(-1, 1, 3) * [hg, sg, vg] + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    x = np.arange(256, dtype=np.float32)
    lut_h = ((x * r[0]) % 180).astype(np.uint8)
    lut_s = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_v = np.clip(x * r[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_h), cv2.LUT(sat, lut_s), cv2.LUT(val, lut_v)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def affine_matrix(scale, translate, s_):
    """A random zoom about the centre plus a shift, as a 2x3 matrix; None when off."""
    if not (scale or translate):
        return None
    k = random.uniform(1 - scale, 1 + scale)
    tx = random.uniform(-translate, translate) * s_
    ty = random.uniform(-translate, translate) * s_
    c = s_ / 2
    return np.array([[k, 0, (1 - k) * c + tx], [0, k, (1 - k) * c + ty]], np.float32)


def random_affine(img, boxes, scale, translate):
    s_ = img.shape[0]
    M = affine_matrix(scale, translate, s_)
    if M is None:
        return img, boxes
    k = M[0, 0]
    img = cv2.warpAffine(img, M, (s_, s_), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
    if len(boxes):
        nb = boxes.copy()
        nb[:, [1, 3]] = boxes[:, [1, 3]] * k + M[0, 2]
        nb[:, [2, 4]] = boxes[:, [2, 4]] * k + M[1, 2]
        nb[:, 1:], keep = clip_visible(nb[:, 1:], s_)
        boxes = nb[keep]
    return img, boxes


def init_worker(_):
    cv2.setNumThreads(1)  # workers are the parallelism; OpenCV's own pool in each oversubscribes the CPU
    s = torch.initial_seed() % 2 ** 32
    np.random.seed(s)
    random.seed(s)


def make_loader(data, batch, shuffle, workers, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.utils.data.DataLoader(data, batch_size=batch, shuffle=shuffle, num_workers=workers,
                                       collate_fn=DetData.collate, generator=g, worker_init_fn=init_worker,
                                       persistent_workers=False, drop_last=False)


def compute_anchors(data, mode, gen, seed):
    default = np.array(DEFAULT_ANCHORS_640, np.float64).reshape(9, 2) * data.imgsz / 640
    if mode == 'default':
        return default
    wh = np.concatenate([b[:, 3:5] - b[:, 1:3] for b in data.boxes if len(b)], 0) if any(len(b) for b in data.boxes) else np.zeros((0, 2))
    try:
        return kmeans_anchors(wh, 9, gen=gen, seed=seed)
    except ValueError as e:
        print(f'anchors: {e}; using the default anchors scaled to {data.imgsz}')
        return default


def load_init(args):
    """--init: another run's last.pt/best.pt, or one of our exported ONNX detectors (the
    only form a shipped model keeps its weights in)."""
    if not args.init.endswith('.onnx'):
        return load_checkpoint(args.init)
    init = read_detector_onnx(args.init)
    want = args.arch + ('-coordconv' if args.coordconv else '')
    if init['arch'] != want or args.masks:
        raise SystemExit(f'--init {args.init} is {init["arch"]!r}; these options build {want!r}')
    init['model'] = {k: torch.from_numpy(v) for k, v in init['model'].items()}
    return init


def build_model(arch, nc, anchors, coordconv=False, masks=0):
    a = np.asarray(anchors).reshape(3, 3, 2).tolist()
    if arch == 'yolov5n':
        return YOLOv5n(nc, a, masks=masks)
    return YOLOv7Tiny(nc, a, coordconv=coordconv)


@torch.no_grad()
def validate(model, loader, device, nc, use_amp):
    model.eval()
    stats, mask_ious = [], []
    for batch in progress(loader, len(loader), 'val'):
        imgs, targets = batch[0], batch[1]
        imgs = imgs.to(device, non_blocking=True).float() / 255
        with torch.autocast(device_type='cuda', enabled=use_amp):
            out = model(imgs)
        raw, protos = out if getattr(model, 'masks', 0) else (out, None)
        dec = model.decode([r.float() for r in raw])  # fp16 pixel coordinates are too coarse for few-px boxes
        dets = nms(dec[..., :5 + nc])
        if protos is not None:
            mask_ious += top_mask_ious(dec, protos.float(), targets, batch[2], nc)
        s = imgs.shape[2]
        for j, d in enumerate(dets):
            d = d.cpu().numpy()
            t = targets[targets[:, 0] == j].numpy()
            gt = np.zeros((len(t), 5), np.float32)
            if len(t):
                gt[:, 0] = t[:, 1]
                gt[:, 1] = (t[:, 2] - t[:, 4] / 2) * s
                gt[:, 2] = (t[:, 3] - t[:, 5] / 2) * s
                gt[:, 3] = (t[:, 2] + t[:, 4] / 2) * s
                gt[:, 4] = (t[:, 3] + t[:, 5] / 2) * s
            stats.append((match_image(d, gt), d[:, 4], d[:, 5], gt[:, 0]))
    m = detection_metrics(stats, nc)
    if protos is not None:
        m['maskIoU'] = float(np.mean(mask_ious)) if mask_ious else 0.0
    return m


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


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='training crops dir (DIR or DIR/crops)')
    ap.add_argument('--val', required=True, help='validation crops dir')
    ap.add_argument('--imgsz', type=int, default=320)
    ap.add_argument('--val-imgsz', type=int, default=0,
                    help='validation size (default imgsz); e.g. 640 to validate whole images after training on tiles')
    ap.add_argument('--epochs', type=int, default=100)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--out', required=True, help='run folder, e.g. runs/NAME')
    ap.add_argument('--nwd', type=float, default=0.0, help='NWD share of the box loss (0.5 = 50/50 with CIoU)')
    ap.add_argument('--nwd-c', type=float, default=12.8, help='NWD normalising constant C in pixels')
    ap.add_argument('--coordconv', action='store_true', help='CoordConv in the neck (yolov7-tiny)')
    ap.add_argument('--arch', choices=['yolov7-tiny', 'yolov5n'], default='yolov7-tiny')
    ap.add_argument('--masks', type=int, default=0, help='mask coefficients: 32 makes a YOLOv5-seg style segmenter (yolov5n)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', default='auto', help='auto, cpu, cuda, cuda:N')
    ap.add_argument('--workers', type=int, default=2, help='DataLoader workers (0-2 on small CPUs)')
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = default)')
    ap.add_argument('--optimizer', choices=['sgd', 'adamw'], default='sgd')
    ap.add_argument('--lr0', type=float, default=None, help='initial LR (default 0.01 SGD, 0.001 AdamW)')
    ap.add_argument('--lrf', type=float, default=0.01, help='final LR as a fraction of lr0 (cosine)')
    ap.add_argument('--momentum', type=float, default=0.937)
    ap.add_argument('--weight-decay', type=float, default=5e-4)
    ap.add_argument('--warmup-epochs', type=float, default=3.0)
    ap.add_argument('--nbs', type=int, default=64, help='nominal batch: gradients accumulate up to it')
    ap.add_argument('--anchors', choices=['kmeans', 'default'], default='kmeans')
    ap.add_argument('--anchor-gen', type=int, default=1000, help='genetic refinement generations (0 = plain k-means)')
    ap.add_argument('--hsv-h', type=float, default=0.015)
    ap.add_argument('--hsv-s', type=float, default=0.5)
    ap.add_argument('--hsv-v', type=float, default=0.3)
    ap.add_argument('--fliplr', type=float, default=0.5)
    ap.add_argument('--flipud', type=float, default=0.5)
    ap.add_argument('--scale', type=float, default=0.1)
    ap.add_argument('--translate', type=float, default=0.05)
    ap.add_argument('--max-minutes', type=float, default=0.0, help='stop after the epoch that would pass this budget')
    ap.add_argument('--fit-minutes', type=float, default=0.0,
                    help='after epoch 1 (always validated then), lower --epochs so the whole schedule fits this budget')
    ap.add_argument('--val-every', type=int, default=1,
                    help='validate every N epochs and after the last (saves CPU time when validation is slow)')
    ap.add_argument('--max-batches', type=int, default=0, help='debug: train at most this many batches an epoch')
    ap.add_argument('--restart', action='store_true', help='ignore OUT/last.pt and start over')
    ap.add_argument('--init', help="start from another run's weights and anchors (its last.pt or best.pt, or an exported detector .onnx) "
                    'instead of random ones; a resumed run ignores it')
    return ap.parse_args(argv)


def main():
    t_start = time.time()
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    last_path, best_path, log_path, ckpt = open_run(args, 'mAP@0.5:0.95')
    device = select_device(args.device)
    cuda = device.type == 'cuda'
    if ckpt is not None:
        for k in ('imgsz', 'nwd', 'coordconv', 'batch', 'optimizer', 'arch', 'masks'):
            if ckpt['args'].get(k) != getattr(args, k):
                print(f'warning: --{k} {getattr(args, k)} differs from the checkpoint ({ckpt["args"].get(k)}); resuming anyway')
    set_seed(args.seed)
    names = read_names(args.data)
    nc = len(names)
    hyp = {'hsv_h': args.hsv_h, 'hsv_s': args.hsv_s, 'hsv_v': args.hsv_v, 'fliplr': args.fliplr,
           'flipud': args.flipud, 'scale': args.scale, 'translate': args.translate}
    if args.masks and args.arch != 'yolov5n':
        raise SystemExit('--masks needs --arch yolov5n')
    seg = args.masks > 0
    train = DetData(args.data, args.imgsz, augment=True, hyp=hyp, name='train', masks=seg)
    val = DetData(args.val, args.val_imgsz or args.imgsz, augment=False, name='val', masks=seg)
    init = load_init(args) if args.init and ckpt is None else None
    if ckpt is not None or init is not None:
        anchors = np.array((ckpt or init)['anchors'], np.float64).reshape(9, 2)
    else:
        anchors = compute_anchors(train, args.anchors, args.anchor_gen, args.seed)
    print('anchors (w,h px at %d): %s' % (args.imgsz, ', '.join(f'{w:.0f}x{h:.0f}' for w, h in anchors)))
    model = build_model(args.arch, nc, anchors, args.coordconv, args.masks).to(device)
    # weights from an ONNX export have BatchNorm folded in: train the fused model (no BatchNorm) from then on
    fused = bool((ckpt or init or {}).get('fused'))
    if fused:
        model.fuse()
    if init is not None:
        sd = init.get('ema') or init['model']
        if fused:  # an ONNX export keeps anchors and strides as graph constants: take the model's own
            sd = {**{k: v for k, v in model.state_dict().items() if k in ('anchors', 'strides')}, **sd}
        model.load_state_dict(sd)
        print(f'weights from {args.init} (epoch {init["epoch"]})')
        del init
    print(f'model: {args.arch} nc={nc} coordconv={args.coordconv} masks={args.masks}: {count_params(model) / 1e6:.2f} M params, '
          f'{count_gflops(model, 640, 640):.2f} GFLOPs at 640, {count_gflops(model, args.imgsz, args.imgsz):.2f} at {args.imgsz}')

    accumulate = max(round(args.nbs / args.batch), 1)
    wd = args.weight_decay * args.batch * accumulate / args.nbs
    lr0 = args.lr0 if args.lr0 is not None else (0.01 if args.optimizer == 'sgd' else 0.001)
    groups = param_groups(model, wd)
    if args.optimizer == 'sgd':
        opt = torch.optim.SGD(groups, lr=lr0, momentum=args.momentum, nesterov=True)
    else:
        opt = torch.optim.AdamW(groups, lr=lr0, betas=(args.momentum, 0.999))
    scaler = grad_scaler(cuda)
    ema = ModelEMA(model)
    start_epoch, best_fitness, recipe = restore_run(ckpt, args, model, ema, opt, scaler, log_path)
    del ckpt
    ema.ema.to(device)

    crit = (SegmentLoss if seg else DetectionLoss)(model, imgsz=args.imgsz, nwd=args.nwd, nwd_c=args.nwd_c)
    val_loader = make_loader(val, args.batch * 2, False, min(args.workers, 1))
    nb = math.ceil(len(train) / args.batch)
    if args.max_batches:
        nb = min(nb, args.max_batches)
    total_iters = nb * args.epochs
    n_warm = min(max(round(args.warmup_epochs * nb), 100), total_iters // 2) if args.warmup_epochs > 0 else 0
    meta = {'nc': nc, 'names': names, 'coordconv': args.coordconv, 'imgsz': args.imgsz, 'anchors': anchors.tolist(),
            'arch': args.arch, 'masks': args.masks, 'recipe': recipe, 'args': vars(args), 'fused': fused}
    print(f'training {len(train)} images, batch {args.batch} (accumulate {accumulate}), {nb} batches/epoch, '
          f'{args.optimizer} lr0 {lr0}, device {device}, epochs {start_epoch + 1}..{args.epochs}')

    for epoch in range(start_epoch, args.epochs):
        t_ep = time.time()
        model.train()
        loader = make_loader(train, args.batch, True, args.workers, seed=args.seed * 1000 + epoch)
        mloss = torch.zeros(4 if seg else 3)
        n_img, n_seen, last_step = 0, 0, -1
        opt.zero_grad(set_to_none=True)
        t_train = time.time()
        for i, batch in enumerate(progress(loader, nb, f'epoch {epoch + 1}/{args.epochs}')):
            imgs, targets = batch[0], batch[1]
            if i >= nb:
                break
            ni = i + nb * epoch
            base = lr0 * cosine_factor(epoch + i / nb, args.epochs, args.lrf)
            for g in opt.param_groups:
                if ni < n_warm:
                    x = ni / n_warm
                    start = 0.1 if (g['name'] == 'bias' and args.optimizer == 'sgd') else 0.0
                    g['lr'] = start + (base - start) * x
                    if args.optimizer == 'sgd':
                        g['momentum'] = 0.8 + (args.momentum - 0.8) * x
                else:
                    g['lr'] = base
                    if args.optimizer == 'sgd':
                        g['momentum'] = args.momentum
            imgs = imgs.to(device, non_blocking=True).float() / 255
            with torch.autocast(device_type='cuda', enabled=cuda):
                preds = model(imgs)
                extra = {'masks': batch[2].to(device)} if seg else {}
                loss, items = crit(preds, targets.to(device), model.anchors, model.strides, **extra)
            scaler.scale(loss).backward()
            if (ni - last_step >= accumulate) or i == nb - 1:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                scaler.step(opt)
                scaler.update()
                opt.zero_grad(set_to_none=True)
                ema.update(model)
                last_step = ni
            mloss = (mloss * i + items.cpu()) / (i + 1)
            n_img += imgs.shape[0]
            n_seen += len(targets)
        train_s = time.time() - t_train
        fitting = args.fit_minutes and epoch == 0
        if (epoch + 1) % max(args.val_every, 1) == 0 or epoch + 1 == args.epochs or fitting:
            t_val = time.time()
            m = validate(ema.ema, val_loader, device, nc, cuda)
            val_s = time.time() - t_val
            # a segmenter is chosen on its masks as much as on its boxes
            fitness = (m['mAP50_95'] + m['maskIoU']) / 2 if seg else m['mAP50_95']
        else:
            # unvalidated epochs cannot become best.pt; their log row has NaN metrics
            m = dict.fromkeys(('P', 'R', 'mAP50', 'mAP50_95', 'maskIoU'), float('nan'))
            fitness = -1.0
            val_s = 0.0
        is_best = fitness > best_fitness
        best_fitness = max(best_fitness, fitness)
        ep_s = time.time() - t_ep
        row = {'epoch': epoch + 1, 'lr': opt.param_groups[0]['lr'], 'box': float(mloss[0]), 'obj': float(mloss[1]),
               'cls': float(mloss[2]), 'P': m['P'], 'R': m['R'], 'mAP50': m['mAP50'], 'mAP50_95': m['mAP50_95'],
               'train_s': train_s, 'epoch_s': ep_s, 's_per_img': train_s / max(n_img, 1)}
        seg_txt = ''
        if seg:
            row.update(seg=float(mloss[3]), maskIoU=m['maskIoU'])
            seg_txt = f' seg {row["seg"]:.4f}, val mask IoU {m["maskIoU"]:.4f}'
        append_csv(log_path, row)
        print(f'epoch {epoch + 1}/{args.epochs} loss box {row["box"]:.4f} obj {row["obj"]:.4f} cls {row["cls"]:.4f}{seg_txt} | '
              f'val P {m["P"]:.3f} R {m["R"]:.3f} mAP50 {m["mAP50"]:.4f} mAP50-95 {m["mAP50_95"]:.4f} | '
              f'{ep_s:.1f}s ({train_s / max(n_img, 1):.3f} s/img train)', flush=True)
        # a fitted epoch's cost: training plus its share of validation (every --val-every epochs)
        state = end_epoch(args, t_start, epoch, ep_s, ep_s - val_s + val_s / max(args.val_every, 1), lambda: save_epoch(
            meta, model, ema, opt, scaler, epoch + 1, m, best_fitness, is_best, last_path, best_path))
        if state == 'paused':
            return
        if state == 'done':  # --fit-minutes may have shortened the run
            break
    print(f'done: best val mAP@0.5:0.95 {best_fitness:.4f}; weights {best_path}')
    finish_run(args, 'best_mAP50_95', best_fitness)


if __name__ == '__main__':
    main()
