"""The detector's training and validation data: letterboxed, RAM-cached images with their
boxes (or, for a segmenter, polygons), the augmentations, and their DataLoaders.

Images are letterboxed once to imgsz (long side = imgsz, pad 114) and cached in RAM.
Augmentation: HSV jitter, horizontal/vertical flips (labels mirrored), small scale and
translate. No mosaic (the whole package must stay visible). A segmenter's labels are
polygons (YOLO-seg rows); they go through the same transforms and are rasterised at the
prototype resolution (imgsz / 4) as mask targets.
"""
import random
import time

import cv2
import numpy as np
import torch

from labels import list_samples, read_labels, read_polygons
from letterbox import letterbox
from runtime import seed_worker, seeded_loader


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



def init_worker(worker_id):
    cv2.setNumThreads(1)  # workers are the parallelism; OpenCV's own pool in each oversubscribes the CPU
    seed_worker(worker_id)


def make_loader(data, batch, shuffle, workers, seed=0):
    return seeded_loader(data, batch, shuffle, workers, seed, collate_fn=DetData.collate, worker_init_fn=init_worker)
