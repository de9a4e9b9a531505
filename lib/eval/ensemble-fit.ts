/**
 * Combining and calibrating classifiers on a validation split (binary problems): ensemble
 * weights that minimise the log-loss of the weighted probability average, a temperature
 * for the average's log-odds, and the expected calibration error that says whether a
 * probability threshold means what it says. Fit these on validation data, never on the
 * split the figures are reported on.
 */
import { DieInspectError } from '../core/errors';
import { calibrate, type Calibration, clampProbability as clamp } from '../stages/combine';
import { checkBinary } from './classification';

/** Mean log-loss of positive-class probabilities (clamped to [1e-7, 1 - 1e-7]). */
export function logLoss(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= labels[i] ? Math.log(clamp(p[i])) : Math.log(1 - clamp(p[i]));
  return s / labels.length;
}

export interface EnsembleWeights {
  /** One per member, non-negative, summing to 1. */
  weights: number[];
  /** Mean log-loss of the weighted average on the data it was fitted on. */
  logLoss: number;
}

/**
 * Weights (non-negative, summing to 1) for averaging members' positive-class probabilities,
 * minimising the mean log-loss: a convex problem on the simplex, solved by exponentiated
 * gradient steps (which keep the weights on it) until they stop moving.
 * `scores[m][i]`: member m's probability for sample i.
 */
export function fitEnsembleWeights(scores: ArrayLike<number>[], labels: ArrayLike<number>,
  options: { iterations?: number } = {}): EnsembleWeights {
  if (!scores.length) throw new DieInspectError('ERR_INVALID_ARG', 'fitEnsembleWeights needs at least one member');
  for (const s of scores) checkBinary(s, labels);
  const m = scores.length;
  const n = labels.length;
  if (n === 0) throw new DieInspectError('ERR_INVALID_ARG', 'fitEnsembleWeights needs at least one sample');
  let w = new Array<number>(m).fill(1 / m);
  const p = new Float64Array(n);
  const mix = (weights: number[]) => {
    p.fill(0);
    for (let k = 0; k < m; k++) for (let i = 0; i < n; i++) p[i] += weights[k] * scores[k][i];
  };
  const iterations = options.iterations ?? 5000;
  let step = 1;
  mix(w);
  let loss = logLoss(p, labels);
  for (let it = 0; it < iterations && step > 1e-9; it++) {
    const g = new Array<number>(m).fill(0);
    for (let i = 0; i < n; i++) {
      const q = clamp(p[i]);
      const d = labels[i] ? -1 / q : 1 / (1 - q);
      for (let k = 0; k < m; k++) g[k] += (d * scores[k][i]) / n;
    }
    const gmax = Math.max(...g.map(Math.abs)) || 1;
    // A step that does not lower the loss is halved; one that does grows a little.
    const next = w.map((x, k) => x * Math.exp((-step * g[k]) / gmax));
    const total = next.reduce((a, b) => a + b, 0);
    const candidate = next.map((x) => x / total);
    mix(candidate);
    const l = logLoss(p, labels);
    if (l <= loss) {
      const moved = Math.max(...candidate.map((x, k) => Math.abs(x - w[k])));
      w = candidate;
      loss = l;
      step *= 1.2;
      if (moved < 1e-10) break;
    } else {
      step /= 2;
      mix(w);
    }
  }
  return { weights: w, logLoss: loss };
}

/** Applies a temperature to probabilities: sigmoid(logit(p) / T). */
export function applyTemperature(scores: ArrayLike<number>, temperature: number): number[] {
  const c: Calibration = { method: 'temperature', temperature };
  return Array.from(scores, (s) => calibrate(s, c));
}

/**
 * The temperature T in [0.05, 20] for which sigmoid(logit(p) / T) has the lowest mean
 * log-loss (golden-section search on log T; the loss is unimodal in it). T > 1 softens
 * over-confident probabilities, T < 1 sharpens timid ones; the ranking (and so the AUC)
 * is unchanged.
 */
export function fitTemperature(scores: ArrayLike<number>, labels: ArrayLike<number>): { temperature: number; logLoss: number } {
  checkBinary(scores, labels);
  if (labels.length === 0) throw new DieInspectError('ERR_INVALID_ARG', 'fitTemperature needs at least one sample');
  const f = (logT: number) => logLoss(applyTemperature(scores, Math.exp(logT)), labels);
  const r = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(0.05);
  let b = Math.log(20);
  let c = b - r * (b - a);
  let d = a + r * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d; d = c; fd = fc; c = b - r * (b - a); fc = f(c);
    } else {
      a = c; c = d; fc = fd; d = a + r * (b - a); fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return { temperature, logLoss: f(Math.log(temperature)) };
}

/**
 * Expected calibration error: samples binned by predicted probability into `bins` equal
 * bins over [0, 1]; the mean over samples of |bin's mean probability - bin's positive
 * rate|. 0 when every bin's probability is its observed frequency.
 */
export function expectedCalibrationError(scores: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  checkBinary(scores, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new DieInspectError('ERR_INVALID_ARG', `bins must be a positive integer, got ${bins}`);
  const sum = new Float64Array(bins);
  const pos = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(scores[i] * bins)));
    sum[b] += scores[i];
    pos[b] += labels[i];
    count[b]++;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b]) e += Math.abs(sum[b] - pos[b]);
  return labels.length ? e / labels.length : NaN;
}

/**
 * Isotonic calibration (pool-adjacent-violators): the non-decreasing step map from score to
 * positive rate that fits the labels best in squared error, each pooled block's rate taken
 * as (positives + 0.5) / (count + 1) so that no probability is exactly 0 or 1. Returned as
 * one point per block (its mean score, its rate), which `calibrate()` joins by straight
 * lines: between blocks the map rises, so it keeps the ranking (and the AUC) of the scores.
 */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): Extract<Calibration, { method: 'isotonic' }> {
  checkBinary(scores, labels);
  if (labels.length === 0) throw new DieInspectError('ERR_INVALID_ARG', 'fitIsotonic needs at least one sample');
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const blocks: Array<{ sum: number; last: number; pos: number; n: number }> = [];
  for (const i of order) {
    const s = scores[i];
    const top = blocks[blocks.length - 1];
    // tied scores always share a block
    if (top && top.last === s) {
      top.sum += s;
      top.pos += labels[i];
      top.n++;
    } else {
      blocks.push({ sum: s, last: s, pos: labels[i], n: 1 });
    }
    // merge while the last block's rate is not above the one before it (equal rates pool too:
    // bigger blocks, less smoothing)
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.pos / a.n < b.pos / b.n) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, last: b.last, pos: a.pos + b.pos, n: a.n + b.n });
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (const b of blocks) {
    // the smoothing may not undo the order
    x.push(Math.min(1, Math.max(0, b.sum / b.n)));
    y.push(Math.max((b.pos + 0.5) / (b.n + 1), y.length ? y[y.length - 1] : 0));
  }
  return { method: 'isotonic', x, y };
}
