"""Shared helpers for the recipes: dataset listing, letterbox, seeding, device, EMA,
learning-rate schedule, atomic checkpoints with RNG state."""
import copy
import math
import os
import random
import shlex
import sys
import time

import numpy as np
import torch
import yaml

IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def progress(iterable, total, desc):
    """Progress over one pass of a loader, on stderr: a tqdm bar on a terminal (Debian
    python3-tqdm); into a log file, a plain line a minute (a redrawn bar would leave
    carriage returns in it), so a 20-minute CPU epoch is not silent either way."""
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
            return tqdm(iterable, total=total, desc=desc, unit='batch', leave=False, dynamic_ncols=True,
                        file=sys.stderr)
        except ImportError:
            pass
    return _timed_lines(iterable, total, desc, every=60.0)


def _timed_lines(iterable, total, desc, every):
    t0 = last = time.time()
    for i, item in enumerate(iterable):
        yield item
        now = time.time()
        if now - last >= every and i + 1 < total:
            last = now
            rate = (i + 1) / (now - t0)
            print(f'{desc}: {i + 1}/{total} batches, {rate:.2f} batch/s, about {(total - i - 1) / rate / 60:.0f} min left',
                  file=sys.stderr, flush=True)


def recipe_command():
    """The command line that is running, as one copy-pastable string."""
    return shlex.join(['python3'] + sys.argv)


def crops_dirs(root):
    """Accept DIR, DIR/crops or DIR/crops/images; return (images_dir, labels_dir, yaml_path)."""
    root = os.path.abspath(root)
    if os.path.basename(root) == 'images':
        root = os.path.dirname(root)
    if not os.path.isdir(os.path.join(root, 'images')) and os.path.isdir(os.path.join(root, 'crops', 'images')):
        root = os.path.join(root, 'crops')
    img_dir = os.path.join(root, 'images')
    if not os.path.isdir(img_dir):
        raise SystemExit(f'no images/ folder under {root}')
    return img_dir, os.path.join(root, 'labels'), os.path.join(root, 'data.yaml')


def list_samples(root):
    """[(image_path, label_path)] sorted by name; the label file may be absent (= no objects)."""
    img_dir, lab_dir, _ = crops_dirs(root)
    out = []
    for name in sorted(os.listdir(img_dir)):
        if name.lower().endswith(IMG_EXTS):
            out.append((os.path.join(img_dir, name),
                        os.path.join(lab_dir, os.path.splitext(name)[0] + '.txt')))
    if not out:
        raise SystemExit(f'no images in {img_dir}')
    return out


def read_labels(path):
    """YOLO label file -> float32 array (n, 5): cls, cx, cy, w, h (normalised). A polygon
    row (`cls x1 y1 x2 y2 ...`, the YOLO-seg form) gives its bounding box."""
    return np.array([[c, *box] for c, box, _ in _label_rows(path)], np.float32).reshape(-1, 5)


def read_polygons(path):
    """YOLO-seg label file -> [(cls, (k,2) float32 normalised points)]; box rows give
    their four corners."""
    return [(c, poly) for c, _, poly in _label_rows(path)]


def _label_rows(path):
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for line in f:
            v = [float(x) for x in line.split()]
            if len(v) == 5:
                cx, cy, w, h = v[1:]
                poly = np.array([[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2],
                                 [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]], np.float32)
            elif len(v) >= 7 and len(v) % 2 == 1:
                poly = np.array(v[1:], np.float32).reshape(-1, 2)
            else:
                continue
            lo, hi = poly.min(0), poly.max(0)
            rows.append((v[0], [*(lo + hi) / 2, *(hi - lo)], poly))
    return rows


def read_names(root, fallback_nc=None):
    _, _, yaml_path = crops_dirs(root)
    if os.path.exists(yaml_path):
        with open(yaml_path) as f:
            d = yaml.safe_load(f) or {}
        names = d.get('names')
        if isinstance(names, dict):
            names = [names[k] for k in sorted(names)]
        if names:
            return [str(n) for n in names]
    if fallback_nc:
        return [f'class{i}' for i in range(fallback_nc)]
    raise SystemExit(f'{yaml_path}: no names')


def letterbox(img, size, color=114):
    """Resize keeping aspect so the long side is `size`, pad to size x size (centred).
    Returns image, scale, (pad_x, pad_y)."""
    import cv2
    h, w = img.shape[:2]
    r = size / max(h, w)
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    if (nw, nh) != (w, h):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
    px, py = (size - nw) // 2, (size - nh) // 2
    out = np.full((size, size, 3), color, np.uint8)
    out[py:py + nh, px:px + nw] = img
    return out, r, (px, py)


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def select_device(name):
    if name in (None, '', 'auto'):
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name.isdigit():
        return torch.device(f'cuda:{name}')
    return torch.device(name)


def rng_state():
    s = {'python': random.getstate(), 'numpy': np.random.get_state(), 'torch': torch.get_rng_state()}
    if torch.cuda.is_available():
        s['cuda'] = torch.cuda.get_rng_state_all()
    return s


def set_rng_state(s):
    random.setstate(s['python'])
    np.random.set_state(s['numpy'])
    torch.set_rng_state(s['torch'])
    if 'cuda' in s and torch.cuda.is_available() and len(s['cuda']) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(s['cuda'])


def load_checkpoint(path):
    """Our own checkpoints hold numpy RNG state and plain dicts: newer torch refuses them
    unless weights_only is off."""
    return torch.load(path, map_location='cpu', weights_only=False)


def grad_scaler(enabled):
    """torch.amp.GradScaler where this torch has it (2.3+), else the older CUDA one."""
    if hasattr(torch, 'amp') and hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler('cuda', enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def fit_epochs(args, t_start, epoch_s):
    """--fit-minutes: after the first epoch, size --epochs so the whole run (the cosine
    schedule included) ends inside the budget. The card records the resolved --epochs,
    which reproduces the schedule without the budget."""
    left = args.fit_minutes * 60 - (time.time() - t_start)
    # a tenth held back: later epochs can run slower than the first (a shared machine)
    epochs = max(1, min(args.epochs, 1 + int(0.9 * left // max(epoch_s, 1e-6))))
    print(f'--fit-minutes {args.fit_minutes}: {epoch_s:.1f}s an epoch, {left / 60:.1f} min left: '
          f'--epochs {epochs} (was {args.epochs})', flush=True)
    return epochs


def open_run(args, fitness_name):
    """The run folder args.out: (last_path, best_path, log_path, ckpt), where ckpt is
    OUT/last.pt to resume from (None for a fresh run or --restart). A resumed --fit-minutes
    run takes back the --epochs fitted after its epoch 1. Exits when every epoch is done."""
    os.makedirs(args.out, exist_ok=True)
    last_path, best_path = os.path.join(args.out, 'last.pt'), os.path.join(args.out, 'best.pt')
    log_path = os.path.join(args.out, 'log.csv')
    ckpt = None
    if os.path.exists(last_path) and not args.restart:
        ckpt = load_checkpoint(last_path)
        if args.fit_minutes and ckpt['epoch'] >= 1:
            args.epochs = ckpt['args']['epochs']
        if ckpt['epoch'] >= args.epochs:
            print(f'{args.out}: all {ckpt["epoch"]} epochs done (best val {fitness_name} {ckpt["best_fitness"]:.4f}); '
                  f'raise --epochs to train on, or --restart')
            raise SystemExit(0)
    return last_path, best_path, log_path, ckpt


def restore_run(ckpt, args, model, ema, opt, scaler, log_path):
    """Training state from `ckpt` (see open_run), or a fresh log and OUT/recipe.txt when it is
    None. Returns (start_epoch, best_fitness, recipe): a resumed run keeps its first command."""
    recipe = recipe_command()
    if ckpt is None:
        truncate_csv(log_path, 0)
        with open(os.path.join(args.out, 'recipe.txt'), 'w') as f:
            f.write(recipe + '\n')
        return 0, -1.0, recipe
    model.load_state_dict(ckpt['model'])
    ema.ema.load_state_dict(ckpt['ema'])
    ema.updates = ckpt['ema_updates']
    opt.load_state_dict(ckpt['optimizer'])
    scaler.load_state_dict(ckpt['scaler'])
    set_rng_state(ckpt['rng'])
    truncate_csv(log_path, ckpt['epoch'])
    print(f'resuming {args.out} after epoch {ckpt["epoch"]}/{args.epochs}')
    return ckpt['epoch'], ckpt['best_fitness'], ckpt.get('recipe', recipe)


def save_atomic(obj, path):
    """torch.save to a temp file then rename, so an interrupt never leaves a torn checkpoint."""
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_epoch(meta, model, ema, opt, scaler, epoch, metrics, best_fitness, is_best, last_path, best_path):
    """Checkpoint after an epoch: OUT/last.pt holds everything a resume needs, OUT/best.pt
    only the EMA weights of the best epoch so far."""
    ema_sd = {k: v.detach().float().cpu() if v.dtype.is_floating_point else v.cpu()
              for k, v in ema.ema.state_dict().items()}
    if is_best:
        save_atomic({**meta, 'model': ema_sd, 'epoch': epoch, 'metrics': metrics}, best_path)
    save_atomic({**meta, 'model': model.state_dict(), 'ema': ema_sd, 'ema_updates': ema.updates,
                 'optimizer': opt.state_dict(), 'scaler': scaler.state_dict(), 'epoch': epoch,
                 'best_fitness': best_fitness, 'metrics': metrics, 'rng': rng_state()}, last_path)


def out_of_time(args, t_start, epoch_s, epoch):
    """--max-minutes: stop after this epoch when the next one would overrun the budget."""
    if not args.max_minutes or epoch >= args.epochs:
        return False
    elapsed = time.time() - t_start
    if elapsed + epoch_s <= args.max_minutes * 60:
        return False
    print(f'stopping after epoch {epoch}: {elapsed / 60:.1f} min used of --max-minutes '
          f'{args.max_minutes}; re-run the same command to continue')
    return True


def end_epoch(args, t_start, epoch, epoch_s, cost, save):
    """Checkpoints epoch `epoch` (0-based) with save(). After epoch 1 of a --fit-minutes run
    it sizes --epochs from `cost` (the epoch's seconds as later epochs will spend them; the
    checkpoint's time is added) and saves again, so that a resume keeps the fitted --epochs.
    Returns 'paused' when --max-minutes stops the run, 'done' after its last epoch, else None."""
    t_save = time.time()
    save()
    if args.fit_minutes and epoch == 0:
        args.epochs = fit_epochs(args, t_start, cost + time.time() - t_save)
        save()
    if out_of_time(args, t_start, epoch_s, epoch + 1):
        return 'paused'
    return 'done' if epoch + 1 >= args.epochs else None


def finish_run(args, fitness_name, best_fitness):
    """OUT/done.yaml: the epochs run and the best validation figure (a later call exits early)."""
    with open(os.path.join(args.out, 'done.yaml'), 'w') as f:
        yaml.safe_dump({'epochs': args.epochs, fitness_name: float(best_fitness)}, f)


class ModelEMA:
    """Exponential moving average of weights; decay ramps up over the first updates."""

    def __init__(self, model, decay=0.9999, tau=2000, updates=0):
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, updates

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def cosine_factor(epoch, epochs, final=0.01):
    """LR multiplier at (fractional) epoch: 1 -> `final` along a half cosine."""
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * min(epoch / max(epochs, 1), 1.0)))


def param_groups(model, weight_decay):
    """Three groups: conv/linear weights (decayed), norm weights and biases (not decayed)."""
    decay, norm, bias = [], [], []
    for m in model.modules():
        for name, p in m.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if name == 'bias':
                bias.append(p)
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                decay.append(p)
            else:
                norm.append(p)
    return [{'params': decay, 'weight_decay': weight_decay, 'name': 'decay'},
            {'params': norm, 'weight_decay': 0.0, 'name': 'norm'},
            {'params': bias, 'weight_decay': 0.0, 'name': 'bias'}]


def append_csv(path, row):
    new = not os.path.exists(path)
    with open(path, 'a') as f:
        if new:
            f.write(','.join(row.keys()) + '\n')
        f.write(','.join(f'{v:.6g}' if isinstance(v, float) else str(v) for v in row.values()) + '\n')


def truncate_csv(path, last_epoch):
    """On resume, drop log rows of epochs after the checkpoint (e.g. an interrupted epoch)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.readlines()
    if not lines:
        return
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split(',')[0].isdigit() and int(ln.split(',')[0]) <= last_epoch]
    with open(path, 'w') as f:
        f.writelines(keep)
