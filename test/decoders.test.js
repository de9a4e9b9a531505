'use strict';
// The decoders (native/core/jpeg_decode.cc, png_decode.cc, bmp_decode.cc,
// tiff_decode.cc): damaged data and failOn, colour spaces, bit depths,
// interlacing, palettes, bit fields, RLE, planes, tiles, orientation. Every
// file's pixels are known: written here byte by byte (test/helpers/png.js,
// bmp.js, tiff.js), or by test/fixtures/make-fixtures.py.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { Classifier, ClassifierEnsemble, Detector, Inspector, decodeImage, encodeImage } = require('../dist');
const { constantDetector, meanClassifier } = require('./helpers/onnx');
const { run } = require('./helpers/cli');
const { adam7, pngChunk, scanlines, writePng } = require('./helpers/png');
const { CORE, INFO, V4, V5, writeBmp, rows: bmpRows } = require('./helpers/bmp');
const { SHORT, LONG, writeTiff, samples16 } = require('./helpers/tiff');

const FIXTURES = path.join(__dirname, 'fixtures');

/** Pseudo-random pixels over a ramp: enough entropy-coded data to damage. */
function noisy(width, height) {
  const data = new Uint8Array(width * height * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = ((i % (width * 3)) + (s >>> 24)) & 255;
  }
  return { data, width, height, channels: 3 };
}

/** The JPEG with `length` bytes of its entropy-coded scan overwritten, `at` (0..1) of the way in. */
function damaged(jpg, at = 0.3, length = 64) {
  const sos = jpg.indexOf(Buffer.from([0xff, 0xda]));
  const start = sos + 2 + jpg.readUInt16BE(sos + 2);
  const from = start + Math.floor((jpg.length - 2 - start) * at);
  return Buffer.from(jpg).fill(0x55, from, from + length);
}

function meanAbsDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Runs a snippet in a fresh process and returns what it wrote to stderr. */
function stderrOf(script) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..') }, (err, stdout, stderr) => {
      if (err) reject(err);
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * Decodes each [bytes, failOn] in a fresh process (its stderr is ours to read) and
 * returns what each gave (width, or error code) and what the process wrote to stderr.
 */
async function decodeElsewhere(inputs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-decode-'));
  try {
    const jobs = inputs.map(([bytes, failOn = 'warning'], i) => {
      fs.writeFileSync(path.join(dir, `${i}`), bytes);
      return [path.join(dir, `${i}`), failOn];
    });
    const { stdout, stderr } = await stderrOf(`
      const { decodeImage } = require('./dist');
      Promise.allSettled(${JSON.stringify(jobs)}.map(([f, failOn]) => decodeImage(f, { failOn })))
        .then((r) => process.stdout.write(JSON.stringify(r.map((x) => (x.status === 'fulfilled' ? x.value.width : x.reason.code)))));`);
    return { outcomes: JSON.parse(stdout), stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('damaged image data (failOn)', function () {
  this.timeout(60000);
  let clean, bad;

  before(async () => {
    clean = await encodeImage(noisy(128, 96), { format: 'jpg' });
    bad = damaged(clean);
  });

  it("fails a JPEG with corrupt scan data by default, and with failOn 'error' returns what the decoder recovered", async () => {
    await assert.rejects(decodeImage(bad), (e) => e.code === 'ERR_IMAGE_DECODE'
      && /corrupt JPEG data \(Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9\)/.test(e.message) && /failOn 'error'/.test(e.message));
    await assert.rejects(decodeImage(bad, { failOn: 'warning' }), { code: 'ERR_IMAGE_DECODE' });
    const recovered = await decodeImage(bad, { failOn: 'error' });
    const original = await decodeImage(clean);
    // What was let pass is said on the result; an intact file says nothing.
    assert.match(recovered.warning, /^corrupt JPEG data \(Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9\)$/);
    assert.strictEqual(original.warning, undefined);
    assert.strictEqual((await decodeImage(clean, { failOn: 'error' })).warning, undefined);
    assert.deepStrictEqual([recovered.width, recovered.height], [128, 96]);
    // The refusal is warranted: what comes back is far from the picture that was encoded.
    assert.ok(meanAbsDiff(recovered.data, original.data) > 10, `mean difference ${meanAbsDiff(recovered.data, original.data)}`);
  });

  it('keeps stray bytes between segments out of the pixels, and fails them only by default', async () => {
    const jpg = await encodeImage(noisy(64, 48), { format: 'jpg' });
    assert.strictEqual(jpg.readUInt16BE(20) >> 8, 0xff, 'APP0 of an encoded JPEG ends at byte 20');
    const stray = Buffer.concat([jpg.subarray(0, 20), Buffer.from([0, 0]), jpg.subarray(20)]);
    await assert.rejects(decodeImage(stray), (e) => e.code === 'ERR_IMAGE_DECODE' && /2 extraneous bytes before marker/.test(e.message));
    const lenient = await decodeImage(stray, { failOn: 'error' });
    assert.deepStrictEqual(lenient.data, (await decodeImage(jpg)).data);
    assert.match(lenient.warning, /2 extraneous bytes before marker/);
  });

  it("prints nothing to stderr, whichever way failOn goes (libjpeg's own handler would)", async () => {
    assert.deepStrictEqual(await decodeElsewhere([[bad, 'warning'], [bad, 'error']]), { outcomes: ['ERR_IMAGE_DECODE', 128], stderr: '' });
  });

  it('fails only the damaged image of a Detector, Classifier or Inspector batch', async () => {
    const good = await encodeImage(noisy(64, 48), { format: 'png' });
    const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]] }));
    const d = await det.detect([bad, good]);
    assert.strictEqual(d[0].error.code, 'ERR_IMAGE_DECODE');
    assert.deepStrictEqual(d[1], (await det.detect([good]))[0]);
    const [accepted, intact] = await det.detect([bad, good], { failOn: 'error' });
    assert.strictEqual(accepted.error, undefined);
    assert.match(accepted.warning, /corrupt JPEG data/);
    assert.strictEqual(intact.warning, undefined);
    det.close();
    // A damaged reference of a reference pair is named as such.
    const pairDet = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]], metadata: { planes: 'image,reference,difference' } }));
    const same = await encodeImage(noisy(128, 96), { format: 'png' });
    const [p] = await pairDet.detect([{ image: same, reference: bad }], { failOn: 'error' });
    assert.match(p.warning, /^reference: corrupt JPEG data/);
    pairDet.close();

    const cls = await Classifier.create(meanClassifier({ softmax: true }));
    const c = await cls.classify([good, bad]);
    assert.strictEqual(c[1].error.code, 'ERR_IMAGE_DECODE');
    assert.deepStrictEqual(c[0], (await cls.classify([good]))[0]);
    const lenient = await Classifier.create(meanClassifier({ softmax: true }), { failOn: 'error' });
    const [kept] = await lenient.classify([bad]);
    assert.strictEqual(kept.error, undefined);
    assert.match(kept.warning, /corrupt JPEG data/);
    const pair = await ClassifierEnsemble.create([
      { model: meanClassifier({ softmax: true }), options: { failOn: 'error' } }, { model: meanClassifier({ softmax: true }), options: { failOn: 'error' } }]);
    assert.match((await pair.classify([bad]))[0].warning, /corrupt JPEG data/);
    pair.close();
    cls.close();
    lenient.close();

    const strict = await Inspector.create({ detector: false, classifiers: false });
    const [damagedResult, goodResult] = await strict.inspect([bad, good]);
    assert.strictEqual(damagedResult.verdict, 'error');
    assert.strictEqual(damagedResult.error.code, 'ERR_IMAGE_DECODE');
    assert.notStrictEqual(goodResult.verdict, 'error');
    strict.close();
    const relaxed = await Inspector.create({ detector: false, classifiers: false, failOn: 'error' });
    const [r, g] = await relaxed.inspect([bad, good]);
    assert.notStrictEqual(r.verdict, 'error');
    assert.match(r.warning, /corrupt JPEG data/);
    assert.strictEqual(g.warning, undefined);
    relaxed.close();
  });

  it('CLI: --fail-on error decodes the damaged image and writes its warning into the records', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-failon-'));
    try {
      fs.writeFileSync(path.join(dir, 'bad.jpg'), bad);
      const model = path.join(dir, 'det.onnx');
      fs.writeFileSync(model, constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]] }));
      const strict = JSON.parse((await run(['detect', '-m', model, path.join(dir, 'bad.jpg'), '--json'])).stdout);
      assert.strictEqual(strict.error.code, 'ERR_IMAGE_DECODE');
      const lenient = JSON.parse((await run(['detect', '-m', model, path.join(dir, 'bad.jpg'), '--json', '--fail-on', 'error'])).stdout);
      assert.strictEqual(lenient.error, undefined);
      assert.match(lenient.warning, /corrupt JPEG data/);
      const out = path.join(dir, 'out');
      const r = await run(['inspect', path.join(dir, 'bad.jpg'), '--out', out, '--no-detector', '--no-classifiers', '--fail-on', 'error', '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      const [record] = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.notStrictEqual(record.verdict, 'error');
      assert.match(record.warning, /corrupt JPEG data/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown failOn values with typed errors', async () => {
    await assert.rejects(decodeImage(clean, { failOn: 'never' }), (e) => e.code === 'ERR_INVALID_ARG' && /failOn/.test(e.message));
    await assert.rejects(Inspector.create({ detector: false, classifiers: false, failOn: 'truncated' }),
      (e) => e.code === 'ERR_CONFIG' && /failOn/.test(e.message));
    const r = await run(['detect', path.join(FIXTURES, 'gray-gradient.jpg'), '-m', 'x.onnx', '--fail-on', 'sometimes']);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /--fail-on must be warning or error.*ERR_INVALID_ARG/);
  });
});

describe('JPEG colour spaces', () => {
  it('decodes a single-channel JPEG to grey BGR with its known ramp', async () => {
    const img = await decodeImage(path.join(FIXTURES, 'gray-gradient.jpg'));
    assert.deepStrictEqual([img.width, img.height, img.channels], [64, 48, 3]);
    for (const y of [0, 23, 47]) {
      for (let x = 0; x < 64; x++) {
        const i = (y * 64 + x) * 3;
        assert.ok(img.data[i] === img.data[i + 1] && img.data[i] === img.data[i + 2], `grey at ${x},${y}`);
        assert.ok(Math.abs(img.data[i] - Math.round((x * 255) / 63)) <= 4, `ramp at ${x},${y}: ${img.data[i]}`);
      }
    }
  });

  it('decodes an Adobe CMYK JPEG to the BGR of its inks', async () => {
    const img = await decodeImage(path.join(FIXTURES, 'cmyk-blocks.jpg'));
    assert.deepStrictEqual([img.width, img.height], [32, 16]);
    const at = (x, y) => Array.from(img.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    const near = (got, want, where) => got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= 3, `${where}: ${got} vs ${want}`));
    near(at(8, 8), [0, 0, 255], 'C0 M255 Y255 K0 is red');
    // K128 lets 127 of 255 through; no cyan ink would have let red through too.
    near(at(24, 8), [127, 127, 0], 'C255 M0 Y0 K128 is dark cyan');
  });
});

describe('PNG forms and damage', () => {
  // 13 x 11 RGB: every pass of Adam7 is non-empty and some are ragged.
  const W = 13, H = 11;
  const rgbAt = (x, y) => [(x * 19) % 256, (y * 23) % 256, (x * y * 7) % 256];
  const expectBgr = (img, at) => {
    assert.deepStrictEqual([img.width, img.height], [W, H]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const [r, g, b] = at(x, y);
        const i = (y * W + x) * 3;
        assert.deepStrictEqual(Array.from(img.data.subarray(i, i + 3)), [b, g, r], `pixel ${x},${y}`);
      }
    }
  };
  const plain = () => writePng({ width: W, height: H, scanlines: scanlines(W, H, rgbAt) });

  it('decodes an Adam7-interlaced PNG to the pixels written', async () => {
    expectBgr(await decodeImage(writePng({ width: W, height: H, interlace: 1, scanlines: adam7(W, H, rgbAt) })), rgbAt);
    expectBgr(await decodeImage(plain()), rgbAt);
  });

  it('scales 16-bit samples to 8 bits as v / 257, rounded, and drops alpha', async () => {
    const v = (x, y, c) => (x * 4099 + y * 771 + c * 20011) % 65536;
    const be = (n) => [n >> 8, n & 255];
    const rgba16 = writePng({
      width: W, height: H, bitDepth: 16, colorType: 6,
      scanlines: scanlines(W, H, (x, y) => [...be(v(x, y, 0)), ...be(v(x, y, 1)), ...be(v(x, y, 2)), 0, 7]),
    });
    expectBgr(await decodeImage(rgba16), (x, y) => [0, 1, 2].map((c) => Math.round(v(x, y, c) / 257)));
  });

  it('expands palettes (transparency dropped) and 2-bit grey', async () => {
    const palette = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199]);
    const pal = writePng({
      width: W, height: H, colorType: 3,
      chunks: [pngChunk('PLTE', palette), pngChunk('tRNS', Buffer.from([0, 128]))],
      scanlines: scanlines(W, H, (x, y) => [(x + y) % 4]),
    });
    expectBgr(await decodeImage(pal), (x, y) => Array.from(palette.subarray(((x + y) % 4) * 3, ((x + y) % 4) * 3 + 3)));
    // Four 2-bit grey samples a byte, MSB first; 13 columns pad the last byte.
    const grey2 = (x, y) => (x * 3 + y) % 4;
    const rows = [];
    for (let y = 0; y < H; y++) {
      const row = [0];
      for (let x = 0; x < W; x += 4) {
        let byte = 0;
        for (let k = 0; k < 4; k++) byte |= (x + k < W ? grey2(x + k, y) : 0) << (6 - 2 * k);
        row.push(byte);
      }
      rows.push(...row);
    }
    const g = await decodeImage(writePng({ width: W, height: H, bitDepth: 2, colorType: 0, scanlines: Buffer.from(rows) }));
    expectBgr(g, (x, y) => Array(3).fill(grey2(x, y) * 85));
  });

  it('ignores a broken metadata chunk, fails damaged image data with libpng\'s reason', async () => {
    const broken = writePng({ width: W, height: H, scanlines: scanlines(W, H, rgbAt), chunks: [pngChunk('iCCP', Buffer.from('x\0\0junk'))] });
    expectBgr(await decodeImage(broken), rgbAt);
    // Two rows more than IHDR says: the image is all there, the file is not right.
    const tooMuch = writePng({ width: W, height: H, scanlines: scanlines(W, H + 2, rgbAt) });
    await assert.rejects(decodeImage(tooMuch), (e) => e.code === 'ERR_IMAGE_DECODE' && /Too much image data/.test(e.message));
    const accepted = await decodeImage(tooMuch, { failOn: 'error' });
    expectBgr(accepted, rgbAt);
    assert.match(accepted.warning, /Too much image data/);
    assert.strictEqual((await decodeImage(broken, { failOn: 'error' })).warning, undefined, 'skipped chunks are not warned about');
    // Missing rows and cut files fail either way: there is nothing to inspect in their place.
    const tooLittle = writePng({ width: W, height: H, scanlines: scanlines(W, H - 1, rgbAt) });
    const cut = plain().subarray(0, plain().length - 20);
    for (const failOn of ['warning', 'error']) {
      await assert.rejects(decodeImage(tooLittle, { failOn }), (e) => e.code === 'ERR_IMAGE_DECODE' && /Not enough image data/.test(e.message));
      await assert.rejects(decodeImage(cut, { failOn }), (e) => e.code === 'ERR_IMAGE_DECODE' && /ends early/.test(e.message));
    }
    const badFilter = Buffer.from(scanlines(W, H, rgbAt));
    badFilter[0] = 9;
    await assert.rejects(decodeImage(writePng({ width: W, height: H, scanlines: badFilter })),
      (e) => e.code === 'ERR_IMAGE_DECODE' && /bad adaptive filter value/.test(e.message));
  });

  it('prints nothing to stderr for a damaged PNG', async () => {
    const cut = plain().subarray(0, plain().length - 20);
    assert.deepStrictEqual(await decodeElsewhere([[cut]]), { outcomes: ['ERR_IMAGE_DECODE'], stderr: '' });
  });
});

describe('BMP faults found before any pixel is read', () => {
  it('fails cut-short pixel rows and unknown compressions with the reason, and nothing on stderr', async () => {
    const bmp = await encodeImage(noisy(30, 20), { format: 'bmp' });
    assert.strictEqual((await decodeImage(bmp)).width, 30);
    const cut = bmp.subarray(0, bmp.length - 7);
    await assert.rejects(decodeImage(cut), (e) => e.code === 'ERR_IMAGE_DECODE' && /pixel rows are cut short/.test(e.message));
    const png = Buffer.from(bmp);
    png.writeUInt32LE(5, 30); // BI_PNG: a PNG inside a BMP
    await assert.rejects(decodeImage(png), (e) => e.code === 'ERR_IMAGE_DECODE' && /compression/.test(e.message));
    assert.deepStrictEqual(await decodeElsewhere([[cut], [png]]), { outcomes: ['ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE'], stderr: '' });
  });
});

describe('BMP RLE data walked before the image is allocated', () => {
  /** An 8-bit grey-palette BMP, 16x4, RLE8: each row one run of `row * 10`. */
  function rle8(data) {
    const pal = Buffer.alloc(1024);
    for (let i = 0; i < 256; i++) pal.fill(i, 4 * i, 4 * i + 3);
    const head = Buffer.alloc(54);
    head.write('BM', 0);
    head.writeUInt32LE(54 + 1024 + data.length, 2);
    head.writeUInt32LE(54 + 1024, 10);
    head.writeUInt32LE(40, 14);
    head.writeInt32LE(16, 18);
    head.writeInt32LE(4, 22);
    head.writeUInt16LE(1, 26);
    head.writeUInt16LE(8, 28);
    head.writeUInt32LE(1, 30); // BI_RLE8
    head.writeUInt32LE(data.length, 34);
    head.writeUInt32LE(256, 46);
    return Buffer.concat([head, pal, data]);
  }
  const rows = Buffer.concat([0, 1, 2, 3].map((y) => Buffer.from([16, y * 10, 0, 0])));

  it('decodes whole streams (with or without the end-of-bitmap code) and fails cut ones with the reason, nothing on stderr', async () => {
    for (const data of [Buffer.concat([rows, Buffer.from([0, 1])]), rows]) {
      const img = await decodeImage(rle8(data));
      // Bottom-up rows: the first stored row (value 0) is the image's last.
      assert.deepStrictEqual([img.width, img.height, img.data[0], img.data[img.data.length - 1]], [16, 4, 30, 0]);
    }
    const cut = rle8(rows.subarray(0, 5));
    await assert.rejects(decodeImage(cut), (e) => e.code === 'ERR_IMAGE_DECODE' && /RLE data is cut short/.test(e.message));
    const literal = Buffer.concat([Buffer.from([0, 16]), Buffer.alloc(16, 7)]);
    const cutLiteral = rle8(Buffer.concat([literal, Buffer.from([0, 0]), literal.subarray(0, 9)]));
    await assert.rejects(decodeImage(cutLiteral), (e) => e.code === 'ERR_IMAGE_DECODE' && /RLE data is cut short/.test(e.message));
    assert.deepStrictEqual(await decodeElsewhere([[cut], [cutLiteral]]), { outcomes: ['ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE'], stderr: '' });
  });
});

describe('TIFF damage as libtiff reports it', () => {
  it("fails damaged strip data with libtiff's reason by default, keeps it as a warning with failOn 'error', nothing on stderr", async () => {
    const tiff = await encodeImage(noisy(64, 64), { format: 'tiff' });
    const intact = await decodeImage(tiff);
    assert.deepStrictEqual([intact.width, intact.height, intact.warning], [64, 64, undefined]);
    assert.deepStrictEqual(intact.data, Buffer.from(noisy(64, 64).data), 'lossless: the pixels written');
    // OpenCV writes the directory last: bytes 200-400 are LZW-coded pixels.
    assert.ok(tiff.readUInt32LE(4) > 400, 'directory after the damaged bytes');
    const bad = Buffer.from(tiff).fill(0xff, 200, 400);
    await assert.rejects(decodeImage(bad), (e) => e.code === 'ERR_IMAGE_DECODE' && /could not be decoded: TIFF: Using code not yet in table/.test(e.message));
    const lenient = await decodeImage(bad, { failOn: 'error' });
    assert.strictEqual(lenient.width, 64);
    assert.match(lenient.warning, /^damaged TIFF data \(TIFF: Using code not yet in table\)$/);
    // Strip offsets pointing past the end: nothing to recover, whatever failOn says.
    const cut = Buffer.from(tiff);
    const dir = cut.readUInt32LE(4);
    for (let i = 0, n = cut.readUInt16LE(dir); i < n; i++) {
      const e = dir + 2 + 12 * i;
      if (cut.readUInt16LE(e) === 273) cut.writeUInt32LE(10 * tiff.length, e + 8); // StripOffsets
    }
    for (const failOn of ['warning', 'error']) {
      await assert.rejects(decodeImage(cut, { failOn }), (e) => e.code === 'ERR_IMAGE_DECODE' && /could not be decoded: .*StripOffsets/.test(e.message));
    }
    assert.deepStrictEqual(await decodeElsewhere([[bad, 'warning'], [bad, 'error'], [cut, 'error']]),
      { outcomes: ['ERR_IMAGE_DECODE', 64, 'ERR_IMAGE_DECODE'], stderr: '' });
  });
});

/** The BGR pixel at (x, y) of a decoded image. */
const pixel = (img, x, y) => Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));

/** Asserts every pixel of a decoded image against want(x, y) -> [b, g, r]. */
function expectPixels(img, width, height, want, what) {
  assert.deepStrictEqual([img.width, img.height, img.channels], [width, height, 3], what);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) assert.deepStrictEqual(pixel(img, x, y), want(x, y), `${what}: pixel ${x},${y}`);
  }
}

describe('BMP forms (our own decoder)', () => {
  const W = 13, H = 5;
  const palette = (n) => Array.from({ length: n }, (_, i) => [(i * 37) & 255, (i * 91 + 7) & 255, (255 - i * 13) & 255]);

  it('1, 4 and 8-bit palettes, bottom-up and top-down, behind info, V4 and V5 headers', async () => {
    for (const bpp of [1, 4, 8]) {
      const pal = palette(1 << bpp);
      const index = (x, y) => (x * 3 + y * 5) % (1 << bpp);
      for (const header of [INFO, V4, V5]) {
        for (const topDown of [false, true]) {
          const file = writeBmp({ width: W, height: H, bpp, header, topDown, palette: pal, data: bmpRows(W, H, bpp, index, topDown) });
          expectPixels(await decodeImage(file), W, H, (x, y) => pal[index(x, y)], `${bpp}-bit, header ${header}${topDown ? ', top-down' : ''}`);
        }
      }
    }
    // A palette shorter than the bit depth allows (biClrUsed): an index past it is damage that failOn decides,
    // as a PNG's is; with failOn 'error' such pixels are black.
    const short = palette(3);
    const file = writeBmp({ width: W, height: H, bpp: 4, palette: short, colorsUsed: 3, data: bmpRows(W, H, 4, (x) => x) });
    const reason = `palette index ${W - 1} past the BMP's 3-entry palette (such pixels decoded as black)`;
    await assert.rejects(decodeImage(file), (e) => e.code === 'ERR_IMAGE_DECODE' && e.message.endsWith(`could not be decoded: ${reason}; failOn 'error' (--fail-on error) accepts it`));
    const lenient = await decodeImage(file, { failOn: 'error' });
    expectPixels(lenient, W, H, (x) => (x < 3 ? short[x] : [0, 0, 0]), 'short palette');
    assert.strictEqual(lenient.warning, reason);
    const within = writeBmp({ width: W, height: H, bpp: 4, palette: short, colorsUsed: 3, data: bmpRows(W, H, 4, (x) => x % 3) });
    assert.strictEqual((await decodeImage(within)).warning, undefined);
    // RLE too: index 9 of a 3-entry palette.
    const rle = writeBmp({ width: 4, height: 1, bpp: 8, compression: 1, palette: short, colorsUsed: 3, data: Buffer.from([4, 9, 0, 1]) });
    await assert.rejects(decodeImage(rle), (e) => /palette index 9 past the BMP's 3-entry palette/.test(e.message));
  });

  it('OS/2 core headers: 3-byte palette entries, 16-bit sides, in colour', async () => {
    for (const bpp of [1, 4, 8]) {
      const pal = palette(1 << bpp);
      const index = (x, y) => (x + 2 * y) % (1 << bpp);
      const file = writeBmp({ width: W, height: H, bpp, header: CORE, palette: pal, data: bmpRows(W, H, bpp, index) });
      expectPixels(await decodeImage(file), W, H, (x, y) => pal[index(x, y)], `core ${bpp}-bit`);
    }
    const bgr = (x, y) => [x * 19, y * 50, 255 - x * 7];
    const file = writeBmp({ width: W, height: H, bpp: 24, header: CORE, data: bmpRows(W, H, 24, bgr) });
    expectPixels(await decodeImage(file), W, H, bgr, 'core 24-bit');
  });

  it('16, 24 and 32-bit pixels, with and without bit fields', async () => {
    const r5 = (x, y) => (x * 3 + y) & 31, g6 = (x, y) => (x * 5 + y * 7) & 63, b5 = (x, y) => (x + y * 11) & 31;
    // 5-5-5 without bit fields; channels are shifted up to 8 bits (31 -> 248).
    const rgb555 = writeBmp({ width: W, height: H, bpp: 16, data: bmpRows(W, H, 16, (x, y) => (r5(x, y) << 10) | ((g6(x, y) & 31) << 5) | b5(x, y)) });
    expectPixels(await decodeImage(rgb555), W, H, (x, y) => [b5(x, y) << 3, (g6(x, y) & 31) << 3, r5(x, y) << 3], '5-5-5');
    // 5-6-5 bit fields, after an info header and inside a V4 one, top-down too.
    const px565 = (x, y) => (r5(x, y) << 11) | (g6(x, y) << 5) | b5(x, y);
    const want565 = (x, y) => [b5(x, y) << 3, g6(x, y) << 2, r5(x, y) << 3];
    for (const [header, topDown] of [[INFO, false], [V4, false], [V4, true]]) {
      const file = writeBmp({ width: W, height: H, bpp: 16, header, compression: 3, topDown, masks: [0xf800, 0x07e0, 0x001f], data: bmpRows(W, H, 16, px565, topDown) });
      expectPixels(await decodeImage(file), W, H, want565, `5-6-5, header ${header}`);
    }
    const bgr = (x, y) => [(x * 29) & 255, (y * 61) & 255, (x * y * 5) & 255];
    expectPixels(await decodeImage(writeBmp({ width: W, height: H, bpp: 24, data: bmpRows(W, H, 24, bgr) })), W, H, bgr, '24-bit');
    // 32-bit without bit fields is B, G, R and a byte that is dropped.
    const bgrx = (x, y) => { const [b, g, r] = bgr(x, y); return b | (g << 8) | (r << 16) | (((x + y) * 40) & 255) << 24; };
    expectPixels(await decodeImage(writeBmp({ width: W, height: H, bpp: 32, data: bmpRows(W, H, 32, bgrx) })), W, H, bgr, '32-bit');
    // Bit fields in another order (R, G, B, A from the top) and 10-bit channels keep their top 8 bits.
    const rgba = (x, y) => { const [b, g, r] = bgr(x, y); return (r << 24) | (g << 16) | (b << 8) | 0x7f; };
    const v5 = writeBmp({ width: W, height: H, bpp: 32, header: V5, compression: 3, masks: [0xff000000, 0x00ff0000, 0x0000ff00], data: bmpRows(W, H, 32, rgba) });
    expectPixels(await decodeImage(v5), W, H, bgr, '32-bit R-G-B-A bit fields');
    const ten = (x, y) => [(x * 70) & 1023, (y * 200 + 3) & 1023, (x * y * 9) & 1023]; // b, g, r
    const px1010 = (x, y) => { const [b, g, r] = ten(x, y); return (r << 20) | (g << 10) | b; };
    const file = writeBmp({ width: W, height: H, bpp: 32, compression: 3, masks: [0x3ff00000, 0x000ffc00, 0x000003ff], data: bmpRows(W, H, 32, px1010) });
    expectPixels(await decodeImage(file), W, H, (x, y) => ten(x, y).map((v) => v >> 2), '10-10-10 bit fields');
  });

  // Palette entry 0 is distinctive: pixels the stream skips (early end of line, delta, end of bitmap) take it.
  const rlePalette = Array.from({ length: 256 }, (_, i) => (i === 0 ? [1, 2, 3] : [i, 255 - i, (i * 7) & 255]));
  const P0 = rlePalette[0];

  it('RLE8: runs, literals, an early end of line, a delta and an early end of bitmap', async () => {
    const data = Buffer.from([
      3, 10, 0, 3, 20, 21, 22, 0, 2, 11, 0, 0, // stored row 0 (the bottom one): run, odd literal (padded), run, end of line
      2, 12, 0, 0, //                             stored row 1: a run, then the line ends early
      0, 2, 3, 1, //                              delta: 3 right, 1 up (stored row 2 is skipped)
      2, 13, 0, 1, //                             a run at x = 3 of stored row 3, then the end of the bitmap
    ]);
    const file = writeBmp({ width: 8, height: 4, bpp: 8, compression: 1, palette: rlePalette, data });
    const want = [
      [P0, P0, P0, 13, 13, P0, P0, P0],
      [P0, P0, P0, P0, P0, P0, P0, P0],
      [12, 12, P0, P0, P0, P0, P0, P0],
      [10, 10, 10, 20, 21, 22, 11, 11],
    ];
    expectPixels(await decodeImage(file), 8, 4, (x, y) => (Array.isArray(want[y][x]) ? want[y][x] : rlePalette[want[y][x]]), 'RLE8');
  });

  it('RLE4: alternating runs, an odd literal, a delta that moves up a row; the same as the stream without the delta', async () => {
    const head = [4, 0x12, 0, 3, 0x34, 0x50, 0, 0]; // stored row 0: 1 2 1 2, literal 3 4 5, end of line
    const withDelta = Buffer.from([...head, 0, 2, 2, 1, 3, 0x67, 0, 0]); // delta 2 right, 1 up; 6 7 6; end of line
    const spelledOut = Buffer.from([...head, 0, 0, 2, 0x00, 3, 0x67, 0, 0]); // an empty row, two index-0 pixels, 6 7 6
    const want = [[0, 0, 6, 7, 6, 0, 0], [0, 0, 0, 0, 0, 0, 0], [1, 2, 1, 2, 3, 4, 5]];
    const pal16 = rlePalette.slice(0, 16);
    for (const data of [withDelta, spelledOut]) {
      const img = await decodeImage(writeBmp({ width: 7, height: 3, bpp: 4, compression: 2, palette: pal16, data }));
      expectPixels(img, 7, 3, (x, y) => pal16[want[y][x]], 'RLE4');
    }
  });

  it('fails what it cannot read with the reason, before reading past the buffer, and nothing on stderr', async () => {
    const pal = palette(256);
    const good = { width: 4, height: 2, bpp: 8, palette: pal, data: bmpRows(4, 2, 8, (x) => x) };
    // RLE codes past a row's end fail by default; failOn 'error' cuts them at the row's end and warns.
    const runs = writeBmp({ ...good, compression: 1, data: Buffer.from([5, 1, 0, 0, 4, 1, 0, 1]) });
    const moves = writeBmp({ ...good, compression: 1, data: Buffer.from([0, 2, 5, 0, 0, 1]) });
    for (const [file, reason, index] of [[runs, 'runs', 1], [moves, 'moves', 0]]) {
      await assert.rejects(decodeImage(file), (e) => e.code === 'ERR_IMAGE_DECODE' && e.message.includes(`RLE data ${reason} past the end of a row`));
      const cut = await decodeImage(file, { failOn: 'error' });
      expectPixels(cut, 4, 2, () => pal[index], `${reason} past, cut`);
      assert.strictEqual(cut.warning, `the BMP's RLE data ${reason} past the end of a row (cut at the row's end)`);
    }
    const cases = [
      [writeBmp({ ...good, bpp: 4, compression: 1, palette: pal.slice(0, 16), data: Buffer.from([0, 1]) }), /compression does not fit its bit depth/],
      [writeBmp({ ...good, compression: 3, masks: [0xff0000, 0xff00, 0xff] }), /compression does not fit its bit depth/],
      [writeBmp({ ...good, bpp: 2, palette: pal.slice(0, 4), data: bmpRows(4, 2, 2, (x) => x) }), /unsupported bit depth/],
      [writeBmp({ ...good, colorsUsed: 300 }), /palette claims more than 256 colours/],
      [writeBmp({ ...good, width: 4, bpp: 16, compression: 3, masks: [0xf0f0, 0x0f00, 0x000f], palette: [], data: bmpRows(4, 2, 16, () => 0) }), /bit-field masks are not runs of bits/],
      [writeBmp({ ...good }).subarray(0, 54 + 500), /palette is cut short/],
    ];
    const oddHeader = writeBmp({ ...good });
    oddHeader.writeUInt32LE(20, 14); // an OS/2 2.x short header: neither core nor info
    cases.push([oddHeader, /header is of no known kind/]);
    for (const [file, reason] of cases) {
      await assert.rejects(decodeImage(file), (e) => e.code === 'ERR_IMAGE_DECODE' && reason.test(e.message), String(reason));
      await assert.rejects(decodeImage(file, { failOn: 'error' }), { code: 'ERR_IMAGE_DECODE' }, String(reason));
    }
    const elsewhere = await decodeElsewhere(cases.map(([file]) => [file]));
    assert.deepStrictEqual(elsewhere, { outcomes: cases.map(() => 'ERR_IMAGE_DECODE'), stderr: '' });
  });
});

describe('TIFF forms (decoded in one pass through libtiff)', () => {
  const W = 5, H = 4; // two strips of two rows
  const strips = (rowBytes, row) => [0, 2].map((y0) => Buffer.concat([row(y0), row(y0 + 1)].map((r) => Buffer.from(r).subarray(0, rowBytes))));
  const grey = (x, y) => (x * 50 + y * 13) & 255;
  const base = (bps, spp, photometric, extra = []) => [[258, SHORT, Array(spp).fill(bps)], [259, SHORT, 1], [262, SHORT, photometric],
    [277, SHORT, spp], [278, LONG, 2], ...extra];
  /** One row of `bits`-bit samples packed from the high bits, each row starting on a byte. */
  const packed = (bits, y, at) => {
    const row = Buffer.alloc(Math.ceil((W * bits) / 8));
    for (let x = 0; x < W; x++) row[(x * bits) >> 3] |= at(x, y) << (8 - bits - ((x * bits) & 7));
    return row;
  };

  it('8-bit and lower grey, MinIsWhite, palettes, RGB contiguous and planar, with and without alpha', async () => {
    const g8 = writeTiff({ width: W, height: H, tags: base(8, 1, 1), blocks: strips(W, (y) => Array.from({ length: W }, (_, x) => grey(x, y))) });
    expectPixels(await decodeImage(g8), W, H, (x, y) => Array(3).fill(grey(x, y)), '8-bit grey');
    const white = writeTiff({ width: W, height: H, tags: base(8, 1, 0), blocks: strips(W, (y) => Array.from({ length: W }, (_, x) => grey(x, y))) });
    expectPixels(await decodeImage(white), W, H, (x, y) => Array(3).fill(255 - grey(x, y)), 'MinIsWhite');
    // 1, 2 and 4-bit grey stretch to 0-255: v * 255, v * 85, v * 17.
    for (const [bits, scale] of [[1, 255], [2, 85], [4, 17]]) {
      const at = (x, y) => (x + y) % (1 << bits);
      const file = writeTiff({ width: W, height: H, tags: base(bits, 1, 1), blocks: strips(Math.ceil((W * bits) / 8), (y) => packed(bits, y, at)) });
      expectPixels(await decodeImage(file), W, H, (x, y) => Array(3).fill(at(x, y) * scale), `${bits}-bit grey`);
    }
    // Palettes: the colour map holds 16-bit R, G, B curves (here c * 257, read back as c).
    for (const bits of [4, 8]) {
      const n = 1 << bits;
      const colour = (i) => [(i * 41) & 255, (i * 73 + 5) & 255, (200 - i * 3) & 255]; // b, g, r
      const map = [2, 1, 0].flatMap((c) => Array.from({ length: n }, (_, i) => colour(i)[c] * 257));
      const at = (x, y) => (x * 3 + y) % n;
      const file = writeTiff({ width: W, height: H, tags: base(bits, 1, 3, [[320, SHORT, map]]), blocks: strips(Math.ceil((W * bits) / 8), (y) => packed(bits, y, at)) });
      expectPixels(await decodeImage(file), W, H, (x, y) => colour(at(x, y)), `${bits}-bit palette`);
    }
    const rgb = (x, y) => [(x * 60) & 255, (y * 70) & 255, (x * y * 11 + 9) & 255]; // r, g, b
    const contig = writeTiff({ width: W, height: H, tags: base(8, 3, 2), blocks: strips(3 * W, (y) => Array.from({ length: W }, (_, x) => rgb(x, y)).flat()) });
    expectPixels(await decodeImage(contig), W, H, (x, y) => rgb(x, y).reverse(), 'RGB');
    const plane = (c) => strips(W, (y) => Array.from({ length: W }, (_, x) => rgb(x, y)[c]));
    const planar = writeTiff({ width: W, height: H, tags: base(8, 3, 2, [[284, SHORT, 2]]), blocks: [0, 1, 2].flatMap(plane) });
    expectPixels(await decodeImage(planar), W, H, (x, y) => rgb(x, y).reverse(), 'planar RGB');
    // Alpha is dropped; libtiff's reader premultiplies colour by unassociated alpha, as OpenCV's did.
    const alpha = (x, y) => (x * 64 + y * 20) & 255;
    const rgbaRow = (y) => Array.from({ length: W }, (_, x) => [...rgb(x, y), alpha(x, y)]).flat();
    const assoc = writeTiff({ width: W, height: H, tags: base(8, 4, 2, [[338, SHORT, 1]]), blocks: strips(4 * W, rgbaRow) });
    expectPixels(await decodeImage(assoc), W, H, (x, y) => rgb(x, y).reverse(), 'associated alpha');
    const unassoc = writeTiff({ width: W, height: H, tags: base(8, 4, 2, [[338, SHORT, 2]]), blocks: strips(4 * W, rgbaRow) });
    expectPixels(await decodeImage(unassoc), W, H, (x, y) => rgb(x, y).reverse().map((v) => Math.floor((v * alpha(x, y) + 127) / 255)), 'unassociated alpha');
  });

  // Sample values around the rounding edges of v / 257: 257k + 128 -> k, 257k + 129 -> k + 1.
  const v16 = (x, y, c = 0) => [0, 65535, 257 * 7 + 128, 257 * 7 + 129, 257 * 200, 1000 * x + 333 * y + 4000 * c][(x + y + c) % 6];
  const to8 = (v) => Math.round(v / 257);

  it('16-bit grey, MinIsWhite and RGB(A) scaled to 8 bits as v / 257, rounded: strips, planes, tiles, either byte order', async () => {
    for (const bigEndian of [false, true]) {
      const row = (y) => samples16(Array.from({ length: W }, (_, x) => v16(x, y)), bigEndian);
      const g = writeTiff({ width: W, height: H, bigEndian, tags: base(16, 1, 1), blocks: strips(2 * W, row) });
      expectPixels(await decodeImage(g), W, H, (x, y) => Array(3).fill(to8(v16(x, y))), `16-bit grey${bigEndian ? ' (MM)' : ''}`);
      const w = writeTiff({ width: W, height: H, bigEndian, tags: base(16, 1, 0), blocks: strips(2 * W, row) });
      expectPixels(await decodeImage(w), W, H, (x, y) => Array(3).fill(255 - to8(v16(x, y))), `16-bit MinIsWhite${bigEndian ? ' (MM)' : ''}`);
      const plane = (c) => strips(2 * W, (y) => samples16(Array.from({ length: W }, (_, x) => v16(x, y, c)), bigEndian));
      const planar = writeTiff({ width: W, height: H, bigEndian, tags: base(16, 3, 2, [[284, SHORT, 2]]), blocks: [0, 1, 2].flatMap(plane) });
      expectPixels(await decodeImage(planar), W, H, (x, y) => [2, 1, 0].map((c) => to8(v16(x, y, c))), `16-bit planar RGB${bigEndian ? ' (MM)' : ''}`);
    }
    // Unassociated alpha is dropped, not multiplied in.
    const rgba = writeTiff({ width: W, height: H, tags: base(16, 4, 2, [[338, SHORT, 2]]),
      blocks: strips(8 * W, (y) => samples16(Array.from({ length: W }, (_, x) => [0, 1, 2].map((c) => v16(x, y, c)).concat(1000)).flat())) });
    expectPixels(await decodeImage(rgba), W, H, (x, y) => [2, 1, 0].map((c) => to8(v16(x, y, c))), '16-bit RGBA');
    // 20 x 18 in 16 x 16 tiles: the right and bottom tiles hang over the image.
    const TW = 20, TH = 18, at = (x, y) => (x * 3001 + y * 977) % 65536;
    const tiles = [];
    for (const ty of [0, 16]) {
      for (const tx of [0, 16]) {
        tiles.push(samples16(Array.from({ length: 256 }, (_, i) => at(tx + (i % 16), ty + Math.floor(i / 16)))));
      }
    }
    const tiled = writeTiff({ width: TW, height: TH, tile: [16, 16], tags: [[258, SHORT, 16], [259, SHORT, 1], [262, SHORT, 1], [277, SHORT, 1]], blocks: tiles });
    expectPixels(await decodeImage(tiled), TW, TH, (x, y) => Array(3).fill(to8(at(x, y))), '16-bit tiles');
  });

  it('Orientation: 16-bit samples (read here) turn the way 8-bit ones (read by libtiff) do', async () => {
    const rgb = (x, y) => [(x * 50 + 1) & 255, (y * 60 + 2) & 255, (x * y * 13) & 255];
    const flips = { 1: (x, y) => [x, y], 2: (x, y) => [W - 1 - x, y], 3: (x, y) => [W - 1 - x, H - 1 - y], 4: (x, y) => [x, H - 1 - y] };
    for (let o = 1; o <= 8; o++) {
      const tags = (bps) => base(bps, 3, 2, [[274, SHORT, o]]);
      const eight = writeTiff({ width: W, height: H, tags: tags(8), blocks: strips(3 * W, (y) => Array.from({ length: W }, (_, x) => rgb(x, y)).flat()) });
      const sixteen = writeTiff({ width: W, height: H, tags: tags(16), blocks: strips(6 * W, (y) => samples16(Array.from({ length: W }, (_, x) => rgb(x, y).map((v) => v * 257)).flat())) });
      const [a, b] = [await decodeImage(eight), await decodeImage(sixteen)];
      assert.deepStrictEqual(b, a, `orientation ${o}`);
      if (flips[o]) expectPixels(a, W, H, (x, y) => rgb(...flips[o](x, y)).reverse(), `orientation ${o}`);
    }
  });

  it("fails what libtiff cannot read with its reason; damaged 16-bit data follows failOn; nothing on stderr", async () => {
    const float = writeTiff({ width: W, height: H, tags: [...base(32, 1, 1), [339, SHORT, 2]], blocks: strips(4 * W, () => Buffer.alloc(4 * W)) });
    await assert.rejects(decodeImage(float), (e) => e.code === 'ERR_IMAGE_DECODE' && /32-bit signed-integer grey TIFF is not supported$/.test(e.message));
    // The second strip's byte count is one row short.
    const row = (y) => samples16(Array.from({ length: W }, (_, x) => v16(x, y)));
    const [first, second] = strips(2 * W, row);
    const short = writeTiff({ width: W, height: H, tags: base(16, 1, 1), blocks: [first, second.subarray(0, 2 * W)] });
    await assert.rejects(decodeImage(short), (e) => e.code === 'ERR_IMAGE_DECODE' && /could not be decoded: DumpModeDecode: Not enough data for scanline 2/.test(e.message));
    const lenient = await decodeImage(short, { failOn: 'error' });
    assert.match(lenient.warning, /^damaged TIFF data \(DumpModeDecode: Not enough data for scanline 2, .*\)$/);
    assert.deepStrictEqual([lenient.width, lenient.height], [W, H]);
    for (let y = 0; y < 2; y++) { // the first strip is whole
      for (let x = 0; x < W; x++) assert.deepStrictEqual(pixel(lenient, x, y), Array(3).fill(to8(v16(x, y))), `pixel ${x},${y}`);
    }
    assert.deepStrictEqual(await decodeElsewhere([[float], [short], [short, 'error']]), { outcomes: ['ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE', W], stderr: '' });
  });
});

describe('kinds the public test suites found decoded wrongly or refused (bench/corpus-check.js)', () => {
  const W = 5, H = 4;
  const oneStrip = (bytes) => [Buffer.from(bytes)];
  const rows = (at, n = 1) => Array.from({ length: H }, (_, y) => Array.from({ length: W }, (_, x) => at(x, y)).flat()).flat().slice(0, W * H * n);
  const greyOf = (img) => Array.from({ length: img.width * img.height }, (_, i) => img.data[3 * i]);

  it('32 and 64-bit floating-point grey and RGB TIFFs: 0..1 scaled to 0..255, rounded, clamped, NaN as 0', async () => {
    const values = [0, 1, 0.5, 0.25, 1 / 255, 0.499 / 255, 2, -1, NaN, 0.75];
    const at = (x, y) => values[(x + 3 * y) % values.length];
    const to8 = (v) => (!(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255));
    for (const bps of [32, 64]) {
      const b = Buffer.alloc((bps / 8) * W * H);
      rows(at).forEach((v, i) => (bps === 32 ? b.writeFloatLE(v, 4 * i) : b.writeDoubleLE(v, 8 * i)));
      // No PhotometricInterpretation and no SamplesPerPixel, as in one corpus file (10ct_32bit_128.tiff): grey.
      const file = writeTiff({ width: W, height: H, tags: [[258, SHORT, bps], [259, SHORT, 1], [339, SHORT, 3]], blocks: [b] });
      const img = await decodeImage(file);
      assert.deepStrictEqual(greyOf(img), rows(at).map(to8), `${bps}-bit float grey`);
      assert.strictEqual(img.warning, undefined);
    }
    const rgb = (x, y) => [x / 4, y / 3, (x * y) / 12];
    const b = Buffer.alloc(12 * W * H);
    rows(rgb, 3).forEach((v, i) => b.writeFloatLE(v, 4 * i));
    const file = writeTiff({ width: W, height: H, tags: [[258, SHORT, [32, 32, 32]], [259, SHORT, 1], [262, SHORT, 2], [277, SHORT, 3], [339, SHORT, [3, 3, 3]]], blocks: [b] });
    const img = await decodeImage(file);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = 3 * (y * W + x);
        assert.deepStrictEqual(Array.from(img.data.subarray(i, i + 3)), rgb(x, y).map((v) => Math.round(Math.fround(v) * 255)).reverse(), `pixel ${x},${y}`);
      }
    }
    // 32-bit unsigned integers span their whole range: round(v / 16843009).
    const u = [0, 0xffffffff, 16843009 * 100 + 8421504, 16843009 * 100 + 8421505];
    const u32 = Buffer.alloc(4 * W * H);
    rows((x, y) => u[(x + y) % 4]).forEach((v, i) => u32.writeUInt32LE(v, 4 * i));
    const ufile = writeTiff({ width: W, height: H, tags: [[258, SHORT, 32], [259, SHORT, 1], [262, SHORT, 1]], blocks: [u32] });
    assert.deepStrictEqual(greyOf(await decodeImage(ufile)), rows((x, y) => [0, 255, 100, 101][(x + y) % 4]));
  });

  it('refuses what it cannot decode rightly with the kind it is, never as corrupt: signed samples, 16-bit float, 16-bit planar CMYK', async () => {
    const cases = [
      [[[258, SHORT, 16], [259, SHORT, 1], [262, SHORT, 1], [339, SHORT, 2]], 2, '16-bit signed-integer grey TIFF is not supported'],
      [[[258, SHORT, 8], [259, SHORT, 1], [262, SHORT, 1], [339, SHORT, 2]], 1, '8-bit signed-integer grey TIFF is not supported'],
      [[[258, SHORT, 16], [259, SHORT, 1], [262, SHORT, 1], [339, SHORT, 3]], 2, '16-bit floating-point grey TIFF is not supported'],
      [[[258, SHORT, [16, 16, 16, 16]], [259, SHORT, 1], [262, SHORT, 5], [277, SHORT, 4], [284, SHORT, 2]], 8, '16-bit CMYK TIFF is not supported'],
    ];
    for (const [tags, bytes, reason] of cases) {
      const file = writeTiff({ width: W, height: H, tags, blocks: oneStrip(Buffer.alloc(bytes * W * H)) });
      for (const failOn of ['warning', 'error']) {
        await assert.rejects(decodeImage(file, { failOn }), (e) => e.code === 'ERR_IMAGE_DECODE' && e.message.endsWith(`could not be decoded: ${reason}`), reason);
      }
    }
    // 8-bit CMYK is decoded (libtiff's reader): 0 ink is white, full black ink is black.
    const cmyk = writeTiff({ width: 2, height: 1, tags: [[258, SHORT, [8, 8, 8, 8]], [259, SHORT, 1], [262, SHORT, 5], [277, SHORT, 4]], blocks: oneStrip([0, 0, 0, 0, 0, 0, 0, 255]) });
    assert.deepStrictEqual(Array.from((await decodeImage(cmyk)).data), [255, 255, 255, 0, 0, 0]);
  });

  it('16-bit contiguous CMYK TIFFs as libtiff makes 8-bit ones: (255 - ink) x (255 - black) / 255', async () => {
    const ink = (x, y, c) => [0, 65535, 257 * 100, 30000, 12345][(x + 2 * y + c) % 5];
    const b = samples16(rows((x, y) => [0, 1, 2, 3].map((c) => ink(x, y, c)), 4));
    const file = writeTiff({ width: W, height: H, tags: [[258, SHORT, [16, 16, 16, 16]], [259, SHORT, 1], [262, SHORT, 5], [277, SHORT, 4]], blocks: [b] });
    const to8 = (v) => Math.round(v / 257);
    const colour = (x, y, c) => Math.floor(((255 - to8(ink(x, y, c))) * (255 - to8(ink(x, y, 3)))) / 255);
    expectPixels(await decodeImage(file), W, H, (x, y) => [2, 1, 0].map((c) => colour(x, y, c)), '16-bit CMYK');
  });

  it('a TIFF of more samples a pixel than the pixel limit allows is ERR_IMAGE_TOO_LARGE from the header, at every entry point', async () => {
    // 4000 x 900 (3.6 MP) with 1000 samples a pixel counts as 4000 x 900 x 250 four-sample pixels; the strip is a few bytes.
    const file = writeTiff({ width: 4000, height: 900, tags: [[258, SHORT, 8], [259, SHORT, 1], [262, SHORT, 1], [277, SHORT, 1000], [278, LONG, 40]], blocks: oneStrip([0, 0, 0, 0]) });
    const tooLarge = (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /is 4000x900 with 1000 samples a pixel, as many as 4000x900x250 four-sample pixels: over the 268402689-pixel input limit/.test(e.message);
    await assert.rejects(decodeImage(file), tooLarge);
    await assert.rejects(decodeImage(file, { limitInputPixels: 4000 * 900 * 249 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE');
    // Within the limit it reaches libtiff, which reads the directory and fails on the missing data.
    await assert.rejects(decodeImage(file, { limitInputPixels: 4000 * 900 * 250 }), (e) => e.code === 'ERR_IMAGE_DECODE');
    const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]] }));
    const good = await encodeImage({ data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, channels: 3 }, { format: 'png' });
    const [d, ok] = await det.detect([file, good]);
    assert.ok(tooLarge(d.error), d.error && d.error.message);
    assert.strictEqual(ok.error, undefined);
    det.close();
    const insp = await Inspector.create({ detector: false, classifiers: false });
    const [r] = await insp.inspect([file]);
    assert.ok(tooLarge(r.error), r.error && r.error.message);
    insp.close();
  });

  it("a PNG palette index past the palette follows failOn: refused by default, black and a warning with failOn 'error'", async () => {
    const palette = Buffer.from([10, 20, 30, 40, 50, 60, 70, 80, 90]); // three RGB entries
    const at = (x, y) => (x + y) % 5; // 3 and 4 are past the palette
    const make = (bitDepth) => {
      const perByte = 8 / bitDepth;
      const lines = [];
      for (let y = 0; y < H; y++) {
        lines.push(0);
        for (let x = 0; x < W; x += perByte) {
          let byte = 0;
          for (let k = 0; k < perByte; k++) byte |= (x + k < W ? at(x + k, y) : 0) << (8 - bitDepth * (k + 1));
          lines.push(byte);
        }
      }
      return writePng({ width: W, height: H, colorType: 3, bitDepth, chunks: [pngChunk('PLTE', palette)], scanlines: Buffer.from(lines) });
    };
    for (const bitDepth of [4, 8]) {
      const file = make(bitDepth);
      await assert.rejects(decodeImage(file), (e) => e.code === 'ERR_IMAGE_DECODE'
        && /could not be decoded: palette index 4 past the 3-entry palette \(such pixels decoded as black\); failOn 'error'/.test(e.message));
      const img = await decodeImage(file, { failOn: 'error' });
      assert.strictEqual(img.warning, 'palette index 4 past the 3-entry palette (such pixels decoded as black)');
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = at(x, y), want = i < 3 ? Array.from(palette.subarray(3 * i, 3 * i + 3)).reverse() : [0, 0, 0];
          assert.deepStrictEqual(pixel(img, x, y), want, `${bitDepth}-bit pixel ${x},${y}`);
        }
      }
    }
  });

  it('a metadata chunk with a bad CRC neither fails the PNG nor becomes its warning; a bad IDAT CRC still fails', async () => {
    const good = writePng({ width: W, height: H, scanlines: scanlines(W, H, (x, y) => [x * 40, y * 60, 7]), chunks: [pngChunk('iCCP', Buffer.from('x\0\0junk')), pngChunk('cLLI', Buffer.alloc(8))] });
    const want = await decodeImage(good);
    const badCrc = (png, type) => {
      const b = Buffer.from(png);
      const at = b.indexOf(Buffer.from(type, 'latin1'));
      b[at + 4 + b.readUInt32BE(at - 4)] ^= 0xff; // first CRC byte
      return b;
    };
    for (const type of ['iCCP', 'cLLI']) {
      for (const failOn of ['warning', 'error']) {
        const img = await decodeImage(badCrc(good, type), { failOn });
        assert.deepStrictEqual(img, want, `${type}, failOn ${failOn}`);
        assert.strictEqual(img.warning, undefined);
      }
    }
    await assert.rejects(decodeImage(badCrc(good, 'IDAT')), (e) => e.code === 'ERR_IMAGE_DECODE' && /CRC error/.test(e.message));
  });

  it('a JPEG segment claiming a length under 2 is skipped past its length field, as libjpeg does', async () => {
    const jpg = await encodeImage({ data: new Uint8Array(16 * 8 * 3).fill(120), width: 16, height: 8, channels: 3 }, { format: 'jpeg' });
    const end = 4 + jpg.readUInt16BE(4); // after APP0
    const broken = Buffer.concat([jpg.subarray(0, end), Buffer.from([0xff, 0xfe, 0, 0]), jpg.subarray(end)]);
    assert.deepStrictEqual(await decodeImage(broken), await decodeImage(jpg));
  });

  it('a headerless DIB is refused as such, not as an unknown format', async () => {
    const bmp = writeBmp({ width: 2, height: 2, bpp: 24, data: bmpRows(2, 2, 24, () => [1, 2, 3]) });
    await assert.rejects(decodeImage(bmp.subarray(14)), (e) => e.code === 'ERR_IMAGE_DECODE' && /is a headerless DIB \(a BMP without its 'BM' file header\), which is not supported$/.test(e.message));
    await assert.rejects(decodeImage(Buffer.from('GIF89a........')), (e) => /is not a JPEG, PNG, BMP or TIFF image/.test(e.message));
  });

  it('V5 bit fields 1-5-5-5 (alpha mask ignored)', async () => {
    const px = (x, y) => 0x8000 | ((x * 7) & 31) << 10 | ((y * 9) & 31) << 5 | ((x + y) & 31);
    const file = writeBmp({ width: W, height: H, bpp: 16, header: V5, compression: 3, masks: [0x7c00, 0x03e0, 0x001f], data: bmpRows(W, H, 16, px) });
    expectPixels(await decodeImage(file), W, H, (x, y) => [((x + y) & 31) << 3, ((y * 9) & 31) << 3, ((x * 7) & 31) << 3], '1-5-5-5');
  });

  it('prints nothing to stderr for any of these', async () => {
    const f = writeTiff({ width: W, height: H, tags: [[258, SHORT, 16], [259, SHORT, 1], [262, SHORT, 1], [339, SHORT, 2]], blocks: oneStrip(Buffer.alloc(2 * W * H)) });
    const r = await decodeElsewhere([[f], [f, 'error']]);
    assert.deepStrictEqual(r, { outcomes: ['ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE'], stderr: '' });
  });
});

describe('public test files that OpenCV read wrongly or not at all (../shared/corpora)', function () {
  // Test data of other projects' suites, read where CI keeps it and never copied in (see its README).
  const FOUND = path.join(__dirname, '..', '..', 'shared', 'corpora', 'found');
  const file = (name) => path.join(FOUND, name);
  before(function () {
    if (!fs.existsSync(FOUND)) this.skip();
  });
  const same = async (a, b) => {
    const [x, y] = [await decodeImage(file(a)), await decodeImage(file(b))];
    return x.width === y.width && x.height === y.height && x.data.equals(y.data);
  };

  it('16-bit RGB in planes, strips or tiles, and contiguous RGBA: three files, one picture', async () => {
    assert.ok(await same('python-pil__Tests_images_tiff_strip_planar_16bit_RGB.tiff', 'python-pil__Tests_images_tiff_tiled_planar_16bit_RGB.tiff'));
    assert.ok(await same('python-pil__Tests_images_tiff_strip_planar_16bit_RGB.tiff', 'python-pil__Tests_images_tiff_16bit_RGBa.tiff'));
  });

  it('2 and 4-bit grey TIFFs, in either fill order and MinIsWhite, decode alike', async () => {
    for (const bits of [2, 4]) {
      for (const v of ['I', 'R', 'IR']) {
        assert.ok(await same(`python-pil__Tests_images_tiff_gray_2_4_bpp_hopper${bits}.tif`, `python-pil__Tests_images_tiff_gray_2_4_bpp_hopper${bits}${v}.tif`), `${bits}${v}`);
      }
    }
  });

  it('OS/2 core-header BMPs decode in colour, alike whatever their header quirks', async () => {
    const img = await decodeImage(file('python-pil__Tests_images_bmp_g_pal8os2.bmp'));
    let coloured = 0;
    for (let i = 0; i < img.data.length; i += 3) if (img.data[i] !== img.data[i + 2]) coloured++;
    assert.ok(coloured > 0.3 * img.width * img.height, `${coloured} coloured pixels (a grey decode has none)`);
    for (const other of ['image-rs__tests_images_bmp_images_pal8os2-hs.bmp', 'image-rs__tests_images_bmp_images_pal8os2-sz.bmp', 'python-pil__Tests_images_bmp_q_pal8os2sp.bmp']) {
      assert.ok(await same('python-pil__Tests_images_bmp_g_pal8os2.bmp', other), other);
    }
  });

  it('V4 5-6-5 and V5 1-5-5-5 bit-field BMPs of one picture differ only in green\'s lowest bit; an RLE4 that ends early decodes', async () => {
    const [a, b] = [await decodeImage(file('image-rs__tests_images_bmp_images_V4_R5_G6_B5.bmp')), await decodeImage(file('image-rs__tests_images_bmp_images_V5_A1_R5_G5_B5.bmp'))];
    assert.deepStrictEqual([a.width, a.height, b.width, b.height], [16, 16, 16, 16]);
    for (let i = 0; i < a.data.length; i += 3) {
      assert.deepStrictEqual([a.data[i], a.data[i + 2], a.data[i + 1] & ~7], [b.data[i], b.data[i + 2], b.data[i + 1]], `pixel ${i / 3}`);
    }
    const cut = await decodeImage(file('image-rs__tests_images_bmp_images_pal4rlecut.bmp'));
    assert.deepStrictEqual([cut.width, cut.height], [127, 64]);
  });
});
