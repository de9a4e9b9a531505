"""Checkpoint files: OUT/last.pt (everything a resume needs) and OUT/best.pt (the EMA
weights of the best epoch), written atomically; loading them on torch 1.13 and 2.x."""
import os

import torch

from runtime import rng_state, set_rng_state


def load_checkpoint(path):
    """Our own checkpoints hold numpy RNG state and plain dicts: newer torch refuses them
    unless weights_only is off."""
    return torch.load(path, map_location='cpu', weights_only=False)


def save_atomic(obj, path):
    """torch.save to a temp file then rename, so an interrupt never leaves a torn checkpoint."""
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_epoch(paths, meta, state, epoch, metrics, best_fitness, is_best):
    """Checkpoint after an epoch. paths: (last_path, best_path); state: (model, ema, opt,
    scaler). last.pt holds everything a resume needs, best.pt (written when is_best) only
    the EMA weights; both carry `meta` (the recipe's model description)."""
    last_path, best_path = paths
    model, ema, opt, scaler = state
    ema_sd = ema.state_dict_cpu()
    if is_best:
        save_atomic({**meta, 'model': ema_sd, 'epoch': epoch, 'metrics': metrics}, best_path)
    save_atomic({**meta, 'model': model.state_dict(), 'ema': ema_sd, 'ema_updates': ema.updates,
                 'optimizer': opt.state_dict(), 'scaler': scaler.state_dict(), 'epoch': epoch,
                 'best_fitness': best_fitness, 'metrics': metrics, 'rng': rng_state()}, last_path)


def restore_state(ckpt, model, ema, opt, scaler):
    """Load a last.pt's training state back: weights, EMA, optimizer, scaler, RNG."""
    model.load_state_dict(ckpt['model'])
    ema.ema.load_state_dict(ckpt['ema'])
    ema.updates = ckpt['ema_updates']
    opt.load_state_dict(ckpt['optimizer'])
    scaler.load_state_dict(ckpt['scaler'])
    set_rng_state(ckpt['rng'])
