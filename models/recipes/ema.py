"""Exponential moving average of a model's weights (what validation, best.pt and the
exports use)."""
import copy
import math

import torch


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

    def state_dict_cpu(self):
        """The EMA weights as float32 CPU tensors, the form both checkpoints keep."""
        return {k: v.detach().float().cpu() if v.dtype.is_floating_point else v.cpu()
                for k, v in self.ema.state_dict().items()}
