#!/usr/bin/env node
'use strict';
// Writes the seed corpus of each fuzzer into DIR/<fuzzer>/ (scripts/fuzz.sh):
// small images of every form the decoder tests build (test/helpers' PNG, BMP and
// TIFF writers, our own encoders, a JPEG with an EXIF orientation), the sample
// JPEGs re-encoded small, and, when ../shared is beside the checkout, the public
// corpus files. The structured fuzzers (YOLO + NMS, NMS, mask -> quad, ROI) start
// from a few random inputs of the sizes their harnesses read.
//   node fuzz/seeds.js DIR
const fs = require('fs');
const path = require('path');
const { decodeImage, encodeImage } = require('../dist');
const { writePng, scanlines, adam7 } = require('../test/helpers/png');
const { CORE, V4, writeBmp, rows } = require('../test/helpers/bmp');
const { SHORT, LONG, writeTiff } = require('../test/helpers/tiff');

const root = path.join(__dirname, '..');
const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node fuzz/seeds.js DIR\n');
  process.exit(2);
}

const W = 12, H = 9;
const rgbAt = (x, y) => [(x * 20) & 255, (y * 28) & 255, ((x + y) * 9) & 255];
const scene = () => {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set(rgbAt(x, y), (y * W + x) * 3);
  return { data, width: W, height: H, channels: 3 };
};

function pngs() {
  const grey = (bits) => {
    const rowBytes = Math.ceil((W * bits) / 8);
    const b = Buffer.alloc(H * (rowBytes + 1));
    for (let y = 0; y < H; y++) for (let i = 0; i < rowBytes; i++) b[y * (rowBytes + 1) + 1 + i] = (i * 37 + y * 11) & 255;
    return b;
  };
  return [
    writePng({ width: W, height: H, scanlines: scanlines(W, H, rgbAt) }),
    writePng({ width: W, height: H, interlace: 1, scanlines: adam7(W, H, rgbAt) }),
    ...[1, 2, 4, 8, 16].map((bits) => writePng({ width: W, height: H, bitDepth: bits, colorType: 0, scanlines: grey(bits) })),
  ];
}

function bmps() {
  const pal = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, (i * 40) & 255]);
  const index = (x, y) => (x + y) & 15;
  return [
    writeBmp({ width: W, height: H, bpp: 24, data: rows(W, H, 24, (x, y) => rgbAt(x, y)) }),
    writeBmp({ width: W, height: H, bpp: 4, palette: pal, data: rows(W, H, 4, index) }),
    writeBmp({ width: W, height: H, bpp: 8, header: CORE, palette: pal, data: rows(W, H, 8, index) }),
    writeBmp({ width: W, height: H, bpp: 16, header: V4, compression: 3, masks: [0xf800, 0x07e0, 0x001f],
      data: rows(W, H, 16, (x, y) => (x << 11) | (y << 5) | x) }),
    writeBmp({ width: 8, height: 4, bpp: 8, compression: 1, palette: pal, data: Buffer.from([4, 9, 0, 0, 3, 2, 0, 1]) }),
  ];
}

function tiffs() {
  const strip = (bytesPerRow, at) => [Buffer.from(Array.from({ length: H * bytesPerRow }, (_, i) => at(i)))];
  const base = (bps, spp, photometric) => [[258, SHORT, Array(spp).fill(bps)], [259, SHORT, 1], [262, SHORT, photometric],
    [277, SHORT, spp], [278, LONG, H]];
  return [
    writeTiff({ width: W, height: H, tags: base(8, 1, 1), blocks: strip(W, (i) => (i * 7) & 255) }),
    writeTiff({ width: W, height: H, tags: base(8, 3, 2), blocks: strip(3 * W, (i) => (i * 5) & 255) }),
    writeTiff({ width: W, height: H, tags: base(4, 1, 1), blocks: strip(W / 2, (i) => (i * 3) & 255), bigEndian: true }),
    writeTiff({ width: W, height: H, tags: base(16, 1, 1), blocks: strip(2 * W, (i) => (i * 13) & 255) }),
  ];
}

/** APP1 Exif with IFD0 Orientation = 6, after the start-of-image marker. */
function withOrientation(jpg) {
  const tiff = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const len = Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([jpg.subarray(0, 2), Buffer.from([0xff, 0xe1]), len, body, jpg.subarray(2)]);
}

async function main() {
  const seeds = { jpeg: [], png: pngs(), bmp: bmps(), tiff: tiffs() };
  for (const format of ['jpeg', 'png', 'bmp', 'tiff']) seeds[format].push(await encodeImage(scene(), { format }));
  const jpg = seeds.jpeg[0];
  seeds.jpeg.push(withOrientation(jpg), await encodeImage(scene(), { format: 'jpeg', quality: 30 }));
  const samples = path.join(root, 'samples', 'images');
  for (const f of fs.readdirSync(samples).filter((n) => n.endsWith('.jpg')).slice(0, 3)) {
    const img = await decodeImage(path.join(samples, f));
    // A 64-pixel-wide crop of each sample: real sensor texture at a size the fuzzer runs fast.
    const width = 64, height = 48;
    const data = Buffer.alloc(width * height * img.channels);
    for (let y = 0; y < height; y++) {
      Buffer.from(img.data.buffer, img.data.byteOffset + y * img.width * img.channels, width * img.channels).copy(data, y * width * img.channels);
    }
    seeds.jpeg.push(await encodeImage({ data, width, height, channels: img.channels }, { format: 'jpeg', quality: 85 }));
  }
  const corpus = path.join(root, '..', 'shared', 'corpora', 'found');
  if (fs.existsSync(corpus)) {
    const kind = { jpg: 'jpeg', jpeg: 'jpeg', png: 'png', bmp: 'bmp', tif: 'tiff', tiff: 'tiff' };
    for (const f of fs.readdirSync(corpus)) {
      const k = kind[path.extname(f).slice(1).toLowerCase()];
      const bytes = fs.readFileSync(path.join(corpus, f));
      if (k && bytes.length <= 256 * 1024) seeds[k].push(bytes);
    }
  }
  const all = [...seeds.jpeg, ...seeds.png, ...seeds.bmp, ...seeds.tiff];
  const write = (fuzzer, list) => {
    const dir = path.join(out, fuzzer);
    fs.mkdirSync(dir, { recursive: true });
    list.forEach((b, i) => fs.writeFileSync(path.join(dir, `seed-${String(i).padStart(3, '0')}`), b));
    return list.length;
  };
  let rnd = 0x2545f491;
  const random = (n) => Buffer.from(Array.from({ length: n }, () => {
    rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5;
    return rnd & 255;
  }));
  const counts = {
    jpeg_fuzzer: write('jpeg_fuzzer', seeds.jpeg), png_fuzzer: write('png_fuzzer', seeds.png),
    bmp_fuzzer: write('bmp_fuzzer', seeds.bmp), tiff_fuzzer: write('tiff_fuzzer', seeds.tiff),
    header_fuzzer: write('header_fuzzer', all), load_fuzzer: write('load_fuzzer', all),
  };
  for (const [fuzzer, size] of [['yolo_nms_fuzzer', 600], ['nms_fuzzer', 400], ['mask_quad_fuzzer', 300], ['roi_fuzzer', 200]]) {
    counts[fuzzer] = write(fuzzer, [0, 1, 2, 3].map(() => random(size)));
  }
  process.stdout.write(`seeds: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
