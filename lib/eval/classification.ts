/** Classification metrics: exact ROC AUC (ties as half), the ROC curve, and threshold metrics. */
import { DieInspectError } from '../core/errors';
import { countMetrics } from './threshold-metrics';

export interface RocCurve {
  /** One point per distinct score (highest first), after a leading (0, 0) at threshold +Infinity. */
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** Checks a binary problem (labels 0 or 1, finite scores, one per label); returns its class counts. */
export function checkBinary(scores: ArrayLike<number>, labels: ArrayLike<number>): { pos: number; neg: number } {
  if (scores.length !== labels.length) throw new DieInspectError('ERR_INVALID_ARG', `${scores.length} scores but ${labels.length} labels`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new DieInspectError('ERR_INVALID_ARG', `labels must be 0 or 1, got ${labels[i]}`);
    // a NaN would sort arbitrarily and give some AUC rather than an error
    if (!Number.isFinite(scores[i])) throw new DieInspectError('ERR_INVALID_ARG', `score ${i} must be finite, got ${scores[i]}`);
    pos += labels[i];
  }
  return { pos, neg: labels.length - pos };
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic with average ranks:
 * the probability a random positive scores above a random negative, ties
 * counting one half (equal to the trapezoid area of rocCurve()). NaN when a
 * class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = checkBinary(scores, labels);
  if (!pos || !neg) return NaN;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]] === 1) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const { pos, neg } = checkBinary(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const out: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++;
    else fp++;
    // One point per distinct score: tied samples cross the threshold together.
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    out.fpr.push(neg ? fp / neg : 0);
    out.tpr.push(pos ? tp / pos : 0);
    out.thresholds.push(scores[order[i]]);
  }
  return out;
}

/** Trapezoid area under a curve given by points sorted by x. */
export function trapezoid(x: number[], y: number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return a;
}

export interface ClassificationEvalInput {
  /** True class per sample. */
  labels: number[];
  /** Per sample, one probability per class. */
  probabilities: number[][];
  classNames?: string[];
}

export interface ClassificationEvalOptions {
  /** Binary only: predict positive when p(positive) >= threshold. Default 0.5. */
  threshold?: number;
  /** Binary only: the positive class. Default 1. */
  positiveClass?: number;
}

export interface ClassificationMetrics {
  samples: number;
  /** Binary: AUC of p(positive); more classes: mean one-vs-rest AUC over classes present with both outcomes. */
  auc: number;
  accuracy: number;
  /** Binary: of the positive class at `threshold`; more classes: macro average over classes, by argmax. */
  precision: number;
  recall: number;
  f1: number;
  threshold: number | null;
  perClass: Array<{ classId: number; name: string; support: number; auc: number; precision: number; recall: number; f1: number }>;
  /** matrix[true][predicted]. */
  confusion: number[][];
  /** Binary: ROC of p(positive); more classes: one per class (one-vs-rest). */
  roc: RocCurve[];
}

export function evaluateClassification(input: ClassificationEvalInput, options: ClassificationEvalOptions = {}): ClassificationMetrics {
  const { labels, probabilities } = input;
  if (labels.length !== probabilities.length) {
    throw new DieInspectError('ERR_INVALID_ARG', `${labels.length} labels but ${probabilities.length} probability rows`);
  }
  let k = input.classNames?.length ?? 0;
  for (const p of probabilities) k = Math.max(k, p.length);
  for (const l of labels) {
    if (!Number.isInteger(l) || l < 0 || l >= k) throw new DieInspectError('ERR_INVALID_ARG', `label ${l} outside 0..${k - 1}`);
  }
  const names = input.classNames ?? Array.from({ length: k }, (_, i) => String(i));
  const binary = k === 2;
  const pc = options.positiveClass ?? 1;
  const threshold = options.threshold ?? 0.5;
  const predicted = probabilities.map((p) => {
    if (binary) return (p[pc] ?? 0) >= threshold ? pc : 1 - pc;
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    return best;
  });
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  labels.forEach((l, i) => confusion[l][predicted[i]]++);
  const perClass = names.map((name, c) => {
    const tp = confusion[c][c];
    const fn = confusion[c].reduce((a, b) => a + b, 0) - tp;
    const fp = confusion.reduce((a, row) => a + row[c], 0) - tp;
    const m = countMetrics(tp, fp, fn);
    const scores = probabilities.map((p) => p[c] ?? 0);
    const onehot = labels.map((l) => (l === c ? 1 : 0));
    return { classId: c, name, support: tp + fn, auc: rocAuc(scores, onehot), precision: m.precision, recall: m.recall, f1: m.f1 };
  });
  const correct = labels.filter((l, i) => l === predicted[i]).length;
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const roc = binary ? [rocCurve(probabilities.map((p) => p[pc] ?? 0), labels.map((l) => (l === pc ? 1 : 0)))]
    : names.map((_, c) => rocCurve(probabilities.map((p) => p[c] ?? 0), labels.map((l) => (l === c ? 1 : 0))));
  const present = perClass.filter((c) => c.support > 0);
  return {
    samples: labels.length,
    auc: binary ? perClass[pc].auc : mean(perClass.map((c) => c.auc).filter((a) => !Number.isNaN(a))),
    accuracy: labels.length ? correct / labels.length : 0,
    precision: binary ? perClass[pc].precision : mean(present.map((c) => c.precision)),
    recall: binary ? perClass[pc].recall : mean(present.map((c) => c.recall)),
    f1: binary ? perClass[pc].f1 : mean(present.map((c) => c.f1)),
    threshold: binary ? threshold : null,
    perClass,
    confusion,
    roc,
  };
}
