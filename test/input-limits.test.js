'use strict';
// Pixel limits read from image headers before decoding, and the formats the
// decoder accepts. Sizes and pixels here are known because the tests write them.
const assert = require('assert');
const {
  Classifier, Detector, Inspector, Roi, decodeImage, encodeImage, preprocess, DEFAULT_LIMIT_INPUT_PIXELS,
} = require('../dist');
const { constantDetector, meanClassifier } = require('./helpers/onnx');
const { run } = require('./helpers/cli');
const { claimedPng } = require('./helpers/png');

/**
 * A big-endian ("MM") uncompressed 8-bit grey TIFF, width given as SHORT and height as LONG;
 * `repeatWidth` adds a second ImageWidth entry right after the first (libtiff ignores it).
 */
function bigEndianTiff(width, height, pixels, repeatWidth) {
  const entries = [
    [256, 3, 1, width], [257, 4, 1, height], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1],
    [273, 4, 1, 0 /* strip offset, set below */], [277, 3, 1, 1], [278, 3, 1, height], [279, 4, 1, pixels.length],
  ];
  if (repeatWidth !== undefined) entries.splice(1, 0, [256, 3, 1, repeatWidth]);
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataAt = 8 + ifdSize;
  entries.find((e) => e[0] === 273)[3] = dataAt;
  const b = Buffer.alloc(dataAt + pixels.length);
  b.write('MM', 0, 'latin1');
  b.writeUInt16BE(42, 2);
  b.writeUInt32BE(8, 4);
  b.writeUInt16BE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    b.writeUInt16BE(tag, at);
    b.writeUInt16BE(type, at + 2);
    b.writeUInt32BE(count, at + 4);
    if (type === 3) b.writeUInt16BE(value, at + 8); // SHORT: left-justified in the value field
    else b.writeUInt32BE(value, at + 8);
  });
  Buffer.from(pixels).copy(b, dataAt);
  return b;
}

/** A little-endian BigTIFF header whose first IFD gives width and height as LONG8 (no pixel data). */
function bigTiffHeader(width, height) {
  const b = Buffer.alloc(16 + 8 + 2 * 20 + 8);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(43, 2);
  b.writeUInt16LE(8, 4);
  b.writeBigUInt64LE(16n, 8);
  b.writeBigUInt64LE(2n, 16);
  [[256, width], [257, height]].forEach(([tag, value], i) => {
    const at = 24 + i * 20;
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(16, at + 2); // LONG8
    b.writeBigUInt64LE(1n, at + 4);
    b.writeBigUInt64LE(BigInt(value), at + 12);
  });
  return b;
}

/** A 24-bit BMP stored top-down (negative height), rows padded to 4 bytes. */
function topDownBmp(width, height, bgrRows) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const b = Buffer.alloc(54 + stride * height);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(-height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  bgrRows.forEach((row, y) => Buffer.from(row).copy(b, 54 + y * stride));
  return b;
}

function gradient(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  return { data, width, height, channels: 3 };
}

describe('input limits and formats', function () {
  this.timeout(60000);

  it('reads the size of every accepted format from its header: the exact pixel count passes, one less is refused', async () => {
    const img = gradient(37, 23);
    const encoded = {
      png: await encodeImage(img, { format: 'png' }),
      jpg: await encodeImage(img, { format: 'jpg' }),
      bmp: await encodeImage(img, { format: 'bmp' }),
      tiff: await encodeImage(img, { format: 'tiff' }),
      'big-endian tiff': bigEndianTiff(37, 23, new Uint8Array(37 * 23).fill(9)),
      'top-down bmp': topDownBmp(37, 23, Array.from({ length: 23 }, () => new Uint8Array(37 * 3).fill(5))),
    };
    for (const [name, bytes] of Object.entries(encoded)) {
      const ok = await decodeImage(bytes, { limitInputPixels: 37 * 23 });
      assert.deepStrictEqual([ok.width, ok.height], [37, 23], name);
      await assert.rejects(decodeImage(bytes, { limitInputPixels: 37 * 23 - 1 }),
        (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /37x23/.test(e.message), name);
    }
  });

  it('reads BigTIFF sizes, and sides whose product overflows 64 bits are still too large', async () => {
    await assert.rejects(decodeImage(bigTiffHeader(37, 23), { limitInputPixels: 37 * 23 - 1 }),
      (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /37x23/.test(e.message));
    // 2^40 x 2^30 pixels: the product wraps around to 64, under any limit, if multiplied.
    await assert.rejects(decodeImage(bigTiffHeader(2 ** 40, 2 ** 30), { limitInputPixels: 1000 }),
      (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /over the 1000-pixel/.test(e.message));
  });

  it('reads the size the decoder will use, not one a crafted header shows first', async () => {
    const jpg = await encodeImage(gradient(64, 48), { format: 'jpg' });
    // TEM (FF 01) stands alone. Read as a segment, its "length" (the next marker, FF E0)
    // would jump 65 KB ahead, onto a fake 4x4 frame hidden in an APP0 segment.
    const app0 = Buffer.alloc(2 + 65533);
    app0.writeUInt16BE(0xffe0, 0);
    app0.writeUInt16BE(65533, 2);
    Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x04, 0x00, 0x04, 0x03]).copy(app0, 65508 - 4);
    const tem = Buffer.concat([jpg.subarray(0, 2), Buffer.from([0xff, 0x01]), app0, jpg.subarray(2)]);
    assert.strictEqual((await decodeImage(tem)).width, 64);
    await assert.rejects(decodeImage(tem, { limitInputPixels: 100 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /is 64x48/.test(e.message));
    // A repeated ImageWidth: libtiff takes the first (64), not the last (4).
    const tif = bigEndianTiff(64, 48, new Uint8Array(64 * 48).fill(7), 4);
    assert.strictEqual((await decodeImage(tif)).width, 64);
    await assert.rejects(decodeImage(tif, { limitInputPixels: 200 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /is 64x48/.test(e.message));
    // Stray bytes between segments are skipped, as libjpeg skips them (it also warns: failOn).
    const stray = Buffer.concat([jpg.subarray(0, 20), Buffer.from([0, 0]), jpg.subarray(20)]);
    assert.strictEqual(jpg.readUInt16BE(20) >> 8, 0xff, 'APP0 of an encoded JPEG ends at byte 20');
    assert.strictEqual((await decodeImage(stray, { failOn: 'error' })).width, 64);
    await assert.rejects(decodeImage(stray, { failOn: 'error', limitInputPixels: 100 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /is 64x48/.test(e.message));
  });

  it('decodes the hand-written big-endian TIFF and top-down BMP to their known pixels', async () => {
    const grey = [0, 40, 80, 120, 160, 200];
    const tif = await decodeImage(bigEndianTiff(3, 2, grey));
    assert.deepStrictEqual(Array.from(tif.data), grey.flatMap((v) => [v, v, v]));
    const bmp = await decodeImage(topDownBmp(2, 2, [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]));
    // Top-down: the first row stored is the top row.
    assert.deepStrictEqual(Array.from(bmp.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('refuses a gigapixel PNG header before the decoder sees it (default limit 16383 x 16383)', async () => {
    assert.strictEqual(DEFAULT_LIMIT_INPUT_PIXELS, 16383 * 16383);
    const bomb = claimedPng(40000, 40000); // a few hundred bytes claiming 1.6 gigapixels
    assert.ok(bomb.length < 1000);
    await assert.rejects(decodeImage(bomb), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /40000x40000/.test(e.message));
    // With the limit lifted the decoder does run, and fails on the missing rows instead.
    const small = claimedPng(3000, 2000, 1);
    await assert.rejects(decodeImage(small, { limitInputPixels: false }), { code: 'ERR_IMAGE_DECODE' });
    await assert.rejects(decodeImage(small, { limitInputPixels: 3000 * 2000 - 1 }), { code: 'ERR_IMAGE_TOO_LARGE' });
    // The limit sits exactly at the default.
    const edge = claimedPng(16383, 16383, 1);
    await assert.rejects(decodeImage(edge), { code: 'ERR_IMAGE_DECODE' });
    await assert.rejects(decodeImage(claimedPng(16384, 16383, 1)), { code: 'ERR_IMAGE_TOO_LARGE' });
  });

  it('applies the limit to raw pixels, references and encoded images alike', async () => {
    const raw = gradient(20, 10);
    await assert.rejects(decodeImage(raw, { limitInputPixels: 199 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /raw image/.test(e.message));
    assert.strictEqual((await decodeImage(raw, { limitInputPixels: 200 })).width, 20);
    const png = await encodeImage(raw, { format: 'png' });
    const { images } = await preprocess([{ image: raw, reference: png }, raw], { width: 32, height: 32, limitInputPixels: 199 });
    assert.strictEqual(images[0].error.code, 'ERR_IMAGE_TOO_LARGE');
    assert.strictEqual(images[1].error.code, 'ERR_IMAGE_TOO_LARGE');
    const pair = await preprocess([{ image: raw, reference: png }], { width: 32, height: 32, limitInputPixels: 200 });
    assert.strictEqual(pair.images[0].error, undefined);
  });

  it('fails only the oversized image of a Detector, Classifier, ROI or Inspector batch', async () => {
    const good = gradient(64, 48);
    const bomb = claimedPng(30000, 30000);
    const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]] }), { limitInputPixels: 64 * 48 });
    const d = await det.detect([good, bomb, gradient(65, 48)]);
    assert.deepStrictEqual(d.map((r) => r.error && r.error.code), [undefined, 'ERR_IMAGE_TOO_LARGE', 'ERR_IMAGE_TOO_LARGE']);
    assert.strictEqual(d[0].detections.length, 1);
    det.close();
    const cls = await Classifier.create(meanClassifier({ softmax: true }));
    const c = await cls.classify([bomb, good]);
    assert.strictEqual(c[0].error.code, 'ERR_IMAGE_TOO_LARGE');
    assert.strictEqual(c[1].error, undefined);
    cls.close();
    const roi = await Roi.create({ limitInputPixels: 64 * 48 - 1 });
    const [r] = await roi.capture([good]);
    assert.strictEqual(r.status, 'error');
    assert.strictEqual(r.error.code, 'ERR_IMAGE_TOO_LARGE');
    roi.close();
    const inspector = await Inspector.create({ detector: false, classifiers: false, limitInputPixels: 100 });
    const [i] = await inspector.inspect([good]);
    assert.strictEqual(i.verdict, 'error');
    assert.strictEqual(i.error.code, 'ERR_IMAGE_TOO_LARGE');
    inspector.close();
  });

  it('refuses a truncated JPEG (libjpeg would grey out the missing rows and call it decoded)', async () => {
    const jpg = await encodeImage(gradient(64, 48), { format: 'jpg' });
    for (const keep of [0.5, 0.95, (jpg.length - 1) / jpg.length]) {
      await assert.rejects(decodeImage(jpg.subarray(0, Math.floor(jpg.length * keep))),
        (e) => e.code === 'ERR_IMAGE_DECODE' && /truncated JPEG/.test(e.message), String(keep));
    }
    // Bytes after the end marker are harmless.
    assert.strictEqual((await decodeImage(Buffer.concat([jpg, Buffer.alloc(64)]))).width, 64);
    // An EXIF thumbnail carries an end marker of its own: that one does not count.
    const thumb = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from([0xff, 0xd8, 0xff, 0xd9])]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, thumb.length + 2]), thumb]);
    const withThumb = Buffer.concat([jpg.subarray(0, 2), app1, jpg.subarray(2)]);
    assert.strictEqual((await decodeImage(withThumb)).width, 64);
    await assert.rejects(decodeImage(withThumb.subarray(0, withThumb.length - 40)), /truncated JPEG/);
    // Cut in the middle of the scan and followed by a comment segment whose text holds
    // FF D9: the segment ends the scan, and its payload is no end marker.
    const cut = Buffer.concat([jpg.subarray(0, jpg.length - 40), Buffer.from([0xff, 0xfe, 0x00, 0x04, 0xff, 0xd9])]);
    await assert.rejects(decodeImage(cut), /truncated JPEG/);
  });

  it('refuses formats outside JPEG, PNG, BMP and TIFF with ERR_IMAGE_DECODE, before any decoder runs', async () => {
    const ppm = Buffer.concat([Buffer.from('P6\n2 1\n255\n', 'latin1'), Buffer.from([1, 2, 3, 4, 5, 6])]);
    const webp = Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00', 'latin1');
    for (const bytes of [ppm, webp, Buffer.from('GIF89a'), Buffer.from([0xff, 0xd8, 0xff])]) {
      await assert.rejects(decodeImage(bytes), (e) => e.code === 'ERR_IMAGE_DECODE' && /JPEG, PNG, BMP or TIFF/.test(e.message));
    }
  });

  it('refuses image and model paths that are not regular files instead of waiting on them (FIFO, /dev/zero, a folder)', async () => {
    const { execFileSync } = require('child_process');
    const fs = require('fs');
    const os = require('os');
    const path = require('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-fifo-'));
    const fifo = path.join(dir, 'camera.jpg');
    execFileSync('mkfifo', [fifo]); // no writer: reading it would block a worker thread for good
    const good = path.join(dir, 'good.png');
    fs.writeFileSync(good, await encodeImage(gradient(8, 6), { format: 'png' }));
    const { images } = await preprocess([fifo, '/dev/zero', dir, good], { width: 8, height: 8 });
    assert.deepStrictEqual(images.map((r) => r.error && r.error.code), ['ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE', undefined]);
    assert.match(images[0].error.message, /not a regular file/);
    // The same for model paths, which ONNX Runtime would otherwise open and wait on.
    await assert.rejects(Detector.create(fifo), (e) => e.code === 'ERR_MODEL_LOAD' && /not a regular file/.test(e.message));
    await assert.rejects(Classifier.create('/dev/zero'), { code: 'ERR_MODEL_LOAD' });
    fs.rmSync(dir, { recursive: true });
  });

  it('validates limitInputPixels and raw sizes', async () => {
    const img = gradient(4, 4);
    for (const bad of [-1, 1.5, 'big', NaN, Infinity]) {
      await assert.rejects(decodeImage(img, { limitInputPixels: bad }), { code: 'ERR_INVALID_ARG' }, String(bad));
    }
    assert.strictEqual((await decodeImage(img, { limitInputPixels: 0 })).width, 4);
    assert.strictEqual((await decodeImage(img, { limitInputPixels: true })).width, 4);
    // A bad raw size fails that image alone, never the batch, and never wraps around an int.
    const { images } = await preprocess([
      { ...img, width: 4.5 }, { ...img, width: 3e9 }, { ...img, channels: 2 }, { ...img, height: -4 }, img,
    ], { width: 8, height: 8 });
    assert.deepStrictEqual(images.map((r) => r.error && r.error.code),
      ['ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', undefined]);
  });

  it('CLI detect --limit-input-pixels fails the image with ERR_IMAGE_TOO_LARGE', async function () {
    const fs = require('fs');
    const os = require('os');
    const path = require('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-limit-'));
    const model = path.join(dir, 'det.onnx');
    fs.writeFileSync(model, constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]] }));
    const file = path.join(dir, 'a.png');
    fs.writeFileSync(file, await encodeImage(gradient(40, 30), { format: 'png' }));
    const refused = await run(['detect', '-m', model, file, '--json', '--limit-input-pixels', '1199']);
    assert.strictEqual(JSON.parse(refused.stdout.trim().split('\n')[0]).error.code, 'ERR_IMAGE_TOO_LARGE');
    const accepted = await run(['detect', '-m', model, file, '--json', '--limit-input-pixels', '1200']);
    assert.strictEqual(JSON.parse(accepted.stdout.trim().split('\n')[0]).error, undefined);
    const bad = await run(['detect', '-m', model, file, '--limit-input-pixels', '-5']);
    assert.notStrictEqual(bad.code, 0);
    assert.match(bad.stderr, /--limit-input-pixels/);
  });
});
