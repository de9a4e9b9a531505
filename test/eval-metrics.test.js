'use strict';
// Detection metrics against hand-computed answers (COCO definition: 101 recall
// points, precision envelope, greedy matching, per image and class maxDets).
const assert = require('assert');
const { evaluateDetections, deeppcbProtocol, confusionMatrix, cocoSummary } = require('../dist/eval');

const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-4, `${msg ?? ''} expected ${b}, got ${a}`);
const gt = (box, classId = 0) => ({ box, classId });
const det = (box, score, classId = 0) => ({ box, score, classId });
// Far-away boxes for false alarms.
const far = (i) => [1000 + 10 * i, 1000, 1005 + 10 * i, 1005];

describe('eval: COCO detection metrics', () => {
  it('refuses NaN scores, non-finite boxes and malformed images instead of bending the metrics', () => {
    const ok = { id: 1, groundTruth: [gt([0, 0, 10, 10])], detections: [det([0, 0, 10, 10], 0.9)] };
    for (const bad of [
      { id: 2, groundTruth: [], detections: [det([0, 0, 10, 10], NaN)] },
      { id: 3, groundTruth: [gt([0, 0, Infinity, 10])], detections: [] },
      { id: 4, groundTruth: [gt([0, 0, 10])], detections: [] },
      { id: 5, groundTruth: [gt([0, 0, 10, 10], 0.5)], detections: [] },
      { id: 6, gts: [] },
    ]) {
      for (const f of [() => evaluateDetections([ok, bad]), () => cocoSummary([ok, bad], 1), () => deeppcbProtocol([ok, bad], 1),
        () => confusionMatrix([ok, bad], ['a'])]) {
        assert.throws(f, (e) => e.code === 'ERR_INVALID_ARG' && new RegExp(`image ${bad.id}`).test(e.message), JSON.stringify(bad));
      }
    }
  });

  it('perfect detections give 1.0 everywhere', () => {
    const images = [
      { id: 1, groundTruth: [gt([0, 0, 50, 50]), gt([100, 100, 300, 260], 1)], detections: [det([0, 0, 50, 50], 0.9), det([100, 100, 300, 260], 0.8, 1)] },
      { id: 2, groundTruth: [gt([10, 10, 20, 20], 1)], detections: [det([10, 10, 20, 20], 0.7, 1)] },
    ];
    const m = evaluateDetections(images, { classNames: ['a', 'b'] });
    for (const k of ['map50', 'map50_95', 'map75', 'precision', 'recall', 'f1']) close(m[k], 1, k);
    // one box of each size: 10x10 small, 50x50 medium, 200x160 large
    for (const s of ['small', 'medium', 'large']) close(m.sizes[s], 1, s);
    for (const c of m.perClass) close(c.ap50_95, 1, c.name);
    const onlySmall = evaluateDetections([images[1]], { classNames: ['a', 'b'] });
    assert.strictEqual(onlySmall.sizes.medium, -1); // no medium ground truth at all
    assert.strictEqual(onlySmall.perClass[0].ap50, -1);
  });

  it('matches the 101-point AP computed by hand', () => {
    // 3 ground truth; ranked detections: hit, miss, hit, miss -> recall 1/3, 1/3, 2/3, 2/3;
    // envelope precision 1, 2/3, 2/3, 1/2. Recall points 0..0.33 (34) sample 1, 0.34..0.66 (33) sample 2/3,
    // 0.67..1 sample 0: AP = (34 + 33 * 2/3) / 101 = 56/101 at every IoU threshold.
    const images = [
      { id: 1, groundTruth: [gt([0, 0, 40, 40]), gt([100, 0, 140, 40])], detections: [det([0, 0, 40, 40], 0.9), det(far(0), 0.8)] },
      { id: 2, groundTruth: [gt([0, 0, 40, 40])], detections: [det([0, 0, 40, 40], 0.7), det(far(1), 0.6)] },
    ];
    const m = evaluateDetections(images);
    close(m.map50, 56 / 101);
    close(m.map50_95, 56 / 101);
    close(m.mar, 2 / 3);
    // At conf 0.65: 2 hits, 1 false alarm, 1 miss.
    const p = evaluateDetections(images, { conf: 0.65 });
    close(p.precision, 2 / 3);
    close(p.recall, 2 / 3);
    assert.deepStrictEqual([p.tp, p.fp, p.fn], [2, 1, 1]);
  });

  it('IoU thresholds: a box at IoU 0.72 counts for 0.50..0.70 only; IoU 0.5 exactly counts at 0.5', () => {
    const m = evaluateDetections([{ id: 1, groundTruth: [gt([0, 0, 100, 100])], detections: [det([0, 0, 100, 72], 0.9)] }]);
    close(m.map50, 1);
    close(m.map75, 0);
    close(m.map50_95, 0.5);
    const half = evaluateDetections([{ id: 1, groundTruth: [gt([0, 0, 100, 100])], detections: [det([0, 0, 100, 50], 0.9)] }]);
    close(half.map50, 1);
    close(half.map50_95, 0.1);
  });

  it('no detections give AP 0; a class without ground truth is -1 and left out of the mean', () => {
    const none = evaluateDetections([{ id: 1, groundTruth: [gt([0, 0, 10, 10])], detections: [] }]);
    assert.strictEqual(none.map50, 0);
    assert.strictEqual(none.map50_95, 0);
    assert.strictEqual(none.recall, 0);
    const images = [{ id: 1, groundTruth: [gt([0, 0, 40, 40])], detections: [det([0, 0, 40, 40], 0.9), det([50, 50, 90, 90], 0.95, 1)] }];
    const m = evaluateDetections(images, { classNames: ['a', 'b', 'c'] });
    assert.strictEqual(m.perClass[1].ap50, -1);
    assert.strictEqual(m.perClass[2].ap50_95, -1);
    close(m.map50, 1); // only class a counts
    close(m.precision, 0.5); // the class-b box is still a false alarm at conf 0.25
  });

  it('ties in score keep input order within an image and image-id order across images', () => {
    const g = [gt([0, 0, 40, 40])];
    const hitFirst = evaluateDetections([{ id: 1, groundTruth: g, detections: [det([0, 0, 40, 40], 0.5), det(far(0), 0.5)] }]);
    close(hitFirst.map50, 1);
    // miss ranked first: precision 0 then 1/2 at recall 1 -> envelope 1/2 everywhere.
    const missFirst = evaluateDetections([{ id: 1, groundTruth: g, detections: [det(far(0), 0.5), det([0, 0, 40, 40], 0.5)] }]);
    close(missFirst.map50, 0.5);
    // Across images the pooled ranking follows ascending image id, not input order.
    const across = evaluateDetections([
      { id: 2, groundTruth: g, detections: [det([0, 0, 40, 40], 0.5)] },
      { id: 1, groundTruth: [], detections: [det(far(0), 0.5)] },
    ]);
    close(across.map50, 0.5);
  });

  it('keeps at most maxDets detections per image and class, by score', () => {
    const dets = Array.from({ length: 100 }, (_, i) => det(far(i), 0.99 - i * 0.001));
    dets.push(det([0, 0, 40, 40], 0.5)); // the hit ranks 101st
    const images = [{ id: 1, groundTruth: [gt([0, 0, 40, 40])], detections: dets }];
    assert.strictEqual(evaluateDetections(images).map50, 0);
    // With room for it: recall 1 reached at precision 1/101.
    close(evaluateDetections(images, { maxDets: 101 }).map50, 1 / 101);
    // The cap is per class: the same false alarms under another class do not push the hit out.
    const other = [{ id: 1, groundTruth: [gt([0, 0, 40, 40])], detections: dets.map((d, i) => (i < 100 ? { ...d, classId: 1 } : d)) }];
    close(evaluateDetections(other, { classNames: ['a', 'b'] }).map50, 1);
  });

  it('area ranges ignore ground truth outside the range and unmatched detections outside it', () => {
    // small hit (20x20), large hit (100x100), small false alarm ranked first.
    const images = [{
      id: 1,
      groundTruth: [gt([0, 0, 20, 20]), gt([200, 200, 300, 300])],
      detections: [det(far(0), 0.95), det([0, 0, 20, 20], 0.9), det([200, 200, 300, 300], 0.8)],
    }];
    const m = evaluateDetections(images);
    close(m.map50, 2 / 3); // precision 0, 1/2, 2/3 at recall 0, 1/2, 1 -> envelope 2/3
    close(m.sizes.small, 0.5); // the large hit is ignored: miss then hit
    close(m.sizes.large, 1); // the small false alarm and small hit are ignored
    assert.strictEqual(m.sizes.medium, -1);
    // The area bounds are inclusive: a 32x32 box (area 1024) is both small and medium.
    const edge = cocoSummary([{ id: 1, groundTruth: [gt([0, 0, 32, 32])], detections: [det([0, 0, 32, 32], 0.9)] }], 1);
    close(edge.sizes.small, 1);
    close(edge.sizes.medium, 1);
    assert.strictEqual(edge.sizes.large, -1);
  });

  it('a detection prefers the higher-IoU ground truth and cannot take one twice', () => {
    // Two overlapping ground truths; the top detection takes the one it overlaps most,
    // the second detection gets the other only if IoU >= 0.5.
    const images = [{
      id: 1,
      groundTruth: [gt([0, 0, 100, 100]), gt([10, 0, 110, 100])],
      detections: [det([10, 0, 110, 100], 0.9), det([0, 0, 100, 100], 0.8), det([5, 0, 105, 100], 0.7)],
    }];
    const m = evaluateDetections(images, { conf: 0 });
    assert.deepStrictEqual([m.tp, m.fp, m.fn], [2, 1, 0]);
    close(m.map50, 1);
  });

  it('confusion matrix: wrong class off the diagonal, misses and false alarms against background', () => {
    const images = [{
      id: 1,
      groundTruth: [gt([0, 0, 40, 40], 0), gt([100, 100, 140, 140], 1), gt([200, 200, 240, 240], 1)],
      detections: [det([0, 0, 40, 40], 0.9, 1), det([200, 200, 240, 240], 0.8, 1), det(far(0), 0.7, 0), det([100, 100, 140, 140], 0.1, 1)],
    }];
    const c = confusionMatrix(images, ['a', 'b'], 0.25, 0.5);
    assert.deepStrictEqual(c.labels, ['a', 'b', 'background']);
    assert.deepStrictEqual(c.matrix, [
      [0, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
    ]);
  });
});

describe('eval: DeepPCB protocol', () => {
  it('needs IoU strictly above 0.33 and the same class', () => {
    const g = [gt([0, 0, 100, 100], 0), gt([200, 0, 300, 100], 1), gt([400, 0, 500, 100], 2)];
    const images = [{
      id: 1,
      groundTruth: g,
      detections: [
        det([0, 0, 100, 33], 0.9, 0), // IoU exactly 0.33: not a hit
        det([200, 0, 300, 34], 0.8, 1), // IoU 0.34: hit
        det([400, 0, 500, 100], 0.7, 0), // right place, wrong class
        det([400, 0, 500, 100], 0.1, 2), // below conf
      ],
    }];
    const p = deeppcbProtocol(images, 3, { conf: 0.5 });
    assert.deepStrictEqual([p.tp, p.fp, p.fn], [1, 2, 2]);
    close(p.precision, 1 / 3);
    close(p.recall, 1 / 3);
    close(p.fscore, 1 / 3);
    // mAP with the same rule uses every detection: class 0 AP 0, class 1 AP 1, class 2 AP 1.
    close(p.map, 2 / 3);
    const viaEval = evaluateDetections(images, { conf: 0.5, deeppcb: true });
    close(viaEval.deeppcb.fscore, 1 / 3);
    close(viaEval.map50, 1 / 3); // IoU 0.34 and 0.33 both fail at 0.5
  });
});
