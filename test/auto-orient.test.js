'use strict';
// autoOrient: a JPEG turned upright by its EXIF Orientation (native/core/image.cc), on
// every entry point, off by default. Each file is written here: a JPEG of known pixels
// with an APP1 Exif segment of our own spliced in after the start-of-image marker.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Detector, Inspector, decodeImage, encodeImage } = require('../dist');
const { constantDetector } = require('./helpers/onnx');
const { run } = require('./helpers/cli');

const W = 48, H = 24;

/** An APP1 Exif segment whose IFD0 holds one entry, Orientation = o (little or big endian). */
function exifApp1(o, bigEndian = false) {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v, at) => (bigEndian ? tiff.writeUInt16BE(v, at) : tiff.writeUInt16LE(v, at));
  const u32 = (v, at) => (bigEndian ? tiff.writeUInt32BE(v, at) : tiff.writeUInt32LE(v, at));
  tiff.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(o, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

const withOrientation = (jpg, o, bigEndian) => Buffer.concat([jpg.subarray(0, 2), exifApp1(o, bigEndian), jpg.subarray(2)]);

/** Where the upright image's (x, y) lies in the stored w x h image, per orientation. */
const stored = {
  1: (x, y, w, h) => [x, y],
  2: (x, y, w) => [w - 1 - x, y],
  3: (x, y, w, h) => [w - 1 - x, h - 1 - y],
  4: (x, y, w, h) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, w, h) => [y, h - 1 - x],
  7: (x, y, w, h) => [w - 1 - y, h - 1 - x],
  8: (x, y, w) => [w - 1 - y, x],
};

describe('autoOrient: JPEGs turned upright by their EXIF Orientation', function () {
  this.timeout(60000);
  let jpg, plain;
  before(async () => {
    const data = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) data.set([(x * 5) & 255, (y * 10) & 255, x < 8 && y < 8 ? 255 : 0], 3 * (y * W + x));
    }
    jpg = await encodeImage({ data, width: W, height: H, channels: 3 }, { format: 'jpeg', quality: 95 });
    plain = await decodeImage(jpg);
  });

  it('is off by default: the pixels as stored, whatever the tag says', async () => {
    for (let o = 1; o <= 8; o++) assert.deepStrictEqual(await decodeImage(withOrientation(jpg, o)), plain, `orientation ${o}`);
    assert.deepStrictEqual(await decodeImage(withOrientation(jpg, 6), { autoOrient: false }), plain);
  });

  it('turns each of the eight orientations upright, in either byte order', async () => {
    for (let o = 1; o <= 8; o++) {
      for (const bigEndian of [false, true]) {
        const img = await decodeImage(withOrientation(jpg, o, bigEndian), { autoOrient: true });
        const [w, h] = o >= 5 ? [H, W] : [W, H];
        assert.deepStrictEqual([img.width, img.height], [w, h], `orientation ${o}`);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const [sx, sy] = stored[o](x, y, W, H);
            const i = 3 * (y * w + x), j = 3 * (sy * W + sx);
            assert.deepStrictEqual(Array.from(img.data.subarray(i, i + 3)), Array.from(plain.data.subarray(j, j + 3)), `orientation ${o} at ${x},${y}`);
          }
        }
      }
    }
  });

  it('ignores a tag out of range or an Exif segment cut short', async () => {
    assert.deepStrictEqual(await decodeImage(withOrientation(jpg, 9), { autoOrient: true }), plain);
    const cut = exifApp1(6).subarray(0, 20);
    cut.writeUInt16BE(cut.length - 2, 2);
    assert.deepStrictEqual(await decodeImage(Buffer.concat([jpg.subarray(0, 2), cut, jpg.subarray(2)]), { autoOrient: true }), plain);
  });

  it('detect and inspect see the upright image and report its size and boxes in its pixels', async () => {
    const turned = withOrientation(jpg, 6);
    // One box over the model input's left-hand 40 % : on the upright (portrait) image, its left part.
    const det = await Detector.create(constantDetector({ rows: [[128, 320, 256, 640, 0.9, 1, 0]] }), { autoOrient: true });
    const [r] = await det.detect([turned]);
    assert.deepStrictEqual([r.width, r.height], [H, W]);
    assert.strictEqual(r.detections.length, 1);
    const [x1, y1, x2, y2] = r.detections[0].box;
    assert.ok(x1 >= 0 && x2 <= H && y1 >= 0 && y2 <= W, `box ${r.detections[0].box} inside the upright ${H}x${W}`);
    const [asStored] = await (await Detector.create(constantDetector({ rows: [[128, 320, 256, 640, 0.9, 1, 0]] }))).detect([turned]);
    assert.deepStrictEqual([asStored.width, asStored.height], [W, H]);
    det.close();
    const insp = await Inspector.create({ detector: false, classifiers: false, autoOrient: true });
    const [i] = await insp.inspect([turned]);
    assert.deepStrictEqual([i.width, i.height], [H, W]);
    insp.close();
  });

  it('CLI: detect --auto-orient reports the upright size; without it, the stored one', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-orient-'));
    try {
      const model = path.join(tmp, 'det.onnx');
      fs.writeFileSync(model, constantDetector({ rows: [[320, 320, 100, 50, 0.9, 0.1, 0.9]] }));
      fs.writeFileSync(path.join(tmp, 'turned.jpg'), withOrientation(jpg, 8));
      for (const [args, size] of [[['--auto-orient'], [H, W]], [[], [W, H]]]) {
        const r = await run(['detect', '-m', model, path.join(tmp, 'turned.jpg'), '--json', ...args]);
        assert.strictEqual(r.code, 0, r.stderr);
        const line = JSON.parse(r.stdout.trim());
        assert.deepStrictEqual([line.width, line.height], size, args.join(' '));
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a value that is not a boolean', async () => {
    await assert.rejects(decodeImage(jpg, { autoOrient: 'yes' }), (e) => e.code === 'ERR_INVALID_ARG' && /autoOrient/.test(e.message));
    await assert.rejects(Inspector.create({ detector: false, classifiers: false, autoOrient: 1 }), (e) => e.code === 'ERR_CONFIG' && /autoOrient/.test(e.message));
  });
});
