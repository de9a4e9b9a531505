'use strict';
// Small geometry helpers for tests: homographies as 9 numbers (row-major),
// point-in-polygon, rasterised polygon IoU against a mask.

function apply(h, [x, y]) {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

function insidePolygon(poly, [x, y]) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** IoU between a polygon and a binary mask (one byte per pixel, nonzero = in), at pixel centres. */
function polygonMaskIoU(poly, mask, width, height) {
  let inter = 0;
  let union = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const a = insidePolygon(poly, [x + 0.5, y + 0.5]);
      const b = mask[y * width + x] !== 0;
      if (a && b) inter++;
      if (a || b) union++;
    }
  }
  return union ? inter / union : 1;
}

function polygonArea(poly) {
  let s = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) s += poly[j][0] * poly[i][1] - poly[i][0] * poly[j][1];
  return Math.abs(s) / 2;
}

module.exports = { apply, insidePolygon, polygonMaskIoU, polygonArea };
