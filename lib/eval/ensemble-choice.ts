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
  /** The members it combines (indices); the others have weight 0 in `combination`. */
  members: number[];
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
  /** Every candidate of every member set tried: all the members first, then (with a budget) each smaller set within it. */
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
  /**
   * Each member's cost (e.g. milliseconds an image) and the most a combination may cost:
   * every set of members whose costs sum to at most `budget` is tried with every candidate,
   * and the sets over it are not (the full set included). At most 10 members.
   */
  costs?: number[];
  budget?: number;
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

/** The member sets to try: all of them, or with a budget every set whose costs fit it (larger sets first). */
function memberSets(m: number, o: EnsembleChoiceOptions): number[][] {
  const everyone = Array.from({ length: m }, (_, j) => j);
  if (o.budget === undefined && o.costs === undefined) return [everyone];
  const { costs, budget } = o;
  if (!Array.isArray(costs) || costs.length !== m || costs.some((c) => !(Number.isFinite(c) && c >= 0))
    || !(typeof budget === 'number' && Number.isFinite(budget) && budget > 0)) {
    throw new DieInspectError('ERR_INVALID_ARG', `a budget needs one non-negative cost per member (${m}) and a positive budget`);
  }
  if (m > 10) throw new DieInspectError('ERR_INVALID_ARG', `a budget tries every set of members: at most 10, not ${m}`);
  const sets: number[][] = [];
  for (let mask = (1 << m) - 1; mask > 0; mask--) {
    const set = everyone.filter((j) => mask & (1 << j));
    if (set.reduce((t, j) => t + costs[j], 0) <= budget) sets.push(set);
  }
  if (!sets.length) {
    throw new DieInspectError('ERR_INVALID_ARG', `no member fits the budget ${budget} (costs ${costs.join(', ')})`);
  }
  return sets.sort((a, b) => b.length - a.length);
}

/** A combination fitted on a set of members, over all `m` members (weight 0, no ranks, for the others). */
function widen(c: Combination, set: number[], m: number): Combination {
  if (set.length === m) return c;
  const weights = new Array<number>(m).fill(0);
  set.forEach((j, k) => { weights[j] = c.weights[k]; });
  const out: Combination = { ...c, weights };
  if (c.ranks) {
    const ranks: number[][] = Array.from({ length: m }, () => []);
    set.forEach((j, k) => { ranks[j] = c.ranks![k]; });
    out.ranks = ranks;
  }
  return out;
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
  const m = scores.length;
  const candidates = memberSets(m, options).flatMap((set) => names.map((c): CandidateResult => {
    const sub = set.map((j) => scores[j]);
    const { method, figures: crossValidated } = best(c, sub);
    const combination = widen(fitCandidate(c, sub, labels, all, method), set, m);
    return { candidate: c, members: set, combination, crossValidated, resubstitution: figures(combined(scores, combination), labels) };
  }));
  const members = scores.map((s) => best('equal', [s]).figures);
  const chosen = candidates.reduce((b, c) => (c.crossValidated.logLoss < b.crossValidated.logLoss - 1e-12 ? c : b));
  return { chosen, candidates, members, folds: k, seed, samples: labels.length };
}
