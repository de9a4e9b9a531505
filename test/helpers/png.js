'use strict';
// Writes PNG files byte by byte, so tests know exactly what each one holds
// (damaged, interlaced, 16-bit, lying about its size).
const zlib = require('zlib');

function crc32(buf) {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG of the given IHDR whose IDAT holds `scanlines` (filter bytes included)
 * deflated; `chunks` go between IHDR and IDAT.
 */
function writePng({ width, height, bitDepth = 8, colorType = 2, interlace = 0, scanlines, chunks = [] }) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  ihdr[12] = interlace;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), ...chunks,
    pngChunk('IDAT', zlib.deflateSync(scanlines)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Unfiltered scanlines of `rows` rows, each pixel `bytesAt(x, y)` (its bytes in file order). */
function scanlines(width, rows, bytesAt, xs = 0, xstep = 1, ys = 0, ystep = 1) {
  const out = [];
  for (let y = ys, n = 0; n < rows; y += ystep, n++) {
    out.push(0); // filter: none
    for (let x = xs; x < width; x += xstep) out.push(...bytesAt(x, y));
  }
  return Buffer.from(out);
}

/** Adam7 scanlines: the seven passes in order, empty passes left out as the format says. */
function adam7(width, height, bytesAt) {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return Buffer.concat(passes.map(([xs, ys, xstep, ystep]) => {
    const cols = Math.max(0, Math.ceil((width - xs) / xstep)), rows = Math.max(0, Math.ceil((height - ys) / ystep));
    return cols && rows ? scanlines(width, rows, bytesAt, xs, xstep, ys, ystep) : Buffer.alloc(0);
  }));
}

/** A well-formed PNG header claiming width x height RGB, followed by `rows` zero rows of data. */
function claimedPng(width, height, rows = 1) {
  return writePng({ width, height, scanlines: Buffer.alloc(Math.min(rows, height) * (1 + width * 3)) });
}

module.exports = { crc32, pngChunk, writePng, scanlines, adam7, claimedPng };
