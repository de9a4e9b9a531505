#!/usr/bin/python3
"""Train a YOLO detector or segmenter: the YOLOv7-tiny die-defect detector on
`die-inspect synth --crops` output, or (`--arch yolov5n [--masks 32]`) the package ROI
detector / segmenter on `package_dataset.py` output.

    python3 models/recipes/train_detector.py --data DIR/crops --val VALDIR/crops \\
        --imgsz 320 --epochs 100 --batch 16 --out runs/NAME [--nwd 0.5] [--coordconv | --gsconv] \\
        [--arch yolov7-tiny|yolov5n] [--masks 32] [--seed 0] [--device auto] [--max-minutes M] \\
        [--init PT|ONNX] [--sparsity 5e-4]

Every epoch writes OUT/last.pt (model, EMA, optimizer, scaler, epoch, anchors, RNG state)
and appends a row to OUT/log.csv; OUT/best.pt keeps the EMA weights with the best val
mAP@0.5:0.95. Re-running the same command resumes after the last finished epoch (an
interrupted epoch is redone); when all epochs are done it only reports. With
--max-minutes the run stops after the epoch that would otherwise overrun the budget;
run it again to continue. --restart discards OUT/last.pt. --init PT starts a new run from
another run's weights and anchors (fine-tuning: the DeepPCB pair detector starts from the
single-image one); --init MODEL.onnx starts from a shipped detector's exported weights,
BatchNorm folded, and trains the fused model. A pruned model (prune_detector.py's
checkpoint, or its export) is rebuilt at its pruned layer widths. --sparsity REG is the
sparsity training of network slimming: an L1 penalty on the prunable BatchNorm gammas (a
fused model gets a per-channel scale to carry them).

Images are letterboxed once to imgsz (long side = imgsz, pad 114) and cached in RAM.
Augmentation: HSV jitter, horizontal/vertical flips (labels mirrored), small scale and
translate. No mosaic (the whole package must stay visible). A segmenter's labels are
polygons (YOLO-seg rows); they go through the same transforms and are rasterised at the
prototype resolution (imgsz / 4) as mask targets.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_data import DetData, make_loader  # noqa: E402
from detectors import build_in_form, compute_anchors, load_init, load_weights  # noqa: E402
from ema import ModelEMA  # noqa: E402
from labels import read_names  # noqa: E402
from loop import Hooks, Run, epoch_batches  # noqa: E402
from loss import DetectionLoss, SegmentLoss  # noqa: E402
from metrics import detection_metrics, match_image, nms, top_mask_ious  # noqa: E402
from optim import cosine_factor, param_groups, yolo_optimizer, yolo_warmup_lr  # noqa: E402
from prune import add_sparsity_grad, attach_scales, slim_gammas  # noqa: E402
from progress import progress  # noqa: E402
from runtime import grad_scaler, select_device, set_seed, set_threads  # noqa: E402
from yolov7tiny import count_gflops, count_params  # noqa: E402

METRICS = ('P', 'R', 'mAP50', 'mAP50_95', 'maskIoU')


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
    ap.add_argument('--gsconv', action='store_true', help='slim neck: VoV-GSCSP blocks and GSConvs (yolov7-tiny)')
    ap.add_argument('--sparsity', type=float, default=0.0,
                    help='network slimming sparsity training: L1 penalty REG on the prunable BatchNorm gammas (e.g. 5e-4)')
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


def load_data(args):
    hyp = {'hsv_h': args.hsv_h, 'hsv_s': args.hsv_s, 'hsv_v': args.hsv_v, 'fliplr': args.fliplr,
           'flipud': args.flipud, 'scale': args.scale, 'translate': args.translate}
    seg = args.masks > 0
    train = DetData(args.data, args.imgsz, augment=True, hyp=hyp, name='train', masks=seg)
    val = DetData(args.val, args.val_imgsz or args.imgsz, augment=False, name='val', masks=seg)
    return train, val


def make_model(args, ckpt, train, nc, device):
    """The model with its anchors: a resumed run's (weights follow from last.pt), --init's
    (weights loaded here), or k-means on the training boxes. Returns (model, anchors, form):
    form = the checkpoint keys that say how to build it again (widths, fused, scales)."""
    init = load_init(args) if args.init and ckpt is None else None
    src = ckpt or init or {}
    if src:
        anchors = np.array(src['anchors'], np.float64).reshape(9, 2)
    else:
        anchors = compute_anchors(train, args.anchors, args.anchor_gen, args.seed)
    print('anchors (w,h px at %d): %s' % (args.imgsz, ', '.join(f'{w:.0f}x{h:.0f}' for w, h in anchors)))
    # a pruned source brings its layer widths; weights from an ONNX export have BatchNorm
    # folded in: train the fused model (no BatchNorm) from then on
    form = {'widths': src.get('widths'), 'fused': bool(src.get('fused')), 'scales': bool(src.get('scales'))}
    model = build_in_form(args.arch, nc, anchors, args.coordconv, args.masks, args.gsconv, form)
    if init is not None:
        load_weights(model, init)
        print(f'weights from {args.init} (epoch {init["epoch"]})')
    if args.sparsity and form['fused'] and not form['scales']:
        attach_scales(model)  # network slimming needs a gamma per channel
        form['scales'] = True
    model = model.to(device)
    pruned = ' (pruned widths)' if form['widths'] else ''
    print(f'model: {args.arch} nc={nc} coordconv={args.coordconv} gsconv={args.gsconv} masks={args.masks}{pruned}: '
          f'{count_params(model) / 1e6:.2f} M params, '
          f'{count_gflops(model, 640, 640):.2f} GFLOPs at 640, {count_gflops(model, args.imgsz, args.imgsz):.2f} at {args.imgsz}')
    return model, anchors, form


def log_epoch(tally, m, seg):
    """log.csv columns and the epoch line's text (loss means over the epoch, val metrics)."""
    loss = tally['loss']
    cols = {'box': float(loss[0]), 'obj': float(loss[1]), 'cls': float(loss[2]),
            'P': m['P'], 'R': m['R'], 'mAP50': m['mAP50'], 'mAP50_95': m['mAP50_95']}
    seg_txt = ''
    if seg:
        cols.update(seg=float(loss[3]), maskIoU=m['maskIoU'])
        seg_txt = f' seg {cols["seg"]:.4f}, val mask IoU {m["maskIoU"]:.4f}'
    return cols, (f'loss box {cols["box"]:.4f} obj {cols["obj"]:.4f} cls {cols["cls"]:.4f}{seg_txt} | '
                  f'val P {m["P"]:.3f} R {m["R"]:.3f} mAP50 {m["mAP50"]:.4f} mAP50-95 {m["mAP50_95"]:.4f}')


def detector_hooks(args, run, data, nc, lr0, accumulate, device):
    """The loop's hooks: a step with warmup then cosine LR, AMP, gradients accumulated to
    the nominal batch (--nbs), clipping and EMA; validation of the EMA model."""
    model, ema, opt, scaler = run.state
    train, val = data
    seg, cuda, sgd = args.masks > 0, device.type == 'cuda', args.optimizer == 'sgd'
    crit = (SegmentLoss if seg else DetectionLoss)(model, imgsz=args.imgsz, nwd=args.nwd, nwd_c=args.nwd_c)
    val_loader = make_loader(val, args.batch * 2, False, min(args.workers, 1))
    nb = epoch_batches(len(train), args.batch, args.max_batches)
    n_warm = min(max(round(args.warmup_epochs * nb), 100), nb * args.epochs // 2) if args.warmup_epochs > 0 else 0
    gammas = slim_gammas(model) if args.sparsity else []

    def step(batch, i, epoch, tally):
        imgs, targets = batch[0], batch[1]
        ni = i + nb * epoch
        yolo_warmup_lr(opt, ni, n_warm, lr0 * cosine_factor(epoch + i / nb, args.epochs, args.lrf), sgd, args.momentum)
        imgs = imgs.to(device, non_blocking=True).float() / 255
        with torch.autocast(device_type='cuda', enabled=cuda):
            preds = model(imgs)
            extra = {'masks': batch[2].to(device)} if seg else {}
            loss, items = crit(preds, targets.to(device), model.anchors, model.strides, **extra)
        scaler.scale(loss).backward()
        if (ni - tally['last_step'] >= accumulate) or i == nb - 1:
            scaler.unscale_(opt)
            add_sparsity_grad(gammas, args.sparsity)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad(set_to_none=True)
            ema.update(model)
            tally['last_step'] = ni
        tally['loss'] = (tally['loss'] * i + items.cpu()) / (i + 1)
        return imgs.shape[0]

    return Hooks(
        batches=nb, step=step,
        loader=lambda epoch: make_loader(train, args.batch, True, args.workers, seed=args.seed * 1000 + epoch),
        validate=lambda: validate(ema.ema, val_loader, device, nc, cuda),
        # a segmenter is chosen on its masks as much as on its boxes
        fitness=lambda m: (m['mAP50_95'] + m['maskIoU']) / 2 if seg else m['mAP50_95'],
        log=lambda tally, m: log_epoch(tally, m, seg),
        tally=lambda: {'loss': torch.zeros(4 if seg else 3), 'last_step': -1},
        metrics=METRICS, late_columns=('seg', 'maskIoU'))


def main():
    args = parse_args()
    set_threads(args.threads)
    run = Run(args, 'mAP@0.5:0.95', 'best_mAP50_95')
    device = select_device(args.device)
    run.check_args(('imgsz', 'nwd', 'coordconv', 'gsconv', 'sparsity', 'batch', 'optimizer', 'arch', 'masks'), strict=False)
    set_seed(args.seed)
    names = read_names(args.data)
    if args.masks and args.arch != 'yolov5n':
        raise SystemExit('--masks needs --arch yolov5n')
    if args.arch != 'yolov7-tiny' and (args.coordconv or args.gsconv or args.sparsity):
        raise SystemExit('--coordconv, --gsconv and --sparsity are for --arch yolov7-tiny')
    if args.coordconv and args.gsconv:
        raise SystemExit('--coordconv and --gsconv are separate neck variants')
    train, val = load_data(args)
    model, anchors, form = make_model(args, run.ckpt, train, len(names), device)
    accumulate = max(round(args.nbs / args.batch), 1)
    wd = args.weight_decay * args.batch * accumulate / args.nbs
    lr0 = args.lr0 if args.lr0 is not None else (0.01 if args.optimizer == 'sgd' else 0.001)
    opt = yolo_optimizer(args.optimizer, param_groups(model, wd), lr0, args.momentum)
    run.resume(model, ModelEMA(model), opt, grad_scaler(device.type == 'cuda'))
    hooks = detector_hooks(args, run, (train, val), len(names), lr0, accumulate, device)
    meta = {'nc': len(names), 'names': names, 'coordconv': args.coordconv, 'gsconv': args.gsconv, 'imgsz': args.imgsz,
            'anchors': anchors.tolist(), 'arch': args.arch, 'masks': args.masks, **form}
    print(f'training {len(train)} images, batch {args.batch} (accumulate {accumulate}), {hooks.batches} batches/epoch, '
          f'{args.optimizer} lr0 {lr0}, device {device}, epochs {run.start_epoch + 1}..{args.epochs}')
    run.train(meta, hooks)


if __name__ == '__main__':
    main()
