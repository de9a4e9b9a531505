'use strict';
// Combination rules, isotonic calibration and the cross-validated choice between rules,
// against answers known by hand or by construction.
const assert = require('assert');
const { chooseEnsemble, fitIsotonic, rocAuc } = require('../dist/eval');
const { combine } = require('../dist');
const { calibrate, rankAmong } = require('../dist/stages/combine');
const { random } = require('../dist/eval/bootstrap');
const { mixtureCase } = require('./helpers/mixture');

const near = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

describe('combination rules', () => {
  it('mean, logit (normalised geometric mean) and rank by hand', () => {
    const a = [0.2, 0.8];
    const b = [0.6, 0.4];
    const w = [3, 1];
    const mean = combine([a, b], { rule: 'mean', weights: w });
    near(mean[1], 0.75 * 0.8 + 0.25 * 0.4);
    const lg = combine([a, b], { rule: 'logit', weights: w });
    near(lg[1], 1 / (1 + Math.exp(-(0.75 * Math.log(4) + 0.25 * Math.log(0.4 / 0.6)))));
    near(lg[0] + lg[1], 1);
    // three classes: p_c proportional to a_c^0.5 b_c^0.5
    const g = combine([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], { rule: 'logit', weights: [1, 1] });
    const raw = [Math.sqrt(0.05), Math.sqrt(0.03), Math.sqrt(0.16)];
    raw.forEach((v, i) => near(g[i], v / raw.reduce((x, y) => x + y)));
    // a's 0.8 is the 2nd of references (0.1, 0.8, 0.9): 2 / 4; b's 0.4 is above both of its (0.1, 0.3),
    // half a step beyond the last: (2 - 0.5 + 1) / 3
    const r = combine([a, b], { rule: 'rank', weights: [1, 1], ranks: [[0.1, 0.8, 0.9], [0.1, 0.3]] });
    near(r[1], 0.5 * (2 / 4) + 0.5 * (2.5 / 3));
    // a failed member is left out
    near(combine([null, b], { rule: 'mean', weights: w })[1], 0.4);
    assert.strictEqual(combine([null, null], { rule: 'mean', weights: w }), null);
  });

  it('ranks ties at their middle and interpolates between references in log-odds', () => {
    near(rankAmong([0.2, 0.5, 0.5, 0.9], 0.5), 2.5 / 5);
    const lo = Math.log(0.2 / 0.8);
    const hi = Math.log(0.9 / 0.1);
    const s = 1 / (1 + Math.exp(-(lo + 0.25 * (hi - lo))));
    near(rankAmong([0.2, 0.9], s), 1.25 / 3);
    near(rankAmong([0.2, 0.9], 0.01), 0.5 / 3);
    near(rankAmong([0.2, 0.9], 0.99), 2.5 / 3);
  });
});

describe('isotonic calibration', () => {
  it('pools adjacent violators by hand and keeps the order of scores', () => {
    // labels 0 0 1 0 1 1 1 1: blocks {0.1, 0.2} (0 of 2), {0.3, 0.4} (1 of 2), {0.5 .. 0.8} (4 of 4)
    const s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const c = fitIsotonic(s, [0, 0, 1, 0, 1, 1, 1, 1]);
    [0.15, 0.35, 0.65].forEach((v, i) => near(c.x[i], v));
    [0.5 / 3, 1.5 / 3, 4.5 / 5].forEach((v, i) => near(c.y[i], v));
    near(calibrate(0.25, c), (0.5 / 3 + 1.5 / 3) / 2);
    near(calibrate(0.075, c), (0.5 / 3) / 2); // on the line to (0, 0)
    near(calibrate(1, c), 1);
    const mapped = s.map((v) => calibrate(v, c));
    for (let i = 1; i < mapped.length; i++) assert.ok(mapped[i] > mapped[i - 1], String(mapped));
  });

  it('recovers a known miscalibration', () => {
    // scores u, labels drawn with probability u^2: the calibrated map is near u^2
    const r = random(3);
    const s = [], y = [];
    for (let i = 0; i < 20000; i++) {
      s.push(r());
      y.push(r() < s[i] * s[i] ? 1 : 0);
    }
    const c = fitIsotonic(s, y);
    for (const u of [0.2, 0.5, 0.8]) near(calibrate(u, c), u * u, 0.04);
  });
});

describe('chooseEnsemble', () => {
  // Labels drawn from 0.7 a + 0.3 b: the weighted mean recovers the mixture and beats the others
  // out of fold; member c is noise.
  const { a, b, c, y, r } = mixtureCase(7, 6000);

  it('recovers known weights and chooses them by cross-validated log-loss', () => {
    const choice = chooseEnsemble([a, b, c], y, { calibration: 'none', folds: 4, seed: 2 });
    assert.strictEqual(choice.chosen.candidate, 'weighted');
    const [wa, wb, wc] = choice.chosen.combination.weights;
    near(wa, 0.7, 0.05);
    near(wb, 0.3, 0.05);
    assert.ok(wc < 0.05, String(wc));
    const ll = Object.fromEntries(choice.candidates.map((x) => [x.candidate, x.crossValidated.logLoss]));
    assert.ok(ll.weighted < ll.equal && ll.weighted < ll.logit && ll.weighted < ll.rank, JSON.stringify(ll));
    // each member alone is worse than the mixture
    for (const m of choice.members) assert.ok(m.logLoss > ll.weighted);
    // the whole-split fit's figures are its own: AUC of the combined scores
    const p = a.map((v, i) => wa * v + wb * b[i] + wc * c[i]);
    near(choice.chosen.resubstitution.auc, rocAuc(p, y), 1e-9);
  });

  it('calibrates: a member twice as confident as it should be is softened by a temperature near 2', () => {
    const s = [], yy = [];
    for (let i = 0; i < 6000; i++) {
      const z = (r() - 0.5) * 12;
      s.push(1 / (1 + Math.exp(-z)));
      yy.push(r() < 1 / (1 + Math.exp(-z / 2)) ? 1 : 0);
    }
    const choice = chooseEnsemble([s], yy, { candidates: ['equal'], calibration: 'temperature' });
    near(choice.chosen.combination.calibration.temperature, 2, 0.2);
    assert.ok(choice.chosen.crossValidated.ece < 0.03, String(choice.chosen.crossValidated.ece));
  });

  it('with a budget, tries every set of members within it and none over it', () => {
    // a and b together are the truth's mixture; b is too dear to go with a, so the best affordable set is chosen
    const choice = chooseEnsemble([a, b, c], y, { calibration: 'none', folds: 4, seed: 2, costs: [1, 5, 1], budget: 5 });
    const sets = new Set(choice.candidates.map((x) => x.members.join(',')));
    assert.deepStrictEqual([...sets].sort(), ['0', '0,2', '1', '2']);
    for (const x of choice.candidates) {
      x.combination.weights.forEach((w, j) => { if (!x.members.includes(j)) assert.strictEqual(w, 0); });
    }
    // a carries 0.7 of the truth; without b the best mixture leans on a, with c (independent, mean 0.5)
    // standing in for b's share as a pull towards 0.5
    assert.deepStrictEqual(choice.chosen.members, [0, 2]);
    assert.strictEqual(choice.chosen.candidate, 'weighted');
    assert.ok(choice.chosen.combination.weights[0] > 0.7, JSON.stringify(choice.chosen.combination.weights));
    // a budget that fits everyone tries the full set too; the truth's mixture of a and b wins (with or without c)
    const all = chooseEnsemble([a, b, c], y, { calibration: 'none', folds: 4, seed: 2, costs: [1, 1, 1], budget: 3 });
    assert.strictEqual(new Set(all.candidates.map((x) => x.members.join(','))).size, 7);
    assert.strictEqual(all.chosen.candidate, 'weighted');
    near(all.chosen.combination.weights[0], 0.7, 0.05);
    near(all.chosen.combination.weights[1], 0.3, 0.05);
    assert.throws(() => chooseEnsemble([a, b], y, { costs: [2, 2], budget: 1 }), { code: 'ERR_INVALID_ARG', message: /no member fits/ });
    assert.throws(() => chooseEnsemble([a, b], y, { costs: [2], budget: 1 }), { code: 'ERR_INVALID_ARG' });
  });

  it('refuses too few samples for its folds, unknown candidates and calibrations', () => {
    assert.throws(() => chooseEnsemble([[0.1, 0.9, 0.2]], [0, 1, 0]), { code: 'ERR_INVALID_ARG', message: /folds/ });
    assert.throws(() => chooseEnsemble([a], y, { candidates: ['median'] }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => chooseEnsemble([a], y, { calibration: 'platt' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => chooseEnsemble([], y), { code: 'ERR_INVALID_ARG' });
  });
});
