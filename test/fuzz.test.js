'use strict';
// Seeded fuzzing of every image-taking entry point: truncated, bit-flipped,
// header-forged and random inputs must each come back as a typed error (or a
// result) for that image alone, while the good image beside it keeps its answer.
const assert = require('assert');
const { Classifier, Detector, DieInspectError, Roi, decodeImage, encodeImage } = require('../dist');
const { constantDetector, meanClassifier } = require('./helpers/onnx');

const CODES = new Set(['ERR_IMAGE_DECODE', 'ERR_IMAGE_TOO_LARGE', 'ERR_INVALID_ARG', 'ERR_FILE_NOT_FOUND', 'ERR_ROI_NOT_FOUND', 'ERR_ALIGN']);

function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function scene(width, height) {
  // A dark package on a light board, so the ROI stage has something to find.
  const data = new Uint8Array(width * height * 3).fill(190);
  for (let y = height / 4; y < (3 * height) / 4; y++) {
    for (let x = width / 4; x < (3 * width) / 4; x++) data.fill(30, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { data, width, height, channels: 3 };
}

/** One malformed input, chosen and shaped by `rnd`. */
function mutant(rnd, seeds) {
  const pick = (n) => Math.floor(rnd() * n);
  const base = seeds[pick(seeds.length)];
  switch (pick(8)) {
    case 0: return base.subarray(0, pick(base.length));               // truncated anywhere
    case 1: {                                                          // a few bytes flipped
      const b = Buffer.from(base);
      for (let i = 0, n = 1 + pick(40); i < n; i++) b[pick(b.length)] = pick(256);
      return b;
    }
    case 2: {                                                          // header bytes flipped (size fields live there)
      const b = Buffer.from(base);
      for (let i = 0, n = 1 + pick(4); i < n; i++) b[pick(Math.min(64, b.length))] = pick(256);
      return b;
    }
    case 3: {                                                          // random bytes behind a real magic number
      const b = Buffer.alloc(16 + pick(2000));
      for (let i = 0; i < b.length; i++) b[i] = pick(256);
      base.copy(b, 0, 0, 4);
      return b;
    }
    case 4: {                                                          // raw pixels with inconsistent fields
      const w = [0, -1, 3.5, 1e10, 7][pick(5)], h = [5, 0, 2e9, NaN, 9][pick(5)];
      return { data: new Uint8Array(pick(200)), width: w, height: h, channels: [1, 2, 3, 4, 5][pick(5)] };
    }
    case 5: return [Buffer.alloc(0), '/no/such/file.jpg', '/', Buffer.from('GIF89a')][pick(4)];
    case 6: {                                                          // well-formed raw pixels of extreme shapes
      const w = [1, 2, 3, 17, 4000][pick(5)], h = [1, 2, 5, 3000][pick(4)];
      const data = new Uint8Array(w * h * 3);
      for (let i = 0; i < data.length; i += 97) data[i] = pick(256);
      return { data, width: w, height: h, channels: 3 };
    }
    default: return Buffer.concat([base, base.subarray(0, pick(base.length))]); // trailing junk
  }
}

function withoutTimings(result) {
  const { timings, ...rest } = result;
  assert.ok(timings);
  return rest;
}

function assertItemError(err, where) {
  assert.ok(err instanceof DieInspectError, `${where}: untyped error ${err}`);
  assert.ok(CODES.has(err.code), `${where}: unexpected code ${err.code}: ${err.message}`);
}

describe('fuzzed image inputs', function () {
  this.timeout(120000);
  let seeds, good, det, cls, roi, expected;

  before(async () => {
    const img = scene(96, 72);
    seeds = await Promise.all(['png', 'jpg', 'bmp', 'tiff'].map((format) => encodeImage(img, { format })));
    good = seeds[0];
    det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 64, width: 64, brightnessMask: [[0, 0, 0, 0, 1, 0, 0]] }), { conf: 0.05 });
    cls = await Classifier.create(meanClassifier({ softmax: true }));
    roi = await Roi.create({ crops: false });
    expected = {
      det: (await det.detect([good]))[0],
      cls: (await cls.classify([good]))[0],
      roi: withoutTimings((await roi.capture([good]))[0]),
    };
    assert.strictEqual(expected.det.detections.length, 1);
  });

  after(() => {
    det.close();
    cls.close();
    roi.close();
  });

  it('60 reference pairs, aligned, of malformed or extreme images fail alone with a typed error', async () => {
    const rnd = xorshift(7);
    const pair = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]], height: 64, width: 64,
      metadata: { planes: 'image,reference,difference' } }), { conf: 0.05 });
    try {
      const goodPair = { image: good, reference: good, align: true };
      const [want] = await pair.detect([goodPair]);
      for (let i = 0; i < 60; i++) {
        const side = () => (rnd() < 0.5 ? good : mutant(rnd, seeds));
        const [r, g] = await pair.detect([{ image: side(), reference: side(), align: rnd() < 0.8 }, goodPair]);
        assert.deepStrictEqual(g, want, `pair ${i}: the good pair changed`);
        if (r.error) assertItemError(r.error, `pair ${i}`);
      }
    } finally {
      pair.close();
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 100 malformed inputs each fail alone with a typed error`, async () => {
      const rnd = xorshift(seed);
      const outcomes = { ok: 0, failed: 0 };
      for (let i = 0; i < 100; i++) {
        const bad = mutant(rnd, seeds);
        const where = `seed ${seed} input ${i}`;
        const [d, c, r] = await Promise.all([det.detect([bad, good]), cls.classify([good, bad]), roi.capture([bad, good])]);
        assert.deepStrictEqual(d[1], expected.det, `${where}: detector's good image changed`);
        assert.deepStrictEqual(c[0], expected.cls, `${where}: classifier's good image changed`);
        assert.deepStrictEqual(withoutTimings(r[1]), expected.roi, `${where}: ROI's good image changed`);
        for (const res of [d[0], c[1]]) if (res.error) assertItemError(res.error, where);
        if (r[0].error) assertItemError(r[0].error, where);
        try {
          const img = await decodeImage(bad);
          assert.strictEqual(img.data.length, img.width * img.height * 3, where);
          outcomes.ok++;
        } catch (e) {
          assertItemError(e, where);
          outcomes.failed++;
        }
      }
      // The mutations must mostly break things, or the test tests nothing.
      assert.ok(outcomes.failed > 50, JSON.stringify(outcomes));
    });
  }
});

describe('fuzzed model files', function () {
  this.timeout(120000);
  const MODEL_CODES = new Set(['ERR_MODEL_LOAD', 'ERR_MODEL_INPUT', 'ERR_OUTPUT_LAYOUT', 'ERR_INFERENCE', 'ERR_NAN_OUTPUT']);

  it('150 truncated or bit-flipped models each load and run, or fail with a typed model error', async () => {
    const rnd = xorshift(11);
    const pick = (n) => Math.floor(rnd() * n);
    const bases = [
      { create: (b) => Detector.create(b, { imgsz: 64 }), run: (m, x) => m.detect(x), bytes: constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]], height: 64, width: 64 }) },
      { create: (b) => Classifier.create(b), run: (m, x) => m.classify(x), bytes: meanClassifier({ softmax: true }) },
    ];
    const img = scene(64, 64);
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 150; i++) {
      const base = bases[pick(2)];
      let bytes = Buffer.from(base.bytes);
      const how = pick(3);
      if (how === 0) bytes = bytes.subarray(0, pick(bytes.length));
      else if (how === 1) for (let j = 0, n = 1 + pick(8); j < n; j++) bytes[pick(bytes.length)] = pick(256);
      else for (let j = 0, n = 1 + pick(3); j < n; j++) bytes[pick(bytes.length)] ^= 1 << pick(8);
      let model;
      try {
        model = await base.create(bytes);
      } catch (e) {
        assert.ok(e instanceof DieInspectError && MODEL_CODES.has(e.code), `model ${i}: ${e.code} ${e.message}`);
        outcomes.refused++;
        continue;
      }
      outcomes.loaded++;
      try {
        for (const r of await base.run(model, [img, img])) if (r.error) assert.ok(MODEL_CODES.has(r.error.code), `model ${i}: ${r.error.code}`);
      } catch (e) {
        assert.ok(e instanceof DieInspectError && MODEL_CODES.has(e.code), `model ${i}: ${e.code} ${e.message}`);
      } finally {
        model.close();
      }
    }
    assert.ok(outcomes.refused > 100, JSON.stringify(outcomes));
  });
});
