/**
 * Detection metrics as defined by the COCO reference evaluator (bbox, no
 * crowd special-casing beyond `crowd` boxes): AP over IoU 0.50:0.05:0.95 with
 * 101-point interpolated precision, per class and per object size.
 */
import { AREA_RANGES, AreaRange, ImageMatch, matchImage, stableOrder } from './matching';
import { DieInspectError } from '../core/errors';
import type { EvalImage, GroundTruthBox, PredictedBox } from './types';

/** 0.50, 0.55, ..., 0.95 computed the way numpy's linspace does, so boundary IoUs compare identically. */
export const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));
/** Recall sample points 0, 0.01, ..., 1 (same linspace construction). */
export const RECALL_POINTS = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
/** Guards tp / (tp + fp) where both are 0 (numpy's float64 eps, as the reference evaluator). */
export const EPS = 2.220446049250313e-16;

/** Per class and threshold: AP (-1 without ground truth), final recall, and the 101 sampled precisions. */
export interface ClassCurve {
  ap: number[];
  recall: number[];
  precision: number[][];
}

/**
 * Every evaluation goes through here first. A NaN score or coordinate would not
 * fail: it would sort and compare arbitrarily and bend the metrics silently.
 */
export function checkEvalImages(images: EvalImage[]): void {
  const bad = (img: EvalImage, what: string) => {
    throw new DieInspectError('ERR_INVALID_ARG', `evaluation image ${String(img?.id)}: ${what}`);
  };
  const box = (img: EvalImage, b: unknown, kind: string) => {
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      bad(img, `${kind} box must be 4 finite numbers, got ${JSON.stringify(b)}`);
    }
  };
  for (const img of images) {
    if (!img || !Array.isArray(img.groundTruth) || !Array.isArray(img.detections)) bad(img, 'needs groundTruth and detections arrays');
    for (const g of img.groundTruth) {
      box(img, g.box, 'ground-truth');
      if (!Number.isInteger(g.classId)) bad(img, `classId must be an integer, got ${String(g.classId)}`);
    }
    for (const d of img.detections) {
      box(img, d.box, 'detection');
      if (!Number.isInteger(d.classId)) bad(img, `classId must be an integer, got ${String(d.classId)}`);
      if (typeof d.score !== 'number' || !Number.isFinite(d.score)) bad(img, `detection score must be finite, got ${String(d.score)}`);
    }
  }
}

/** Groups one class's detections and ground truth by image, in image order (after checkEvalImages). */
export function byImageAndClass(images: EvalImage[], numClasses: number): Array<Array<{ dets: PredictedBox[]; gts: GroundTruthBox[] }>> {
  checkEvalImages(images);
  return images.map((img) => {
    const per = Array.from({ length: numClasses }, () => ({ dets: [] as PredictedBox[], gts: [] as GroundTruthBox[] }));
    for (const d of img.detections) if (d.classId >= 0 && d.classId < numClasses) per[d.classId].dets.push(d);
    for (const g of img.groundTruth) if (g.classId >= 0 && g.classId < numClasses) per[g.classId].gts.push(g);
    return per;
  });
}

/** Image order for tie-breaking across images: ascending id (numeric ids numerically). */
export function sortImages(images: EvalImage[]): EvalImage[] {
  return [...images].sort((a, b) => (typeof a.id === 'number' && typeof b.id === 'number'
    ? a.id - b.id : String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
}

/** Leftmost index i with sorted[i] >= v (numpy searchsorted, side='left'); sorted.length if none. */
export function searchsortedLeft(sorted: ArrayLike<number>, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The 101 sampled precisions of a ranked list: recall `rc` and precision `pr` after each of
 * the first `n` detections. `pr` becomes its envelope (the best precision at any higher recall).
 */
export function sampledPrecision(rc: ArrayLike<number>, pr: { [k: number]: number; length: number }, n: number): number[] {
  for (let k = n - 1; k > 0; k--) if (pr[k] > pr[k - 1]) pr[k - 1] = pr[k];
  return RECALL_POINTS.map((r) => {
    const k = searchsortedLeft(rc, r);
    return k < n ? pr[k] : 0;
  });
}

/** Pools one class's per-image matches into AP, recall and the sampled precision curve for each threshold. */
export function accumulate(matches: ImageMatch[], numThresholds: number, maxDets = 100): ClassCurve {
  let total = 0, npig = 0;
  for (const m of matches) {
    total += Math.min(m.scores.length, maxDets);
    npig += m.numGt;
  }
  if (npig === 0) {
    return { ap: new Array(numThresholds).fill(-1), recall: new Array(numThresholds).fill(-1), precision: [] };
  }
  // Pool into flat typed arrays: [threshold * total + detection].
  const scores = new Float64Array(total);
  const matched = new Uint8Array(numThresholds * total), ignored = new Uint8Array(numThresholds * total);
  let at = 0;
  for (const m of matches) {
    const n = Math.min(m.scores.length, maxDets);
    for (let d = 0; d < n; d++) {
      scores[at + d] = m.scores[d];
      for (let t = 0; t < numThresholds; t++) {
        matched[t * total + at + d] = m.matched[t][d];
        ignored[t * total + at + d] = m.ignored[t][d];
      }
    }
    at += n;
  }
  const order = stableOrder(total, (i) => -scores[i]);
  const out: ClassCurve = { ap: [], recall: [], precision: [] };
  const rc = new Float64Array(total), pr = new Float64Array(total);
  for (let t = 0; t < numThresholds; t++) {
    const base = t * total;
    let tp = 0, fp = 0;
    for (let k = 0; k < total; k++) {
      const i = base + order[k];
      if (!ignored[i]) {
        if (matched[i]) tp++;
        else fp++;
      }
      rc[k] = tp / npig;
      pr[k] = tp / (tp + fp + EPS);
    }
    const q = sampledPrecision(rc, pr, total);
    out.precision.push(q);
    out.ap.push(q.reduce((a, b) => a + b, 0) / q.length);
    out.recall.push(total ? rc[total - 1] : 0);
  }
  return out;
}

/** Mean of the entries that are not -1 (classes without ground truth); -1 when none are left. */
export function meanValid(values: number[]): number {
  const v = values.filter((x) => x > -1);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
}

/** COCO curves for every class in one area range. */
export function cocoCurves(images: EvalImage[], numClasses: number,
  o: { range?: AreaRange; maxDets?: number; thresholds?: number[]; strict?: boolean } = {}): ClassCurve[] {
  const thresholds = o.thresholds ?? IOU_THRESHOLDS;
  const grouped = byImageAndClass(sortImages(images), numClasses);
  const curves: ClassCurve[] = [];
  for (let c = 0; c < numClasses; c++) {
    const matches: ImageMatch[] = [];
    for (const img of grouped) {
      const { dets, gts } = img[c];
      if (!dets.length && !gts.length) continue;
      matches.push(matchImage(dets, gts, { thresholds, range: o.range, maxDets: o.maxDets, strict: o.strict }));
    }
    curves.push(accumulate(matches, thresholds.length, o.maxDets ?? 100));
  }
  return curves;
}

export interface CocoSummary {
  map50_95: number;
  map50: number;
  map75: number;
  /** Mean recall at maxDets over IoU 0.50:0.95 (COCO AR@100). */
  mar: number;
  /** Per class AP50 and AP50:95; -1 for a class without ground truth. */
  perClass: Array<{ ap50: number; ap50_95: number }>;
  sizes: { small: number; medium: number; large: number };
  /** Per class, the 101 sampled precisions at IoU 0.5 (empty without ground truth), for PR plots. */
  pr50: number[][];
}

const meanOf = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

/** COCO bbox summary over all classes: mAP@0.5:0.95, @0.5, @0.75, per size, per class. */
export function cocoSummary(images: EvalImage[], numClasses: number, maxDets = 100): CocoSummary {
  const all = cocoCurves(images, numClasses, { maxDets });
  const classAp = (c: { ap: number[] }) => (c.ap[0] === -1 ? -1 : meanOf(c.ap));
  const sizeMap = (name: string) =>
    meanValid(cocoCurves(images, numClasses, { maxDets, range: AREA_RANGES.find((r) => r.name === name) }).map(classAp));
  const t75 = IOU_THRESHOLDS.findIndex((t) => Math.abs(t - 0.75) < 1e-9);
  return {
    map50_95: meanValid(all.map(classAp)),
    map50: meanValid(all.map((c) => c.ap[0])),
    map75: meanValid(all.map((c) => c.ap[t75])),
    mar: meanValid(all.map((c) => (c.recall[0] === -1 ? -1 : meanOf(c.recall)))),
    perClass: all.map((c) => ({ ap50: c.ap[0], ap50_95: classAp(c) })),
    sizes: { small: sizeMap('small'), medium: sizeMap('medium'), large: sizeMap('large') },
    pr50: all.map((c) => c.precision[0] ?? []),
  };
}
