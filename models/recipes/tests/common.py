"""Shared set-up for the recipe tests: the recipes folder on sys.path, one torch thread,
and small models with non-trivial BatchNorm statistics."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(1)

from yolov7tiny import YOLOv7Tiny  # noqa: E402

VARIANTS = {'baseline': {}, 'coordconv': {'coordconv': True}, 'gsconv': {'gsconv': True}}


@torch.no_grad()
def randomize_bn(model, seed=0):
    """BatchNorm statistics and affine terms away from their defaults, so that folding
    and channel removal are tested on more than identities."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.copy_((torch.rand(n, generator=g) - 0.5) * 0.4)
    return model


def make(variant, fused=False, seed=0):
    """An eval-mode YOLOv7Tiny of a variant, BatchNorm randomized, optionally fused."""
    torch.manual_seed(seed)
    m = randomize_bn(YOLOv7Tiny(2, **VARIANTS[variant]), seed).eval()
    return m.fuse() if fused else m


def image(seed=0, h=64, w=64, batch=1):
    return torch.rand(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def outputs(model, x):
    return [o.clone() for o in model.eval()(x)]
