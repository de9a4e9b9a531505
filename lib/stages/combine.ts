/**
 * How an ensemble turns its members' class probabilities into one, and how that one is
 * calibrated so that a threshold on it means what it says. The rules and maps an ensemble
 * manifest names; fitting them on validation data is die-inspect/eval's job.
 */
import { DieInspectError } from '../core/errors';

/**
 * - `mean`: the weighted mean of the probabilities.
 * - `logit`: the weighted mean of the log-probabilities, renormalised (a geometric mean);
 *   for two classes, the sigmoid of the weighted mean log-odds.
 * - `rank`: two classes only: the weighted mean of each member's rank of its positive-class
 *   probability among its own validation scores (`ranks`), so members whose scores live
 *   on different scales count alike.
 */
export type CombineRule = 'mean' | 'logit' | 'rank';
export const COMBINE_RULES: readonly CombineRule[] = ['mean', 'logit', 'rank'];

/**
 * A map from the combined positive-class score to a probability:
 * `temperature`: sigmoid(logit(p) / T) (for more classes, p_c^(1/T) renormalised);
 * `isotonic`: the piecewise-linear map through the points (x[i], y[i]) (ascending), joined
 * beyond them to (0, 0) and (1, 1), so that it keeps the order of scores it is given.
 */
export type Calibration =
  | { method: 'temperature'; temperature: number }
  | { method: 'isotonic'; x: number[]; y: number[] };

/** How members' probabilities become one vector: what a manifest stores beside its members. */
export interface Combination {
  rule: CombineRule;
  /** One per member, non-negative, not all zero. */
  weights: number[];
  /** Rule `rank`: each member's validation positive-class probabilities, ascending. */
  ranks?: number[][];
  calibration?: Calibration;
  /** The class whose probability `rank` and a binary calibration refer to. Default 1. */
  positive?: number;
}

const EPS = 1e-7;
/** A probability kept within [1e-7, 1 - 1e-7], where its log-odds and log-loss are finite. */
export const clampProbability = (p: number): number => Math.min(1 - EPS, Math.max(EPS, p));
const clamp = clampProbability;
export const logit = (p: number): number => Math.log(clamp(p) / (1 - clamp(p)));
export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** First index in ascending `a` whose value is >= v (strict: > v). */
function bound(a: ArrayLike<number>, v: number, strict: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? a[mid] <= v : a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Where `s` ranks among the ascending reference scores `sorted`, in (0, 1): the i-th of n
 * references sits at (i + 1) / (n + 1), ties at their middle, scores between two references
 * linearly between them in log-odds, scores outside half a step beyond the ends.
 */
export function rankAmong(sorted: ArrayLike<number>, s: number): number {
  const n = sorted.length;
  const lo = bound(sorted, s, false);
  const hi = bound(sorted, s, true);
  let pos: number;
  if (hi > lo) pos = (lo + hi - 1) / 2;
  else if (lo === 0) pos = -0.5;
  else if (lo === n) pos = n - 0.5;
  else {
    const a = logit(sorted[lo - 1]);
    const b = logit(sorted[lo]);
    pos = lo - 1 + (b > a ? (logit(s) - a) / (b - a) : 0.5);
  }
  return (pos + 1) / (n + 1);
}

/** The calibrated positive-class probability of a combined score. */
export function calibrate(p: number, c: Calibration | undefined): number {
  if (!c) return p;
  if (c.method === 'temperature') return sigmoid(logit(p) / c.temperature);
  const { x, y } = c;
  const n = x.length - 1;
  if (p <= x[0]) return x[0] > 0 ? (y[0] * p) / x[0] : y[0];
  if (p >= x[n]) return x[n] < 1 ? y[n] + ((1 - y[n]) * (p - x[n])) / (1 - x[n]) : y[n];
  const i = bound(x, p, true);
  const t = x[i] > x[i - 1] ? (p - x[i - 1]) / (x[i] - x[i - 1]) : 1;
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

/**
 * One probability vector from the members' (`probs[m]`, left out where `probs[m]` is null,
 * e.g. a member that failed on the image), by the combination's rule, then calibrated.
 * Null when no member with a positive weight is left.
 */
export function combine(probs: Array<number[] | null>, c: Combination): number[] | null {
  const live = probs.map((p, m) => ({ p, w: c.weights[m], m })).filter((e): e is { p: number[]; w: number; m: number } => !!e.p && e.w > 0);
  if (!live.length) return null;
  const k = live[0].p.length;
  if (live.some(({ p }) => p.length !== k)) {
    throw new DieInspectError('ERR_CONFIG', `ensemble members disagree on the class count: ${live.map(({ p }) => p.length).join(', ')}`);
  }
  const total = live.reduce((s, { w }) => s + w, 0);
  const pos = c.positive ?? 1;
  let out = new Array<number>(k).fill(0);
  if (c.rule === 'mean') {
    for (const { p, w } of live) for (let j = 0; j < k; j++) out[j] += (w / total) * p[j];
  } else if (c.rule === 'logit') {
    for (const { p, w } of live) for (let j = 0; j < k; j++) out[j] += (w / total) * Math.log(Math.max(p[j], 1e-30));
    const top = Math.max(...out);
    out = out.map((v) => Math.exp(v - top));
    const z = out.reduce((a, b) => a + b, 0);
    out = out.map((v) => v / z);
  } else {
    let r = 0;
    for (const { p, w, m } of live) r += (w / total) * rankAmong(c.ranks![m], p[pos]);
    out[pos] = r;
    out[1 - pos] = 1 - r;
  }
  if (!c.calibration) return out;
  if (k === 2) {
    const q = calibrate(out[pos], c.calibration);
    out[pos] = q;
    out[1 - pos] = 1 - q;
    return out;
  }
  // more classes: only a temperature applies (checked where the combination is made)
  const t = (c.calibration as { temperature: number }).temperature;
  out = out.map((v) => Math.pow(Math.max(v, 1e-30), 1 / t));
  const z = out.reduce((a, b) => a + b, 0);
  return out.map((v) => v / z);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const ascending = (a: number[]) => a.every((v, i) => i === 0 || v >= a[i - 1]);

/**
 * Checks a combination for `members` members and `classes` classes (null: not known yet);
 * `where` names it in the error (ERR_CONFIG).
 */
export function checkCombination(c: Combination, members: number, classes: number | null, where: string): void {
  const bad = (what: string) => new DieInspectError('ERR_CONFIG', `${where}: ${what}`);
  if (!COMBINE_RULES.includes(c.rule)) throw bad(`rule must be one of ${COMBINE_RULES.join(', ')}, got ${JSON.stringify(c.rule)}`);
  const w = c.weights;
  if (!Array.isArray(w) || w.length !== members || w.some((x) => !finite(x) || x < 0) || !w.some((x) => x > 0)) {
    throw bad(`weights: one non-negative number per member (${members}), not all zero`);
  }
  if (c.positive !== undefined && !(Number.isInteger(c.positive) && (c.positive === 0 || c.positive === 1))) {
    throw bad(`positive must be 0 or 1, got ${JSON.stringify(c.positive)}`);
  }
  const binary = c.rule === 'rank' || c.calibration?.method === 'isotonic' || c.positive !== undefined;
  if (binary && classes !== null && classes !== 2) {
    throw bad(`rule ${c.rule}${c.calibration ? ` with ${c.calibration.method} calibration` : ''} needs two classes, not ${classes}`);
  }
  if (c.rule === 'rank') {
    const r = c.ranks;
    if (!Array.isArray(r) || r.length !== members
      || r.some((a, m) => !Array.isArray(a) || (w[m] > 0 && !a.length) || a.some((v) => !finite(v) || v < 0 || v > 1) || !ascending(a))) {
      throw bad('rule rank needs ranks: for each member of positive weight a non-empty ascending list of probabilities in [0, 1]');
    }
  }
  const cal = c.calibration;
  if (cal === undefined) return;
  if (cal.method === 'temperature') {
    if (!finite(cal.temperature) || cal.temperature <= 0) {
      throw bad(`calibration temperature must be a positive number, got ${cal.temperature}`);
    }
  } else if (cal.method === 'isotonic') {
    const { x, y } = cal;
    if (!Array.isArray(x) || !Array.isArray(y) || !x.length || x.length !== y.length
      || [...x, ...y].some((v) => !finite(v) || v < 0 || v > 1) || !ascending(x) || !ascending(y)) {
      throw bad('isotonic calibration needs x and y: equally long, non-empty, ascending, in [0, 1]');
    }
  } else {
    throw bad(`calibration method must be temperature or isotonic, got ${JSON.stringify((cal as { method: unknown }).method)}`);
  }
}
