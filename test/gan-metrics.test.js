'use strict';
// FID, KID and the seam score against answers worked out by hand, and the pooled features
// of a tiny classifier whose feature map is its input.
const assert = require('assert');
const { Classifier, DieInspectError } = require('../dist');
const { featureVectors, frechetDistance, kernelDistance, seamScore } = require('../dist/eval');
const { pooledClassifier } = require('./helpers/onnx');

function points(n, d, seed) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  return Array.from({ length: n }, () => Array.from({ length: d }, next));
}

describe('GAN metrics', function () {
  this.timeout(60000);

  it('FID of a set with itself is 0', () => {
    const a = points(200, 6, 1);
    assert.ok(frechetDistance(a, a) < 1e-9);
  });

  it('FID of a against 2a + 1 is |mean(a) + 1|^2 + tr(cov(a))', () => {
    // cov(2a + 1) = 4 cov(a), so the trace terms give tr(C) + 4 tr(C) - 2 x 2 tr(C) = tr(C)
    const a = points(300, 5, 2);
    const b = a.map((v) => v.map((x) => 2 * x + 1));
    const d = a[0].length;
    const mean = Array.from({ length: d }, (_, i) => a.reduce((s, v) => s + v[i], 0) / a.length);
    let trace = 0;
    for (let i = 0; i < d; ++i) trace += a.reduce((s, v) => s + (v[i] - mean[i]) ** 2, 0) / (a.length - 1);
    const expected = mean.reduce((s, m) => s + (m + 1) ** 2, 0) + trace;
    assert.ok(Math.abs(frechetDistance(a, b) - expected) < 1e-6 * expected, `${frechetDistance(a, b)} vs ${expected}`);
  });

  it('FID in one dimension is (mu1 - mu2)^2 + (sigma1 - sigma2)^2', () => {
    const a = [[-1], [1], [-1], [1]];
    const b = [[1], [5], [1], [5]];
    // sample variances 4/3 and 16/3
    const expected = 9 + (Math.sqrt(4 / 3) - Math.sqrt(16 / 3)) ** 2;
    assert.ok(Math.abs(frechetDistance(a, b) - expected) < 1e-9);
  });

  it('KID is the unbiased MMD with the cubic kernel: -3.5 for {0, 1} against itself', () => {
    // k(x, y) = (xy + 1)^3: within-set off-diagonal sums 2 + 2, cross sum 1 + 1 + 1 + 8
    const r = kernelDistance([[0], [1]], [[0], [1]], { subsets: 5, subsetSize: 2 });
    assert.ok(Math.abs(r.mean + 3.5) < 1e-12 && r.std < 1e-12, JSON.stringify(r));
  });

  it('KID separates a shifted set from a second sample of the same distribution', () => {
    const a = points(150, 8, 3);
    const same = points(150, 8, 4);
    const shifted = points(150, 8, 5).map((v) => v.map((x) => x + 0.3));
    const near = kernelDistance(a, same, { subsets: 20, seed: 1 });
    const far = kernelDistance(a, shifted, { subsets: 20, seed: 1 });
    assert.ok(Math.abs(near.mean) < far.mean / 10, `${near.mean} vs ${far.mean}`);
    assert.deepStrictEqual(kernelDistance(a, shifted, { subsets: 20, seed: 1 }), far, 'seeded subsets repeat');
  });

  it('rejects sets that cannot be compared', () => {
    assert.throws(() => frechetDistance([[1, 2]], [[1, 2], [3, 4]]), (e) => e instanceof DieInspectError && e.code === 'ERR_INVALID_ARG');
    assert.throws(() => frechetDistance([[1, 2], [3, 4]], [[1], [3]]), (e) => e.code === 'ERR_INVALID_ARG');
    assert.throws(() => kernelDistance([[1], [NaN]], [[1], [2]]), (e) => e.code === 'ERR_INVALID_ARG');
  });

  it('seam score: a step at the tile border over a gentle ramp', () => {
    // 8 x 8, 2 x 2 tiles: value 10x, plus 100 right of the border at x = 4; constant down each column
    const w = 8;
    const data = new Uint8Array(w * w);
    for (let y = 0; y < w; ++y) for (let x = 0; x < w; ++x) data[y * w + x] = 10 * x + (x >= 4 ? 100 : 0);
    const s = seamScore({ data, width: w, height: w, channels: 1 }, 2);
    // across borders: 8 horizontal pairs of 110 and 8 vertical pairs of 0; inside: 48 of 10 and 48 of 0
    assert.strictEqual(s.seam, 55);
    assert.strictEqual(s.inside, 5);
    assert.strictEqual(s.ratio, 11);
    assert.throws(() => seamScore({ data, width: w, height: w, channels: 1 }, 3), (e) => e.code === 'ERR_INVALID_ARG');
  });

  it('features are the classifier feature map averaged over positions', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: [[1, 0, 0], [0, 1, 0]], size: 16 }));
    const solid = (b, g, r) => {
      const data = Buffer.alloc(20 * 20 * 3);
      for (let i = 0; i < 400; ++i) data.set([b, g, r], i * 3);
      return { data, width: 20, height: 20, channels: 3 };
    };
    const f = await featureVectors(c, [solid(30, 60, 90), solid(255, 0, 0), solid(0, 0, 0)], { batch: 2 });
    const expected = [[90, 60, 30], [0, 0, 255], [0, 0, 0]].map((v) => v.map((x) => x / 255));
    f.forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - expected[i][k]) < 1e-3, `${i}/${k}: ${x}`)));
    await assert.rejects(featureVectors(c, [Buffer.from('not an image')]), (e) => e instanceof DieInspectError);
    const plain = await Classifier.create(pooledClassifier({ weights: [[1, 0, 0], [0, 1, 0]], features: false }));
    await assert.rejects(featureVectors(plain, [solid(1, 2, 3)]), (e) => e.code === 'ERR_MODEL_LOAD');
    await c.close();
    await plain.close();
  });
});
