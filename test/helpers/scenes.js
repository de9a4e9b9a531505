'use strict';
// Test scenes with exactly known geometry: a dark rotated rectangle on a light
// background, anti-aliased by supersampling so edge refinement has a true
// sub-pixel answer to find.

/** Corners (clockwise on screen from the top-left of the unrotated rect) of a w x h rect turned by `deg` about (cx, cy). */
function rectCorners({ cx, cy, w, h, deg }) {
  const a = (deg * Math.PI) / 180;
  const c = Math.cos(a), s = Math.sin(a);
  return [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]].map(([x, y]) => [cx + x * c - y * s, cy + x * s + y * c]);
}

/** True when (x, y) lies inside the rotated rectangle. */
function insideRect({ cx, cy, w, h, deg }, x, y) {
  const a = (deg * Math.PI) / 180;
  const dx = x - cx, dy = y - cy;
  const u = dx * Math.cos(a) + dy * Math.sin(a), v = -dx * Math.sin(a) + dy * Math.cos(a);
  return Math.abs(u) < w / 2 && Math.abs(v) < h / 2;
}

/** Raw BGR pixels: `rect` at `dark` on `light`, 4x4 supersampled. */
function drawRect(width, height, rect, { dark = 60, light = 200 } = {}) {
  const data = new Uint8Array(width * height * 3);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let hits = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (insideRect(rect, i + (sx + 0.5) / 4, j + (sy + 0.5) / 4)) hits++;
      const v = Math.round(light + ((dark - light) * hits) / 16);
      data.fill(v, 3 * (j * width + i), 3 * (j * width + i) + 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/** Largest distance from each expected corner to its nearest found corner. */
function cornerError(found, expected) {
  return Math.max(...expected.map((e) => Math.min(...found.map((f) => Math.hypot(f[0] - e[0], f[1] - e[1])))));
}

module.exports = { rectCorners, insideRect, drawRect, cornerError };
