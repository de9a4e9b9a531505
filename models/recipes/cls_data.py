"""The classifier's data: crops resized to imgsz (optionally a region of each first),
good/defective targets from the label files, augmentation, normalisation, DataLoaders.

Target: 0 good (empty or missing label file), 1 defective (any label line).
Input: plain resize to imgsz x imgsz (no letterbox), RGB / 255, normalised with the
ImageNet mean/std; cached in RAM. Augmentation: flips, small scale/translate (no rotation:
a rotated die is a defect), brightness/contrast jitter.
"""
import random
import time

import cv2
import numpy as np
import torch

from labels import list_samples, read_labels
from runtime import seeded_loader

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class ClsData(torch.utils.data.Dataset):
    def __init__(self, root, imgsz, augment=False, name='data', region=None):
        self.samples = list_samples(root)
        self.imgsz = imgsz
        self.augment = augment
        t = time.time()
        self.imgs, self.targets = [], []
        for k, (ip, lp) in enumerate(self.samples):
            img = cv2.imread(ip, cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit(f'cannot read {ip}')
            if region:
                # The die's neighbourhood of the upright crop (fractions x1, y1, x2, y2):
                # more pixels on the die, and the LED region (distractor cracks) left out.
                h, w = img.shape[:2]
                img = img[int(round(region[1] * h)):int(round(region[3] * h)), int(round(region[0] * w)):int(round(region[2] * w))]
            self.imgs.append(cv2.resize(img, (imgsz, imgsz), interpolation=cv2.INTER_AREA))
            self.targets.append(1 if len(read_labels(lp)) else 0)
            if (k + 1) % 1000 == 0:
                print(f'  {name}: cached {k + 1}/{len(self.samples)}', flush=True)
        self.targets = np.array(self.targets, np.int64)
        print(f'{name}: {len(self.imgs)} images ({int((self.targets == 0).sum())} good, '
              f'{int(self.targets.sum())} defective), cached at {imgsz} in {time.time() - t:.1f}s')

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, i):
        img = self.imgs[i]
        if self.augment:
            s = self.imgsz
            k = random.uniform(0.9, 1.1)
            tx, ty = (random.uniform(-0.05, 0.05) * s for _ in range(2))
            M = np.array([[k, 0, (1 - k) * s / 2 + tx], [0, k, (1 - k) * s / 2 + ty]], np.float32)
            img = cv2.warpAffine(img, M, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            if random.random() < 0.5:
                img = img[:, ::-1]
            if random.random() < 0.5:
                img = img[::-1]
            a, b = random.uniform(0.8, 1.2), random.uniform(-20, 20)
            img = cv2.convertScaleAbs(np.ascontiguousarray(img), alpha=a, beta=b)
        chw = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))
        return torch.from_numpy(chw), int(self.targets[i])


def make_loader(data, batch, shuffle, workers, seed=0, sampler=None):
    return seeded_loader(data, batch, shuffle, workers, seed, sampler=sampler)


def balanced_sampler(targets, seed):
    """Draws len(targets) samples with replacement, each class equally likely (oversampling
    the minority class), in an order that follows `seed` alone."""
    counts = np.bincount(targets, minlength=2).astype(np.float64)
    weights = torch.tensor(1.0 / counts[targets], dtype=torch.double)
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.utils.data.WeightedRandomSampler(weights, len(targets), replacement=True, generator=g)


def normalize(imgs, device):
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (imgs.to(device, non_blocking=True).float() / 255 - mean) / std
