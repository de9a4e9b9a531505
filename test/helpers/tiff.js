'use strict';
// Writes uncompressed TIFF files byte by byte, so tests know exactly what each
// one holds (bit depths, photometrics, planes, tiles, orientation, byte order).

const SHORT = 3, LONG = 4;

/**
 * A classic TIFF: the header, then each strip (or tile) in turn, then the one
 * directory. `tags`: [tag, type (SHORT or LONG), value or values] for everything
 * but the size and the data's offsets and byte counts, which are written here;
 * `blocks`: the strips (or, with `tile` [width, length], the tiles) as stored.
 */
function writeTiff({ width, height, tags, blocks, tile, bigEndian = false }) {
  const u16 = (b, v, at) => (bigEndian ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at));
  const u32 = (b, v, at) => (bigEndian ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at));
  const offsets = [];
  let at = 8;
  for (const b of blocks) {
    offsets.push(at);
    at += b.length + (b.length & 1); // word-aligned, as writers keep them
  }
  const all = [[256, LONG, width], [257, LONG, height], ...tags,
    [tile ? 324 : 273, LONG, offsets], [tile ? 325 : 279, LONG, blocks.map((b) => b.length)]];
  if (tile) all.push([322, LONG, tile[0]], [323, LONG, tile[1]]);
  all.sort((a, b) => a[0] - b[0]);
  const ifdAt = at;
  const ifdSize = 2 + 12 * all.length + 4;
  let extraAt = ifdAt + ifdSize;
  const extras = [];
  const ifd = Buffer.alloc(ifdSize);
  u16(ifd, all.length, 0);
  all.forEach(([tag, type, value], i) => {
    const values = [].concat(value);
    const size = type === SHORT ? 2 : 4;
    const e = 2 + 12 * i;
    u16(ifd, tag, e);
    u16(ifd, type, e + 2);
    u32(ifd, values.length, e + 4);
    let into = ifd, base = e + 8;
    if (values.length * size > 4) {
      into = Buffer.alloc(values.length * size);
      base = 0;
      u32(ifd, extraAt, e + 8);
      extraAt += into.length;
      extras.push(into);
    }
    values.forEach((v, k) => (size === 2 ? u16(into, v, base + 2 * k) : u32(into, v, base + 4 * k)));
  });
  const head = Buffer.alloc(8);
  head.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(head, 42, 2);
  u32(head, ifdAt, 4);
  const padded = blocks.map((b) => (b.length & 1 ? Buffer.concat([b, Buffer.alloc(1)]) : b));
  return Buffer.concat([head, ...padded, ifd, ...extras]);
}

/** 16-bit samples in the file's byte order. */
function samples16(values, bigEndian = false) {
  const b = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => (bigEndian ? b.writeUInt16BE(v, 2 * i) : b.writeUInt16LE(v, 2 * i)));
  return b;
}

module.exports = { SHORT, LONG, writeTiff, samples16 };
