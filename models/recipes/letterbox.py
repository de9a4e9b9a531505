"""Letterbox: the detector's input geometry (long side to size, centred, padded)."""
import numpy as np


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
