/**
 * Confidence intervals for mAP (and ROC AUC): the percentile bootstrap over images. A held-out split of
 * a few hundred images leaves mAP uncertain by a point or more, and two models (or a model
 * and a target) should not be told apart on less than that.
 *
 * Each resample draws as many images as the split has, with replacement. Images are
 * matched once; a resample only reweights them (an image drawn twice counts twice), which
 * gives the same AP as evaluating the drawn images afresh (test/eval-bootstrap.test.js).
 */
import { byImageAndClass, EPS, IOU_THRESHOLDS, meanValid, sampledPrecision, sortImages } from './coco-map';
import { rocAuc } from './classification';
import { matchImage, stableOrder } from './matching';
import type { EvalImage } from './types';

export interface BootstrapOptions {
  /** Resamples. Default 1000. */
  samples?: number;
  /** Seed of the resampling; the same seed gives the same intervals. Default 0. */
  seed?: number;
  /** Coverage of the intervals. Default 0.95. */
  level?: number;
  /** COCO detections kept per image and class. Default 100. */
  maxDets?: number;
}

/** [low, high]; [-1, -1] for a class no resample has ground truth of. */
export type Interval = [number, number];

export interface MapIntervals {
  samples: number;
  seed: number;
  level: number;
  map50: Interval;
  map50_95: Interval;
  perClass: Array<{ ap50: Interval; ap50_95: Interval }>;
}

/** One class's detections over every image, pooled in the order AP ranks them. */
interface PooledClass {
  /** Per pooled detection: its image (index into the sorted images). */
  image: Int32Array;
  /** [threshold * n + k]: matched / ignored. */
  matched: Uint8Array;
  ignored: Uint8Array;
  /** Per image: ground truth that counts. */
  numGt: Int32Array;
}

/** Matches computed once, so that every resample is a reweighting. */
export interface BootstrapBase {
  numImages: number;
  classes: PooledClass[];
}

/** Matches every image once (COCO rules, all sizes) and pools each class's detections by score. */
export function bootstrapBase(images: EvalImage[], numClasses: number, maxDets = 100): BootstrapBase {
  const grouped = byImageAndClass(sortImages(images), numClasses);
  const nt = IOU_THRESHOLDS.length;
  const classes: PooledClass[] = [];
  for (let c = 0; c < numClasses; c++) {
    const numGt = new Int32Array(grouped.length);
    const scores: number[] = [], image: number[] = [], matched: number[][] = [], ignored: number[][] = [];
    grouped.forEach((img, i) => {
      const { dets, gts } = img[c];
      if (!dets.length && !gts.length) return;
      const m = matchImage(dets, gts, { thresholds: IOU_THRESHOLDS, maxDets });
      numGt[i] = m.numGt;
      for (let d = 0; d < Math.min(m.scores.length, maxDets); d++) {
        scores.push(m.scores[d]);
        image.push(i);
        matched.push(m.matched.map((row) => row[d]));
        ignored.push(m.ignored.map((row) => row[d]));
      }
    });
    // Same ranking as accumulate(): score descending, ties in image order.
    const order = stableOrder(scores.length, (k) => -scores[k]);
    const n = order.length;
    const pooled: PooledClass = { image: new Int32Array(n), matched: new Uint8Array(nt * n), ignored: new Uint8Array(nt * n), numGt };
    order.forEach((k, at) => {
      pooled.image[at] = image[k];
      for (let t = 0; t < nt; t++) {
        pooled.matched[t * n + at] = matched[k][t];
        pooled.ignored[t * n + at] = ignored[k][t];
      }
    });
    classes.push(pooled);
  }
  return { numImages: grouped.length, classes };
}

/** AP at each IoU threshold of one class with images weighted (-1 without ground truth). */
function weightedAp(p: PooledClass, weights: Uint32Array): number[] {
  let npig = 0;
  for (let i = 0; i < weights.length; i++) npig += weights[i] * p.numGt[i];
  if (npig === 0) return new Array(IOU_THRESHOLDS.length).fill(-1);
  const n = p.image.length;
  const rc: number[] = [], pr: number[] = [];
  const ap: number[] = [];
  for (let t = 0; t < IOU_THRESHOLDS.length; t++) {
    rc.length = 0;
    pr.length = 0;
    let tp = 0, fp = 0;
    for (let k = 0; k < n; k++) {
      const w = weights[p.image[k]];
      if (w === 0) continue;
      if (!p.ignored[t * n + k]) {
        if (p.matched[t * n + k]) tp += w;
        else fp += w;
      }
      // w copies of one detection in a row: only the last point can change the sampled curve
      rc.push(tp / npig);
      pr.push(tp / (tp + fp + EPS));
    }
    const q = sampledPrecision(rc, pr, pr.length);
    ap.push(q.reduce((a, b) => a + b, 0) / q.length);
  }
  return ap;
}

export interface WeightedMap {
  map50: number;
  map50_95: number;
  perClass: Array<{ ap50: number; ap50_95: number }>;
}

/** mAP of the split with image i counted weights[i] times (images in sortImages order). */
export function weightedMap(base: BootstrapBase, weights: Uint32Array): WeightedMap {
  const perClass = base.classes.map((p) => {
    const ap = weightedAp(p, weights);
    return { ap50: ap[0], ap50_95: ap[0] === -1 ? -1 : ap.reduce((a, b) => a + b, 0) / ap.length };
  });
  return { map50: meanValid(perClass.map((c) => c.ap50)), map50_95: meanValid(perClass.map((c) => c.ap50_95)), perClass };
}

/** mulberry32: small, seeded, and good enough to draw image indices. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Interval of the draws that have a value (NaN: the resample held no ground truth of the class). */
function interval(values: number[], level: number): Interval {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return [-1, -1];
  return [quantile(v, (1 - level) / 2), quantile(v, 1 - (1 - level) / 2)];
}

function settings(options: BootstrapOptions): { samples: number; seed: number; level: number } {
  const samples = options.samples ?? 1000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`bootstrap samples must be a positive integer, got ${samples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap level must be within (0, 1), got ${level}`);
  return { samples, seed, level };
}

/** `samples` resamples of numImages images: each one's weights (how often each image was drawn). */
function resample<T>(numImages: number, samples: number, seed: number, measure: (weights: Uint32Array) => T): T[] {
  const next = random(seed);
  const weights = new Uint32Array(numImages);
  const out: T[] = [];
  for (let s = 0; s < samples; s++) {
    weights.fill(0);
    for (let i = 0; i < numImages; i++) weights[Math.floor(next() * numImages)]++;
    out.push(measure(weights));
  }
  return out;
}

/** Draws with NaN where a figure has no value. */
function intervals(draws: WeightedMap[], numClasses: number, level: number): Omit<MapIntervals, 'samples' | 'seed' | 'level'> {
  return {
    map50: interval(draws.map((d) => d.map50), level),
    map50_95: interval(draws.map((d) => d.map50_95), level),
    perClass: Array.from({ length: numClasses }, (_, c) => ({
      ap50: interval(draws.map((d) => d.perClass[c].ap50), level),
      ap50_95: interval(draws.map((d) => d.perClass[c].ap50_95), level),
    })),
  };
}

/** Percentile-bootstrap intervals of mAP50, mAP50-95 and each class's AP. */
export function bootstrapMap(images: EvalImage[], numClasses: number, options: BootstrapOptions = {}): MapIntervals {
  const { samples, seed, level } = settings(options);
  const base = bootstrapBase(images, numClasses, options.maxDets ?? 100);
  const nan = (v: number) => (v === -1 ? NaN : v);
  const draws = resample(base.numImages, samples, seed, (w) => {
    const m = weightedMap(base, w);
    return {
      map50: nan(m.map50), map50_95: nan(m.map50_95), perClass: m.perClass.map((c) => ({ ap50: nan(c.ap50), ap50_95: nan(c.ap50_95) })),
    };
  });
  return { samples, seed, level, ...intervals(draws, numClasses, level) };
}

export interface MapDifference extends MapIntervals {
  /** Share of resamples in which the first model's mAP50 / mAP50-95 is higher than the second's. */
  firstBetter: { map50: number; map50_95: number };
}

/**
 * Two models on the same images, compared by the paired bootstrap: each resample draws
 * the same images for both, so the interval is the one of the difference (first - second)
 * and often much narrower than the two models' own intervals suggest. Resamples without
 * ground truth of a class leave that class's difference out.
 */
export function bootstrapDifference(first: EvalImage[], second: EvalImage[], numClasses: number,
  options: BootstrapOptions = {}): MapDifference {
  const { samples, seed, level } = settings(options);
  const key = (images: EvalImage[]) => sortImages(images).map((img) => String(img.id)).join('\n');
  if (first.length !== second.length || key(first) !== key(second)) {
    throw new RangeError('bootstrapDifference: both models must be evaluated on the same images (the same ids)');
  }
  const a = bootstrapBase(first, numClasses, options.maxDets ?? 100);
  const b = bootstrapBase(second, numClasses, options.maxDets ?? 100);
  const minus = (x: number, y: number) => (x === -1 || y === -1 ? NaN : x - y);
  const draws = resample(a.numImages, samples, seed, (w) => {
    const x = weightedMap(a, w), y = weightedMap(b, w);
    return {
      map50: minus(x.map50, y.map50),
      map50_95: minus(x.map50_95, y.map50_95),
      perClass: x.perClass.map((c, k) => ({ ap50: minus(c.ap50, y.perClass[k].ap50), ap50_95: minus(c.ap50_95, y.perClass[k].ap50_95) })),
    };
  });
  const share = (v: number[]) => v.filter((d) => d > 0).length / Math.max(1, v.filter((d) => !Number.isNaN(d)).length);
  return {
    samples, seed, level,
    ...intervals(draws, numClasses, level),
    firstBetter: { map50: share(draws.map((d) => d.map50)), map50_95: share(draws.map((d) => d.map50_95)) },
  };
}

export interface AucIntervals {
  samples: number;
  seed: number;
  level: number;
  /** Per score set, the interval of its ROC AUC. */
  auc: Interval[];
  /** Per later score set j (index j - 1): the paired difference AUC(first) - AUC(j), and the
   * shares of resamples in which the first is ahead and in which the two are tied. */
  firstMinus: Array<{ interval: Interval; firstBetter: number; tied: number }>;
}

/**
 * ROC AUC intervals of one or more score sets on the same labelled samples (binary:
 * label 1 positive), by the percentile bootstrap over samples; with several sets, the
 * paired difference of the first (e.g. an ensemble) against each of the others.
 */
export function bootstrapAuc(scoreSets: Array<ArrayLike<number>>, labels: ArrayLike<number>,
  options: Omit<BootstrapOptions, 'maxDets'> = {}): AucIntervals {
  const { samples, seed, level } = settings(options);
  if (!scoreSets.length) throw new RangeError('bootstrapAuc: no score set');
  for (const s of scoreSets) {
    if (s.length !== labels.length) throw new RangeError(`bootstrapAuc: ${s.length} scores but ${labels.length} labels`);
  }
  const n = labels.length;
  const picked = new Float64Array(n), pickedLabels = new Uint8Array(n);
  const draws = resample(n, samples, seed, (weights) => {
    let at = 0;
    const order: number[] = [];
    for (let i = 0; i < n; i++) for (let c = 0; c < weights[i]; c++) order.push(i);
    for (const i of order) pickedLabels[at++] = labels[i];
    // a resample without both classes has no AUC
    return scoreSets.map((s) => {
      order.forEach((i, k) => { picked[k] = s[i]; });
      return rocAuc(picked, pickedLabels);
    });
  });
  const column = (j: number) => draws.map((d) => d[j]);
  return {
    samples, seed, level,
    auc: scoreSets.map((_, j) => interval(column(j), level)),
    firstMinus: scoreSets.slice(1).map((_, k) => {
      const diff = draws.map((d) => d[0] - d[k + 1]);
      const valid = diff.filter((v) => !Number.isNaN(v));
      const share = (keep: (v: number) => boolean) => valid.filter(keep).length / Math.max(1, valid.length);
      return { interval: interval(diff, level), firstBetter: share((v) => v > 0), tied: share((v) => v === 0) };
    }),
  };
}
