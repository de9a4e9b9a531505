'use strict';
// Bootstrap intervals of mAP: the reweighting shortcut against evaluating resampled
// images afresh, and the interval against the binomial answer it must approximate.
const assert = require('assert');
const { bootstrapAuc, bootstrapDifference, bootstrapMap, cocoSummary } = require('../dist/eval');
const { bootstrapBase, weightedMap } = require('../dist/eval/bootstrap');

const close = (a, b, msg, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${msg ?? ''} expected ${b}, got ${a}`);

// A small seeded generator of test scenes (independent of the one under test).
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Images with two classes: boxes of every COCO size, near misses, false alarms, misses. */
function scenes(n, seed) {
  const r = lcg(seed);
  return Array.from({ length: n }, (_, id) => {
    const groundTruth = [], detections = [];
    const k = Math.floor(r() * 4);
    for (let j = 0; j < k; j++) {
      const size = [8, 20, 60, 140][Math.floor(r() * 4)];
      const x = r() * 400, y = r() * 400, classId = r() < 0.6 ? 0 : 1;
      groundTruth.push({ box: [x, y, x + size, y + size * (0.6 + r())], classId });
      if (r() < 0.8) {
        const dx = (r() - 0.5) * size * 0.5;
        detections.push({ box: [x + dx, y, x + dx + size, y + size], classId, score: r() });
      }
    }
    for (let j = Math.floor(r() * 3); j > 0; j--) {
      const x = r() * 600, y = r() * 600;
      detections.push({ box: [x, y, x + 30, y + 30], classId: r() < 0.5 ? 0 : 1, score: r() });
    }
    return { id, groundTruth, detections };
  });
}

describe('eval: bootstrap intervals of mAP', () => {
  it('reweighting images gives the mAP of the resampled images evaluated afresh', () => {
    const images = scenes(60, 11);
    const base = bootstrapBase(images, 2);
    const r = lcg(5);
    for (let trial = 0; trial < 5; trial++) {
      const weights = new Uint32Array(images.length).map(() => Math.floor(r() * 3));
      const drawn = [];
      images.forEach((img, i) => {
        for (let c = 0; c < weights[i]; c++) drawn.push({ ...img, id: i * 10 + c });
      });
      const fresh = cocoSummary(drawn, 2);
      const fast = weightedMap(base, weights);
      close(fast.map50, fresh.map50, `trial ${trial} map50`);
      close(fast.map50_95, fresh.map50_95, `trial ${trial} map50_95`);
      fast.perClass.forEach((c, k) => close(c.ap50_95, fresh.perClass[k].ap50_95, `trial ${trial} class ${k}`));
    }
    // all weights 1 is the split itself
    const once = weightedMap(base, new Uint32Array(images.length).fill(1));
    close(once.map50_95, cocoSummary(images, 2).map50_95, 'weights 1');
  });

  it('half the objects found at precision 1: the interval is the binomial one', () => {
    // 400 images, one object each; 200 found exactly, no false alarms. A resample that
    // finds k of its 400 objects has AP (floor(100 k / 400) + 1) / 101; k ~ Binomial(400, 1/2)
    // puts the 95% interval of k / 400 at 0.5 -+ 1.96 * 0.025 = [0.451, 0.549], so AP near
    // [46/101, 55/101].
    const images = Array.from({ length: 400 }, (_, id) => ({
      id,
      groundTruth: [{ box: [10, 10, 60, 60], classId: 0 }],
      detections: id % 2 ? [{ box: [10, 10, 60, 60], classId: 0, score: 0.5 + id / 1000 }] : [],
    }));
    const ci = bootstrapMap(images, 1, { samples: 2000, seed: 3 });
    close(ci.map50[0], 46 / 101, 'low', 0.02);
    close(ci.map50[1], 55 / 101, 'high', 0.02);
    assert.deepStrictEqual(ci.map50, ci.perClass[0].ap50);
    ci.map50_95.forEach((v, i) => close(v, ci.map50[i], 'exact boxes: every IoU threshold alike', 1e-12));
    assert.deepStrictEqual([ci.samples, ci.seed, ci.level], [2000, 3, 0.95]);
  });

  it('perfect detections leave no doubt; a class without ground truth has no interval', () => {
    const images = Array.from({ length: 20 }, (_, id) => ({
      id, groundTruth: [{ box: [0, 0, 50, 50], classId: 0 }], detections: [{ box: [0, 0, 50, 50], classId: 0, score: 0.9 }],
    }));
    const ci = bootstrapMap(images, 2, { samples: 200 });
    assert.deepStrictEqual(ci.map50, [1, 1]);
    assert.deepStrictEqual(ci.perClass[1], { ap50: [-1, -1], ap50_95: [-1, -1] });
  });

  it('the same seed gives the same intervals, another seed others; the estimate lies inside', () => {
    const images = scenes(80, 2);
    const a = bootstrapMap(images, 2, { samples: 300, seed: 1 });
    assert.deepStrictEqual(bootstrapMap(images, 2, { samples: 300, seed: 1 }), a);
    assert.notDeepStrictEqual(bootstrapMap(images, 2, { samples: 300, seed: 2 }).map50, a.map50);
    const point = cocoSummary(images, 2);
    assert.ok(a.map50[0] < point.map50 && point.map50 < a.map50[1], `${point.map50} in ${a.map50}`);
    assert.ok(a.map50_95[0] < point.map50_95 && point.map50_95 < a.map50_95[1]);
    const narrow = bootstrapMap(images, 2, { samples: 300, seed: 1, level: 0.5 });
    assert.ok(narrow.map50[0] >= a.map50[0] && narrow.map50[1] <= a.map50[1]);
  });

  it('paired difference: a model that finds everything against one that finds half', () => {
    // The first has AP 1 on every resample, the second (floor(100 k / 400) + 1) / 101 as above,
    // so the difference's interval is 1 minus that one: about [46/101, 55/101].
    const gt = [{ box: [10, 10, 60, 60], classId: 0 }];
    const hit = (id) => [{ box: [10, 10, 60, 60], classId: 0, score: 0.5 + id / 1000 }];
    const all = Array.from({ length: 400 }, (_, id) => ({ id, groundTruth: gt, detections: hit(id) }));
    const half = all.map((img) => ({ ...img, detections: img.id % 2 ? img.detections : [] }));
    const d = bootstrapDifference(all, half, 1, { samples: 2000, seed: 3 });
    close(d.map50[0], 46 / 101, 'low', 0.02);
    close(d.map50[1], 55 / 101, 'high', 0.02);
    assert.deepStrictEqual(d.firstBetter, { map50: 1, map50_95: 1 });
    const reverse = bootstrapDifference(half, all, 1, { samples: 2000, seed: 3 });
    assert.deepStrictEqual(reverse.map50, [-d.map50[1], -d.map50[0]]);
    assert.strictEqual(reverse.firstBetter.map50, 0);
  });

  it('paired difference: a model against itself is exactly 0; a small change gives a narrow interval', () => {
    const images = scenes(200, 9);
    const same = bootstrapDifference(images, images.map((img) => ({ ...img })), 2, { samples: 300 });
    assert.deepStrictEqual(same.map50, [0, 0]);
    assert.strictEqual(same.firstBetter.map50, 0);
    // One extra confident false alarm in every tenth image lowers AP a little, on every resample alike.
    const worse = images.map((img) => (img.id % 10 ? img : {
      ...img, detections: [...img.detections, { box: [900, 900, 930, 930], classId: 0, score: 0.999 }],
    }));
    const d = bootstrapDifference(images, worse, 2, { samples: 300 });
    const own = bootstrapMap(images, 2, { samples: 300 });
    assert.ok(d.map50[0] >= 0, `${d.map50}`);
    assert.ok(d.map50[1] - d.map50[0] < (own.map50[1] - own.map50[0]) / 2, `paired ${d.map50} vs own ${own.map50}`);
    assert.ok(d.firstBetter.map50 > 0.9);
  });

  it('AUC: half the positives above every negative gives the binomial interval; paired against a perfect ranking', () => {
    // 200 negatives at 0.5; 200 positives, 100 at 1 and 100 at 0. AUC = the share of positives
    // at 1: 0.5 -+ 1.96 * sqrt(0.25 / 200) = [0.431, 0.569] over resamples.
    const labels = Array.from({ length: 400 }, (_, i) => (i < 200 ? 0 : 1));
    const half = labels.map((l, i) => (l === 0 ? 0.5 : i % 2 ? 1 : 0));
    const perfect = labels.map((l) => l);
    const b = bootstrapAuc([perfect, half, perfect], labels, { samples: 2000, seed: 4 });
    assert.deepStrictEqual(b.auc[0], [1, 1]);
    close(b.auc[1][0], 0.431, 'low', 0.02);
    close(b.auc[1][1], 0.569, 'high', 0.02);
    // perfect - half = 1 - half on every resample
    close(b.firstMinus[0].interval[0], 1 - b.auc[1][1], 'difference low', 1e-12);
    close(b.firstMinus[0].interval[1], 1 - b.auc[1][0], 'difference high', 1e-12);
    assert.deepStrictEqual([b.firstMinus[0].firstBetter, b.firstMinus[0].tied], [1, 0]);
    assert.deepStrictEqual(b.firstMinus[1], { interval: [0, 0], firstBetter: 0, tied: 1 });
    assert.throws(() => bootstrapAuc([half], labels.slice(1)), /399 labels/);
    assert.throws(() => bootstrapAuc([], labels), /no score set/);
  });

  it('bad options are errors', () => {
    assert.throws(() => bootstrapDifference(scenes(3, 1), scenes(4, 1), 1), /same images/);
    assert.throws(() => bootstrapMap([], 1, { samples: 0 }), RangeError);
    assert.throws(() => bootstrapMap([], 1, { samples: 1.5 }), RangeError);
    assert.throws(() => bootstrapMap([], 1, { level: 1 }), RangeError);
  });
});
