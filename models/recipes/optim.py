"""Optimiser parameter groups and learning-rate schedules (cosine, YOLO-style warmup)."""
import math

import torch


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


def yolo_optimizer(name, groups, lr0, momentum):
    """sgd: SGD with Nesterov momentum; adamw: AdamW with beta1 = momentum."""
    if name == 'sgd':
        return torch.optim.SGD(groups, lr=lr0, momentum=momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=lr0, betas=(momentum, 0.999))


def cosine_factor(epoch, epochs, final=0.01):
    """LR multiplier at (fractional) epoch: 1 -> `final` along a half cosine."""
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * min(epoch / max(epochs, 1), 1.0)))


def linear_factor(epoch, epochs, final=0.01):
    """LR multiplier at (fractional) epoch: 1 -> `final` along a straight line."""
    return 1 - (1 - final) * min(epoch / max(epochs, 1), 1.0)


def yolo_warmup_lr(opt, ni, n_warm, base, sgd, momentum):
    """Set every group's LR for iteration `ni`: `base` after `n_warm` iterations; before,
    a linear ramp from 0 (SGD biases from 0.1 down) and, for SGD, momentum from 0.8."""
    for g in opt.param_groups:
        if ni < n_warm:
            x = ni / n_warm
            start = 0.1 if (g['name'] == 'bias' and sgd) else 0.0
            g['lr'] = start + (base - start) * x
            if sgd:
                g['momentum'] = 0.8 + (momentum - 0.8) * x
        else:
            g['lr'] = base
            if sgd:
                g['momentum'] = momentum
