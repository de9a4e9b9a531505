'use strict';
// Writes BMP files byte by byte, so tests know exactly what each one holds
// (every header kind, palettes, bit fields, RLE streams, damage).

/** Header sizes: BITMAPCOREHEADER, BITMAPINFOHEADER, V4, V5. */
const CORE = 12, INFO = 40, V4 = 108, V5 = 124;

/**
 * A BMP file. `palette`: [b, g, r] entries (3 bytes each with a core header, else 4);
 * `masks`: [red, green, blue] bit fields, after a 40-byte header or inside a V4/V5
 * one; `data`: the pixel data as stored (see rows()); `colorsUsed` goes to biClrUsed.
 */
function writeBmp({ width, height, bpp, header = INFO, compression = 0, topDown = false, palette = [], masks, colorsUsed = 0, data }) {
  const core = header === CORE;
  const pal = Buffer.concat(palette.map(([b, g, r]) => Buffer.from(core ? [b, g, r] : [b, g, r, 0])));
  const after = masks && header === INFO ? Buffer.alloc(12) : Buffer.alloc(0);
  if (after.length) masks.forEach((m, i) => after.writeUInt32LE(m >>> 0, 4 * i));
  const head = Buffer.alloc(14 + header);
  const offset = head.length + after.length + pal.length;
  head.write('BM', 0, 'latin1');
  head.writeUInt32LE(offset + data.length, 2);
  head.writeUInt32LE(offset, 10);
  head.writeUInt32LE(header, 14);
  if (core) {
    head.writeUInt16LE(width, 18);
    head.writeUInt16LE(height, 20);
    head.writeUInt16LE(1, 22);
    head.writeUInt16LE(bpp, 24);
  } else {
    head.writeInt32LE(width, 18);
    head.writeInt32LE(topDown ? -height : height, 22);
    head.writeUInt16LE(1, 26);
    head.writeUInt16LE(bpp, 28);
    head.writeUInt32LE(compression, 30);
    head.writeUInt32LE(data.length, 34);
    head.writeUInt32LE(colorsUsed, 46);
    if (masks && header >= 52) masks.forEach((m, i) => head.writeUInt32LE(m >>> 0, 54 + 4 * i));
  }
  return Buffer.concat([head, after, pal, data]);
}

/**
 * Uncompressed pixel rows in stored order (bottom row first unless topDown), each
 * padded to 4 bytes. `at(x, y)` gives a palette index (bpp <= 8, packed from the
 * high bits), a [b, g, r] triple (24) or the pixel as an integer (16, 32).
 */
function rows(width, height, bpp, at, topDown = false) {
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const out = Buffer.alloc(stride * height);
  for (let r = 0; r < height; r++) {
    const y = topDown ? r : height - 1 - r;
    const row = out.subarray(r * stride, (r + 1) * stride);
    for (let x = 0; x < width; x++) {
      const v = at(x, y);
      if (bpp <= 8) row[(x * bpp) >> 3] |= v << (8 - bpp - ((x * bpp) & 7));
      else if (bpp === 16) row.writeUInt16LE(v, 2 * x);
      else if (bpp === 24) Buffer.from(v).copy(row, 3 * x);
      else row.writeUInt32LE(v >>> 0, 4 * x);
    }
  }
  return out;
}

module.exports = { CORE, INFO, V4, V5, writeBmp, rows };
