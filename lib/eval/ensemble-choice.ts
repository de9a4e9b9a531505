/**
 * Choosing how to combine an ensemble on a validation split (binary problems): the
 * equal-weight mean, the mean with log-loss-fitted weights, the logit mean and the rank
 * mean, each followed by a calibration, compared by k-fold cross-validation on that split
 * (every figure from probabilities of samples the fold's fit did not see), the best by
 * cross-validated log-loss refitted on the whole split. What it returns is what
 * `ClassifierEnsemble` runs: the same `combine()`.
 */
import { DieInspectError } from '../core/errors';
import { Calibration, Combination, CombineRule, combine } from '../stages/combine';
import { random } from './bootstrap';
import { checkBinary, rocAuc } from './classification';
import { expectedCalibrationError, fitEnsembleWeights, fitIsotonic, fitTemperature, logLoss } from './ensemble-fit';

/** The candidates compared: a rule and how its weights are set. */
export type EnsembleCandidate = 'equal' | 'weighted' | 'logit' | 'rank';
export const ENSEMBLE_CANDIDATES: readonly EnsembleCandidate[] = ['equal', 'weighted', 'logit', 'rank'];

/** auto: temperature or isotonic, whichever gives the candidate the lower cross-validated log-loss. */
export type CalibrationChoice = 'auto' | 'temperature' | 'isotonic' | 'none';
type CalibrationMethod = Exclude<CalibrationChoice, 'auto'>;

export interface CandidateFigures {
  logLoss: number;
  /** Cross-validated: the mean of the folds' AUCs (each fold's own fit ranks its samples; pooled, the folds' maps would mix). */
  auc: number;
  /** Expected calibration error, 10 bins. */
  ece: number;
}

export interface CandidateResult {
  candidate: EnsembleCandidate;
  /** Fitted on the whole split. */
  combination: Combination;
  /** Cross-validated: each sample scored by a fit that left its fold out. */
  crossValidated: CandidateFigures;
  /** The whole-split fit scored on the same split (optimistic; for comparison). */
  resubstitution: CandidateFigures;
}

export interface EnsembleChoice {
  /** The candidate with the lowest cross-validated log-loss (ties: the earlier, simpler one). */
  chosen: CandidateResult;
  candidates: CandidateResult[];
  /** Each member alone, calibrated the same way, cross-validated (in member order). */
  members: CandidateFigures[];
  folds: number;
  seed: number;
  samples: number;
}

export interface EnsembleChoiceOptions {
  candidates?: readonly EnsembleCandidate[];
  calibration?: CalibrationChoice;
  /** Cross-validation folds (stratified). Default 5. */
  folds?: number;
  /** Seed of the fold assignment. Default 1. */
  seed?: number;
}

const RULE: Record<EnsembleCandidate, CombineRule> = { equal: 'mean', weighted: 'mean', logit: 'logit', rank: 'rank' };

/** Fits one candidate on the samples `idx` of `scores[m][i]` (positive-class probabilities). */
function fitCandidate(c: EnsembleCandidate, scores: ArrayLike<number>[], labels: ArrayLike<number>, idx: number[],
  method: CalibrationMethod): Combination {
  const sub = scores.map((s) => idx.map((i) => s[i]));
  const y = idx.map((i) => labels[i]);
  const m = scores.length;
  const weights = c === 'weighted' ? dropNegligible(fitEnsembleWeights(sub, y).weights) : new Array<number>(m).fill(1 / m);
  const base: Combination = { rule: RULE[c], weights, positive: 1,
    ...(c === 'rank' ? { ranks: sub.map((s) => [...s].sort((a, b) => a - b)) } : {}) };
  if (method === 'none') return base;
  const raw = combined(sub, base);
  const cal: Calibration = method === 'temperature'
    ? { method, temperature: fitTemperature(raw, y).temperature } : fitIsotonic(raw, y);
  return { ...base, calibration: cal };
}

/** Weights under 0.001 set to 0 (and the rest renormalised): a member that barely counts need not run at all. */
function dropNegligible(w: number[]): number[] {
  const kept = w.map((x) => (x < 1e-3 ? 0 : x));
  const total = kept.reduce((a, b) => a + b, 0);
  return kept.map((x) => x / total);
}

/** The positive-class probability `c` gives each sample of `scores[m][i]`. */
export function combined(scores: ArrayLike<number>[], c: Combination, idx?: number[]): number[] {
  const rows = idx ?? Array.from(scores[0], (_, i) => i);
  return rows.map((i) => combine(scores.map((s) => [1 - s[i], s[i]]), c)![1]);
}

function figures(p: number[], y: ArrayLike<number>): CandidateFigures {
  return { logLoss: logLoss(p, y), auc: rocAuc(p, y), ece: expectedCalibrationError(p, y) };
}

/** Stratified folds: each class shuffled (seeded) and dealt round-robin. */
function foldsOf(labels: ArrayLike<number>, k: number, seed: number): number[][] {
  const r = random(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  for (const cls of [0, 1]) {
    const idx = Array.from(labels, (l, i) => (l === cls ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.forEach((i, n) => folds[n % k].push(i));
  }
  return folds;
}

/**
 * Compares the candidates on a validation split: `scores[m][i]` is member m's
 * positive-class probability for sample i, `labels[i]` 0 or 1.
 */
export function chooseEnsemble(scores: ArrayLike<number>[], labels: ArrayLike<number>,
  options: EnsembleChoiceOptions = {}): EnsembleChoice {
  if (!scores.length) throw new DieInspectError('ERR_INVALID_ARG', 'chooseEnsemble needs at least one member');
  for (const s of scores) checkBinary(s, labels);
  const k = options.folds ?? 5;
  const seed = options.seed ?? 1;
  const calibration = options.calibration ?? 'auto';
  const names = options.candidates ?? ENSEMBLE_CANDIDATES;
  if (!['auto', 'temperature', 'isotonic', 'none'].includes(calibration)) {
    throw new DieInspectError('ERR_INVALID_ARG', `calibration must be auto, temperature, isotonic or none, got ${String(calibration)}`);
  }
  const unknown = names.find((c) => !ENSEMBLE_CANDIDATES.includes(c));
  if (unknown !== undefined || !names.length) {
    throw new DieInspectError('ERR_INVALID_ARG', `candidates: some of ${ENSEMBLE_CANDIDATES.join(', ')}, got ${String(unknown ?? 'none')}`);
  }
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i];
  if (!Number.isInteger(k) || k < 2 || Math.min(pos, labels.length - pos) < k) {
    throw new DieInspectError('ERR_INVALID_ARG',
      `chooseEnsemble: ${k} folds need a whole number >= 2 and at least ${k} samples of each class `
      + `(${pos} positive, ${labels.length - pos} negative)`);
  }
  const folds = foldsOf(labels, k, seed);
  const all = Array.from(labels, (_, i) => i);
  const crossValidate = (fit: (idx: number[]) => Combination, sc: ArrayLike<number>[]) => {
    const p = new Array<number>(labels.length);
    let auc = 0;
    folds.forEach((held, f) => {
      const train = folds.flatMap((fold, g) => (g === f ? [] : fold));
      const q = combined(sc, fit(train), held);
      q.forEach((v, j) => { p[held[j]] = v; });
      auc += rocAuc(q, held.map((i) => labels[i])) / k;
    });
    return { ...figures(p, labels), auc };
  };
  const methods: CalibrationMethod[] = calibration === 'auto' ? ['temperature', 'isotonic'] : [calibration];
  // each candidate (and each member alone) with the calibration that serves it best out of fold
  const best = (c: EnsembleCandidate, sc: ArrayLike<number>[]) => methods
    .map((method) => ({ method, figures: crossValidate((idx) => fitCandidate(c, sc, labels, idx, method), sc) }))
    .reduce((a, b) => (b.figures.logLoss < a.figures.logLoss - 1e-12 ? b : a));
  const candidates = names.map((c): CandidateResult => {
    const { method, figures: crossValidated } = best(c, scores);
    const combination = fitCandidate(c, scores, labels, all, method);
    return { candidate: c, combination, crossValidated, resubstitution: figures(combined(scores, combination), labels) };
  });
  const members = scores.map((s) => best('equal', [s]).figures);
  const chosen = candidates.reduce((best, c) => (c.crossValidated.logLoss < best.crossValidated.logLoss - 1e-12 ? c : best));
  return { chosen, candidates, members, folds: k, seed, samples: labels.length };
}
