"""The process a recipe runs in: torch CPU threads, the device and its AMP scaler, seeds
and RNG state, and DataLoaders seeded per epoch (worker processes seeded from torch)."""
import random

import numpy as np
import torch


def set_threads(n):
    """--threads N: torch's CPU threads (0 keeps torch's default)."""
    if n:
        torch.set_num_threads(n)


def select_device(name):
    """--device: auto (CUDA when torch sees a GPU, else CPU), cpu, cuda, cuda:N or N."""
    if name in (None, '', 'auto'):
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name.isdigit():
        return torch.device(f'cuda:{name}')
    return torch.device(name)


def grad_scaler(enabled):
    """torch.amp.GradScaler where this torch has it (2.3+), else the older CUDA one."""
    if hasattr(torch, 'amp') and hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler('cuda', enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


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


def seed_worker(_):
    """DataLoader worker_init_fn: Python and NumPy seeded from the worker's torch seed."""
    s = torch.initial_seed() % 2 ** 32
    np.random.seed(s)
    random.seed(s)


def seeded_loader(data, batch, shuffle, workers, seed=0, collate_fn=None, worker_init_fn=seed_worker, sampler=None):
    """A DataLoader whose shuffling follows `seed` alone (the recipes pass seed * 1000 + epoch);
    a sampler (seeded by its maker) replaces the shuffle."""
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.utils.data.DataLoader(data, batch_size=batch, shuffle=shuffle and sampler is None, sampler=sampler,
                                       num_workers=workers,
                                       collate_fn=collate_fn, generator=g, worker_init_fn=worker_init_fn,
                                       persistent_workers=False, drop_last=False)
