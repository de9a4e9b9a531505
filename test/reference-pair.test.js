'use strict';
// Reference pairs: an image compared with an aligned defect-free reference becomes one
// image whose RGB planes are (image, reference, |difference|) in grey.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Classifier, ClassifierEnsemble, Detector, decodeImage, encodeImage } = require('../dist');
const { benchmarkModel } = require('../dist/tools/benchmark');
const { constantDetector, meanClassifier } = require('./helpers/onnx');

// BGR pixels from a per-pixel function.
function rawFrom(width, height, bgrAt) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(bgrAt(x, y), 3 * (y * width + x));
  }
  return { data, width, height, channels: 3 };
}

const flat = (width, height, v) => rawFrom(width, height, () => [v, v, v]);
// ITU-R BT.601 luma, the grey both OpenCV and the training recipe use.
const grey = ([b, g, r]) => 0.114 * b + 0.587 * g + 0.299 * r;

describe('reference pairs', () => {
  it('decode as (image, reference, |difference|) grey planes, the layout the DeepPCB recipe trains on', async () => {
    const W = 40, H = 30;
    // Coloured image with a dark blob the reference lacks; the reference a colour gradient.
    const image = rawFrom(W, H, (x, y) => ((x - 20) ** 2 + (y - 15) ** 2 < 36 ? [10, 20, 30] : [200, 150, 100]));
    const reference = rawFrom(W, H, (x, y) => [100 + 3 * x, 90 + 2 * y, 60]);
    const pair = await decodeImage({ image, reference });
    assert.strictEqual(pair.width, W);
    assert.strictEqual(pair.height, H);
    for (let i = 0; i < W * H; i++) {
      const t = grey(image.data.subarray(3 * i, 3 * i + 3));
      const r = grey(reference.data.subarray(3 * i, 3 * i + 3));
      const [b, g, rr] = pair.data.subarray(3 * i, 3 * i + 3);
      // R = image, G = reference (OpenCV rounds luma in fixed point: within 1 level), B = |R - G| exactly.
      assert.ok(Math.abs(rr - t) <= 1 && Math.abs(g - r) <= 1, `pixel ${i}: ${[b, g, rr]} vs grey ${t}, ${r}`);
      assert.strictEqual(b, Math.abs(rr - g), `pixel ${i}`);
    }
  });

  it('take the image and reference in any input form (paths, encoded bytes, raw pixels)', async () => {
    const png = await encodeImage(flat(16, 8, 50), { format: 'png' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pair-')), 'reference.png');
    fs.writeFileSync(file, png);
    for (const reference of [png, file]) {
      const pair = await decodeImage({ image: flat(16, 8, 200), reference });
      assert.deepStrictEqual([...pair.data.subarray(0, 3)], [150, 50, 200]);
    }
  });

  it('reject a reference of another size, an unreadable reference and nested pairs with typed errors', async () => {
    await assert.rejects(decodeImage({ image: flat(16, 8, 1), reference: flat(8, 16, 1) }),
      { code: 'ERR_INVALID_ARG', message: /same size/ });
    await assert.rejects(decodeImage({ image: flat(16, 8, 1), reference: '/no/such/reference.png' }),
      { code: 'ERR_FILE_NOT_FOUND', message: /^reference: / });
    await assert.rejects(decodeImage({ image: { image: flat(4, 4, 1), reference: flat(4, 4, 1) }, reference: flat(4, 4, 1) }),
      { code: 'ERR_INVALID_ARG' });
  });

  describe('align: true registers the reference first', () => {
    // A real board template (DeepPCB), cut twice: the reference window sits off the image's by a known amount.
    const TEMPLATE = path.join(__dirname, '..', '..', 'shared', 'datasets', 'deeppcb', 'group20085', '20085', '20085000_temp.jpg');
    let board;
    before(async () => { board = await decodeImage(TEMPLATE); });
    const cut = (x0, y0, w, h) => {
      const data = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) data.set(board.data.subarray(3 * ((y0 + y) * board.width + x0), 3 * ((y0 + y) * board.width + x0 + w)), 3 * y * w);
      return { data, width: w, height: h, channels: 3 };
    };
    // Mean of the difference plane (B) away from the border the shift leaves uncovered.
    const meanDifference = (pair, margin = 40) => {
      let sum = 0, n = 0;
      for (let y = margin; y < pair.height - margin; y++) {
        for (let x = margin; x < pair.width - margin; x++, n++) sum += pair.data[3 * (y * pair.width + x)];
      }
      return sum / n;
    };

    it('undoes shifts of the reference: the difference plane falls to almost nothing', async () => {
      const image = cut(40, 40, 540, 540);
      for (const [dx, dy] of [[7, -5], [-12, 9], [25, 30]]) {
        const reference = cut(40 + dx, 40 + dy, 540, 540);
        const plain = meanDifference(await decodeImage({ image, reference }));
        const aligned = await decodeImage({ image, reference, align: true });
        assert.ok(plain > 2, `shift ${dx},${dy}: unaligned difference ${plain}`);
        assert.ok(meanDifference(aligned) < 0.1 * plain, `shift ${dx},${dy}: ${meanDifference(aligned)} aligned vs ${plain}`);
        // the reference plane (G) now shows the image's own pixels
        const x = 270, y = 270, i = 3 * (y * 540 + x);
        assert.ok(Math.abs(aligned.data[i + 1] - aligned.data[i + 2]) <= 2, `shift ${dx},${dy}: G ${aligned.data[i + 1]} R ${aligned.data[i + 2]}`);
      }
    });

    it('undoes a small rotation with a shift', async () => {
      // The reference: the board turned 1.5 deg about (320, 320) and moved by (6, -4), resampled
      // bilinearly here; the image: the board as it is. Compared on the central 440 x 440.
      const a = (1.5 * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
      const W = board.width, H = board.height;
      const turned = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          // where this reference pixel comes from on the board (inverse of the motion)
          const u = x - 320 - 6, v = y - 320 + 4;
          const sx = Math.min(W - 1.001, Math.max(0, cos * u + sin * v + 320));
          const sy = Math.min(H - 1.001, Math.max(0, -sin * u + cos * v + 320));
          const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
          for (let c = 0; c < 3; c++) {
            const at = (xx, yy) => board.data[3 * (yy * W + xx) + c];
            turned[3 * (y * W + x) + c] = Math.round((1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0))
              + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)));
          }
        }
      }
      const reference = { data: turned, width: W, height: H, channels: 3 };
      // Resampling twice blurs edges a little; a misplaced edge differs by far more than 64.
      const strong = (pair) => {
        let n = 0;
        for (let y = 100; y < H - 100; y++) for (let x = 100; x < W - 100; x++) n += pair.data[3 * (y * W + x)] > 64;
        return n;
      };
      const plain = strong(await decodeImage({ image: board, reference }));
      const aligned = strong(await decodeImage({ image: board, reference, align: true }));
      // Two bilinear resamplings of a binary board leave a floor of about 240 such pixels
      // (measured with ECC at full resolution); a shift alone would leave the turn's 6 px.
      assert.ok(plain > 1000, `unaligned: ${plain} strongly different pixels`);
      assert.ok(aligned < 0.25 * plain, `aligned: ${aligned} strongly different pixels, unaligned ${plain}`);
    });

    it('takes a reference of another size (it is warped into the image\'s frame)', async () => {
      const pair = await decodeImage({ image: cut(40, 40, 540, 540), reference: cut(20, 25, 600, 590), align: true });
      assert.deepStrictEqual([pair.width, pair.height], [540, 540]);
      assert.ok(meanDifference(pair) < 0.3, `${meanDifference(pair)}`);
    });

    it('fails, with ERR_ALIGN, only the pair whose reference is another board; detectors and classifiers report the registration', async () => {
      const other = await decodeImage(TEMPLATE.replace(/20085/g, '00041'));
      const image = cut(40, 40, 540, 540);
      await assert.rejects(decodeImage({ image, reference: other, align: true }), { code: 'ERR_ALIGN', message: /could not be registered/ });
      const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.9, 1, 0]], height: 64, width: 64,
        metadata: { planes: 'image,reference,difference' } }), { conf: 0.05 });
      try {
        const res = await det.detect([
          { image, reference: cut(45, 37, 540, 540), align: true },
          { image, reference: other, align: true },
          { image, reference: image, align: true },
        ]);
        assert.deepStrictEqual(res.map((r) => r.error && r.error.code), [undefined, 'ERR_ALIGN', undefined]);
        assert.strictEqual(res[2].detections.length, 1);
        // The reference window starts 5 px right and 3 px up of the image's: image pixel (x, y)
        // is found on the reference at (x - 5, y + 3).
        const g = res[0].registration;
        assert.ok(Math.abs(g.dx + 5) < 0.3 && Math.abs(g.dy - 3) < 0.3 && Math.abs(g.angle) < 0.1, JSON.stringify(g));
        assert.ok(g.correlation > 0.95 && g.correlation <= 1, JSON.stringify(g));
        assert.ok(Math.abs(res[2].registration.dx) < 0.1 && Math.abs(res[2].registration.dy) < 0.1);
        const unaligned = await det.detect([{ image, reference: image }]);
        assert.strictEqual(unaligned[0].registration, undefined);
      } finally {
        det.close();
      }
      // Classifiers (and their ensemble) of pairs report the same registration.
      const pairModel = () => meanClassifier({ softmax: true, metadata: { planes: 'image,reference,difference' } });
      const cls = await Classifier.create(pairModel());
      const ensemble = await ClassifierEnsemble.create([{ model: pairModel() }, { model: pairModel() }]);
      try {
        const pairs = [{ image, reference: cut(45, 37, 540, 540), align: true }, { image, reference: other, align: true }];
        for (const res of [await cls.classify(pairs), await ensemble.classify(pairs)]) {
          const g = res[0].registration;
          assert.ok(Math.abs(g.dx + 5) < 0.3 && Math.abs(g.dy - 3) < 0.3 && Math.abs(g.angle) < 0.1, JSON.stringify(g));
          assert.strictEqual(res[1].error.code, 'ERR_ALIGN');
        }
        assert.strictEqual((await cls.classify([{ image, reference: image }]))[0].registration, undefined);
      } finally {
        cls.close();
        ensemble.close();
      }
    });

    it('keeps flat or identical images as they are, and rejects an align that is not a boolean', async () => {
      const same = await decodeImage({ image: flat(64, 48, 80), reference: flat(64, 48, 80), align: true });
      assert.deepStrictEqual([...same.data.subarray(0, 3)], [0, 80, 80]);
      const image = cut(100, 100, 200, 200);
      assert.strictEqual(meanDifference(await decodeImage({ image, reference: image, align: true }), 0), 0);
      await assert.rejects(decodeImage({ image, reference: image, align: 'yes' }), { code: 'ERR_INVALID_ARG', message: /align/ });
      await assert.rejects(decodeImage({ image, reference: cut(0, 0, 100, 100) }), { code: 'ERR_INVALID_ARG', message: /align: true/ });
      // Too small or too narrow to register (a 1 px side vanished in the 320 px copy, an
      // OpenCV assertion surfaced as ERR_INTERNAL): the image fails with ERR_ALIGN.
      for (const reference of [flat(1, 1000, 80), flat(2, 2, 80)]) {
        await assert.rejects(decodeImage({ image, reference, align: true }), { code: 'ERR_ALIGN', message: /too small or too narrow/ });
      }
    });
  });

  describe('a detector trained on pairs (metadata planes image,reference,difference)', () => {
    // score = obj * cls with obj = 0.1 + mean of the input planes: (t + r + |t - r|) / 3 / 255.
    const mask = [[0, 0, 0, 0, 1, 0, 0]];
    let pairModel;
    let plainModel;
    before(async () => {
      pairModel = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 64, width: 64, brightnessMask: mask,
        metadata: { planes: 'image,reference,difference' } }), { conf: 0.05 });
      plainModel = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 64, width: 64, brightnessMask: mask }), { conf: 0.05 });
    });
    after(() => {
      pairModel.close();
      plainModel.close();
    });

    it('says so, and sees the composed planes', async () => {
      assert.strictEqual(pairModel.needsReference, true);
      assert.strictEqual(plainModel.needsReference, false);
      const res = await pairModel.detect([
        { image: flat(64, 64, 100), reference: flat(64, 64, 100) }, // planes 100, 100, 0
        { image: flat(64, 64, 100), reference: flat(64, 64, 220) }, // planes 100, 220, 120
      ]);
      const expected = [200 / 3 / 255, 440 / 3 / 255].map((m) => 0.1 + m);
      res.forEach((r, i) => assert.ok(Math.abs(r.detections[0].score - expected[i]) < 2e-3, `${r.detections[0].score} vs ${expected[i]}`));
    });

    it('fails only the pair whose reference does not fit', async () => {
      const res = await pairModel.detect([
        { image: flat(64, 64, 100), reference: flat(64, 64, 100) },
        { image: flat(64, 64, 100), reference: flat(32, 32, 100) },
        { image: flat(64, 64, 100), reference: '/no/such/template.jpg' },
        { image: flat(64, 64, 30), reference: flat(64, 64, 30) },
      ]);
      assert.deepStrictEqual(res.map((r) => r.error && r.error.code), [undefined, 'ERR_INVALID_ARG', 'ERR_FILE_NOT_FOUND', undefined]);
      assert.strictEqual(res[3].detections.length, 1);
    });

    it('is benchmarked end to end on pairs (each image with the next as its reference)', async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pair-')), 'pair.onnx');
      fs.writeFileSync(file, constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 64, width: 64, metadata: { planes: 'image,reference,difference' } }));
      // The end-to-end loop calls detect(); single images would reject it with ERR_INVALID_ARG.
      const report = await benchmarkModel(file, { batches: [2], warmup: 1, iters: 2, e2eIters: 1, e2eSize: [64, 64] });
      assert.ok(report.runs[0].endToEndImagesPerSec > 0, JSON.stringify(report.runs[0]));
    });

    it('refuses single images for a pair model and pairs for a plain one', async () => {
      await assert.rejects(pairModel.detect([flat(64, 64, 1)]), { code: 'ERR_INVALID_ARG', message: /pass \{ image, reference \}/ });
      await assert.rejects(plainModel.detect([{ image: flat(64, 64, 1), reference: flat(64, 64, 1) }]),
        { code: 'ERR_INVALID_ARG', message: /single images/ });
    });
  });
});
