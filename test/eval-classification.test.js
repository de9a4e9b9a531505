'use strict';
const assert = require('assert');
const { rocAuc, rocCurve, evaluateClassification } = require('../dist/eval');

const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-4, `${msg ?? ''} expected ${b}, got ${a}`);
const trapezoid = (c) => c.fpr.reduce((a, x, i) => (i ? a + ((x - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1])) / 2 : a), 0);

describe('eval: classification metrics', () => {
  it('refuses non-finite scores (a NaN would sort anywhere and give some AUC)', () => {
    for (const f of [() => rocAuc([0.1, NaN, 0.9, 0.4], [0, 1, 1, 0]), () => rocCurve([0.1, Infinity], [0, 1])]) {
      assert.throws(f, { code: 'ERR_INVALID_ARG', message: /finite/ });
    }
  });

  it('AUC of a small hand case is 0.75 and equals the ROC trapezoid', () => {
    const s = [0.1, 0.4, 0.35, 0.8], y = [0, 0, 1, 1];
    close(rocAuc(s, y), 0.75);
    const c = rocCurve(s, y);
    assert.deepStrictEqual(c.fpr, [0, 0, 0.5, 0.5, 1]);
    assert.deepStrictEqual(c.tpr, [0, 0.5, 0.5, 1, 1]);
    assert.deepStrictEqual(c.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
    close(trapezoid(c), 0.75);
  });

  it('ties count one half (average ranks) and give one ROC point per distinct score', () => {
    // pairs (pos, neg): (0.6, 0.2) 1, (0.6, 0.6) 1/2, (0.9, 0.2) 1, (0.9, 0.6) 1 -> 3.5 / 4
    const s = [0.2, 0.6, 0.6, 0.9], y = [0, 0, 1, 1];
    close(rocAuc(s, y), 0.875);
    const c = rocCurve(s, y);
    assert.deepStrictEqual(c.fpr, [0, 0, 0.5, 1]);
    assert.deepStrictEqual(c.tpr, [0, 0.5, 1, 1]);
    close(trapezoid(c), 0.875);
    close(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
    close(rocAuc([0.9, 0.8, 0.1], [0, 0, 1]), 0);
    assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])));
    assert.throws(() => rocAuc([0.1], [2]), (e) => e.code === 'ERR_INVALID_ARG');
  });

  it('binary accuracy, precision, recall, F1 at a threshold', () => {
    const probabilities = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
    const m = evaluateClassification({ labels: [0, 0, 1, 1], probabilities, classNames: ['good', 'defect'] });
    close(m.auc, 0.75);
    close(m.accuracy, 0.75); // predicted 0, 0, 0, 1
    close(m.precision, 1);
    close(m.recall, 0.5);
    close(m.f1, 2 / 3);
    assert.deepStrictEqual(m.confusion, [[2, 0], [1, 1]]);
    const low = evaluateClassification({ labels: [0, 0, 1, 1], probabilities }, { threshold: 0.3 });
    close(low.accuracy, 0.75); // predicted 0, 1, 1, 1
    close(low.precision, 2 / 3);
    close(low.recall, 1);
    close(low.f1, 0.8);
  });

  it('more classes: argmax accuracy, macro P/R/F1, mean one-vs-rest AUC', () => {
    const probabilities = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]];
    const m = evaluateClassification({ labels: [0, 1, 2, 2], probabilities });
    close(m.accuracy, 0.75);
    // class 0: P 1 R 1; class 1: P 1/2 R 1; class 2: P 1 R 1/2
    close(m.precision, (1 + 0.5 + 1) / 3);
    close(m.recall, (1 + 1 + 0.5) / 3);
    close(m.f1, (1 + 2 / 3 + 2 / 3) / 3);
    // one-vs-rest AUCs: class 0 -> 1; class 1 scores [.2,.8,.5,.1] pos {.8} -> 1; class 2 [.1,.1,.3,.8] pos {.3,.8} -> 1
    close(m.auc, 1);
    assert.strictEqual(m.threshold, null);
  });
});
