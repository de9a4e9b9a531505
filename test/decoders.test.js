'use strict';
// The JPEG and PNG decoders (native/core/jpeg_decode.cc, png_decode.cc): damaged
// data and failOn, colour spaces, bit depths, interlacing; BMP faults caught first. Every file's pixels are
// known: written here byte by byte, or by test/fixtures/make-fixtures.py.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { Classifier, ClassifierEnsemble, Detector, Inspector, decodeImage, encodeImage } = require('../dist');
const { constantDetector, meanClassifier } = require('./helpers/onnx');
const { run } = require('./helpers/cli');
const { adam7, pngChunk, scanlines, writePng } = require('./helpers/png');

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

describe('BMP faults found before OpenCV reads the file', () => {
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

describe('BMP RLE data walked before OpenCV reads it', () => {
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

describe('TIFF data read through libtiff before OpenCV', () => {
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
