'use strict';
// Ensemble weights, temperature and calibration error against cases whose answers are known
// by construction (labels drawn from a known mixture or a known temperature) or by hand.
const assert = require('assert');
const { fitEnsembleWeights, fitTemperature, applyTemperature, expectedCalibrationError } = require('../dist/eval');
const { DieInspectError } = require('../dist');
const { random } = require('../dist/eval/bootstrap');
const { mixtureCase } = require('./helpers/mixture');

// The bootstrap's seeded generator (mulberry32): the constructed cases are the same every run.
const rng = random;

describe('ensemble weights and calibration', () => {
  it('recovers the weights of the mixture the labels were drawn from', () => {
    // Each label is 1 with probability 0.7 a + 0.3 b: the log-loss minimiser over mixtures is (0.7, 0.3, 0).
    const n = 40000;
    const { a, b, c, y } = mixtureCase(7, n);
    const { weights, logLoss } = fitEnsembleWeights([a, b, c], y);
    assert.ok(Math.abs(weights[0] - 0.7) < 0.03, String(weights));
    assert.ok(Math.abs(weights[1] - 0.3) < 0.03, String(weights));
    assert.ok(weights[2] < 0.03, String(weights));
    assert.ok(Math.abs(weights.reduce((s, w) => s + w, 0) - 1) < 1e-9);
    // Equal weights do worse on the same data.
    const avg = a.map((_, i) => (a[i] + b[i] + c[i]) / 3);
    const eq = -avg.reduce((s, p, i) => s + (y[i] ? Math.log(p) : Math.log(1 - p)), 0) / n;
    assert.ok(logLoss < eq, `${logLoss} vs ${eq}`);
  });

  it('gives all the weight to a perfect member', () => {
    const y = [0, 1, 0, 1, 1, 0];
    const perfect = y.map((v) => (v ? 0.99 : 0.01));
    const noise = [0.5, 0.4, 0.6, 0.5, 0.3, 0.7];
    const { weights } = fitEnsembleWeights([noise, perfect], y);
    assert.ok(weights[1] > 0.99, String(weights));
  });

  it('finds the temperature the labels were drawn at', () => {
    // Scores sigmoid(z), labels drawn from sigmoid(z / 2): the fitted temperature is near 2.
    const r = rng(11);
    const s = [], y = [];
    for (let i = 0; i < 30000; i++) {
      const z = (r() - 0.5) * 16;
      s.push(1 / (1 + Math.exp(-z)));
      y.push(r() < 1 / (1 + Math.exp(-z / 2)) ? 1 : 0);
    }
    const { temperature } = fitTemperature(s, y);
    assert.ok(Math.abs(temperature - 2) < 0.1, String(temperature));
    // sigmoid(logit(0.8) / 2) = sqrt(4) / (sqrt(4) + 1) = 2 / 3.
    assert.ok(Math.abs(applyTemperature([0.8], 2)[0] - 2 / 3) < 1e-9);
  });

  it('expected calibration error by hand', () => {
    // One bin holds both: mean probability 0.9, positive rate 0.5.
    assert.ok(Math.abs(expectedCalibrationError([0.9, 0.9], [1, 0]) - 0.4) < 1e-12);
    // Two bins: (0.1 vs 0) and (0.8, 0.8 vs 1, 1): (1 x 0.1 + 2 x 0.2) / 3.
    assert.ok(Math.abs(expectedCalibrationError([0.1, 0.8, 0.8], [0, 1, 1]) - 0.5 / 3) < 1e-12);
    assert.strictEqual(expectedCalibrationError([0.25, 0.75, 0.25, 0.75], [0, 1, 0, 1], 2), 0.25);
  });

  it('refuses malformed input with a typed error', () => {
    const typed = (fn) => assert.throws(fn, (e) => e instanceof DieInspectError && e.code === 'ERR_INVALID_ARG');
    typed(() => fitEnsembleWeights([], [1]));
    typed(() => fitEnsembleWeights([[0.5, 0.5]], [1]));
    typed(() => fitEnsembleWeights([[0.5, NaN]], [1, 0]));
    typed(() => fitTemperature([0.5], [2]));
    typed(() => expectedCalibrationError([0.5], [1], 0));
  });
});
