'use strict';
const assert = require('assert');
const { nms } = require('../dist');

// Textbook greedy NMS, O(N^2): visit by descending score (ties: lower index),
// keep a box unless it overlaps an already kept box of its class by IoU > t.
function iou(b, i, j) {
  const iw = Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]);
  const ih = Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = Math.fround(Math.fround(iw) * Math.fround(ih));
  const area = (k) => Math.fround(Math.fround(b[4 * k + 2] - b[4 * k]) * Math.fround(b[4 * k + 3] - b[4 * k + 1]));
  const uni = Math.fround(Math.fround(area(i) + area(j)) - inter);
  return uni > 0 ? Math.fround(inter / uni) : 0;
}

function bruteForce(boxes, scores, classes, { iou: t, agnostic = false, maxDet = Infinity }) {
  const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
  const kept = [];
  for (const i of order) {
    if (kept.length >= maxDet) break;
    const clash = kept.some((j) => (agnostic || classes[i] === classes[j]) && iou(boxes, i, j) > t);
    if (!clash) kept.push(i);
  }
  return kept;
}

function randomCase(rng, n, classes) {
  const boxes = new Float32Array(4 * n);
  const scores = new Float32Array(n);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Clustered boxes so that suppression actually happens.
    const cx = Math.floor(rng() * 5) * 40 + rng() * 30;
    const cy = Math.floor(rng() * 5) * 40 + rng() * 30;
    const w = 5 + rng() * 40;
    const h = 5 + rng() * 40;
    boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 4 * i);
    // Quantised scores create ties on purpose.
    scores[i] = Math.round(rng() * 50) / 50;
    ids[i] = Math.floor(rng() * classes);
  }
  return { boxes, scores, ids };
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('nms', () => {
  it('keeps the higher-scoring of two overlapping boxes and the separate one', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30]);
    const kept = nms(boxes, new Float32Array([0.9, 0.8, 0.7]), null, { iou: 0.5 });
    assert.deepStrictEqual(Array.from(kept), [0, 2]);
  });

  it('suppresses only within a class unless agnostic', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 0, 0, 10, 10]);
    const scores = new Float32Array([0.9, 0.8]);
    const ids = new Int32Array([0, 1]);
    assert.deepStrictEqual(Array.from(nms(boxes, scores, ids, { iou: 0.5 })), [0, 1]);
    assert.deepStrictEqual(Array.from(nms(boxes, scores, ids, { iou: 0.5, agnostic: true })), [0]);
  });

  it('equals the brute-force definition exactly on 200 random cases', () => {
    const rng = mulberry32(1234);
    for (let c = 0; c < 200; c++) {
      const n = 1 + Math.floor(rng() * 300);
      const { boxes, scores, ids } = randomCase(rng, n, 3);
      const t = [0.3, 0.45, 0.6, 0.7][c % 4];
      const agnostic = c % 3 === 0;
      const maxDet = c % 5 === 0 ? 10 : Infinity;
      const want = bruteForce(boxes, scores, ids, { iou: t, agnostic, maxDet });
      const got = Array.from(nms(boxes, scores, ids, { iou: t, agnostic, maxDet: maxDet === Infinity ? 0 : maxDet }));
      assert.deepStrictEqual(got, want, `case ${c}: n=${n} iou=${t} agnostic=${agnostic}`);
    }
  });

  it('drops candidates at or below conf and keeps only the topK best before suppression', () => {
    const boxes = new Float32Array([0, 0, 1, 1, 10, 10, 11, 11, 20, 20, 21, 21]);
    const scores = new Float32Array([0.2, 0.9, 0.5]);
    assert.deepStrictEqual(Array.from(nms(boxes, scores, null, { conf: 0.2 })), [1, 2]);
    assert.deepStrictEqual(Array.from(nms(boxes, scores, null, { topK: 2 })), [1, 2]);
  });

  it('handles 16 x 25,200 candidates (a YOLOv7 batch at 640)', () => {
    const rng = mulberry32(99);
    for (let img = 0; img < 16; img++) {
      const { boxes, scores, ids } = randomCase(rng, 25200, 2);
      const kept = nms(boxes, scores, ids, { iou: 0.45, maxDet: 300 });
      assert.ok(kept.length > 0 && kept.length <= 300);
    }
  });

  it('rejects mismatched arrays with a typed error', () => {
    assert.throws(() => nms(new Float32Array(3), new Float32Array(1)), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => nms(new Float32Array(4), new Float32Array(1), new Int32Array(2)), { code: 'ERR_INVALID_ARG' });
  });

  it('rejects counts that are not whole numbers an int holds', () => {
    const boxes = new Float32Array([0, 0, 1, 1]), scores = new Float32Array([0.9]);
    for (const maxDet of [2.5, 1e20, -1e20]) {
      assert.throws(() => nms(boxes, scores, null, { maxDet }), (e) => e.code === 'ERR_INVALID_ARG' && /maxDet/.test(e.message), String(maxDet));
    }
    assert.deepStrictEqual(Array.from(nms(boxes, scores, null, { maxDet: 1 })), [0]);
  });

  it('refuses non-finite box coordinates (NaN overlaps would suppress nothing)', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 1, 1, NaN, 11]);
    assert.throws(() => nms(boxes, new Float32Array([0.9, 0.8])), (e) => e.code === 'ERR_INVALID_ARG' && /box 1/.test(e.message));
    // a box below conf is dropped before it is looked at
    assert.deepStrictEqual(Array.from(nms(boxes, new Float32Array([0.9, 0.1]), null, { conf: 0.5 })), [0]);
  });
});
