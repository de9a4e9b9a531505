/**
 * Activation ranges measured over calibration batches. 'minmax' keeps the extremes;
 * 'percentile' clips the rare outliers that would otherwise stretch the scale (and so
 * coarsen every common value) at a chosen percentile of each tensor's values, read
 * from a histogram that widens itself as larger values arrive.
 */
import type { Range } from './qparams';

/** Values a percentile histogram counts per tensor and batch, at most. */
const SAMPLES = 1 << 18;

export type CalibrationMethod = 'minmax' | 'percentile';

export interface RangeCollector {
  /** Adds a batch of values; returns how many were NaN or infinite (not counted). */
  add(values: Float32Array): number;
  range(): Range;
}

export class MinMax implements RangeCollector {
  private min = Infinity;
  private max = -Infinity;

  add(values: Float32Array): number {
    let lo = this.min;
    let hi = this.max;
    let bad = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v !== 0) {
        bad++;
        continue;
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    return bad;
  }

  range(): Range {
    return Number.isFinite(this.min) ? { min: this.min, max: this.max } : { min: 0, max: 0 };
  }
}

/**
 * Counts of values in `bins` equal bins over [-limit, limit]. When a value beyond the limit
 * arrives the limit doubles and neighbouring bins merge, so earlier batches keep counting
 * without being stored.
 */
export class Percentile implements RangeCollector {
  private readonly counts: Float64Array;
  private limit = 0;
  private total = 0;
  private readonly minmax = new MinMax();

  constructor(private readonly percentile: number, private readonly bins = 4096) {
    if (!(percentile > 50 && percentile <= 100)) throw new RangeError('percentile must lie in (50, 100]');
    if (bins % 4 !== 0) throw new RangeError('bins must be a multiple of 4');
    this.counts = new Float64Array(bins);
  }

  add(values: Float32Array): number {
    const bad = this.minmax.add(values);
    const r = this.minmax.range();
    const need = Math.max(-r.min, r.max);
    if (this.limit === 0) this.limit = need > 0 ? need : 1;
    while (need > this.limit) this.widen();
    const last = this.bins - 1;
    const limit = this.limit;
    const k = this.bins / (2 * limit);
    const counts = this.counts;
    // Large tensors are sampled at an odd stride (so it does not follow rows or channels): 2^18 values
    // a batch still leave hundreds in a 1e-5 tail over a calibration set, and the extremes are exact anyway.
    let stride = Math.max(1, Math.floor(values.length / SAMPLES));
    if (stride > 1 && stride % 2 === 0) stride++;
    let counted = 0;
    // v + limit >= 0 here, so truncation is floor; a NaN (already counted as bad) lands in bin 0 and the caller fails.
    for (let i = 0; i < values.length; i += stride) {
      const b = ((values[i] + limit) * k) | 0;
      counts[b > last ? last : b]++;
      counted++;
    }
    this.total += bad ? counted - bad : counted;
    return bad;
  }

  /** Doubles the limit: bin pairs merge into the middle half. */
  private widen(): void {
    const n = this.bins;
    const merged = new Float64Array(n);
    for (let j = 0; j < n / 2; j++) merged[n / 4 + j] = this.counts[2 * j] + this.counts[2 * j + 1];
    this.counts.set(merged);
    this.limit *= 2;
  }

  range(): Range {
    if (this.total === 0) return { min: 0, max: 0 };
    const tail = this.total * (1 - this.percentile / 100);
    const width = (2 * this.limit) / this.bins;
    const exact = this.minmax.range();
    // Lower end: the left edge of the bin where the tail's count is passed; upper end: the right edge.
    let acc = 0;
    let lo = exact.min;
    for (let b = 0; b < this.bins; b++) {
      acc += this.counts[b];
      if (acc > tail) {
        lo = Math.max(exact.min, -this.limit + b * width);
        break;
      }
    }
    acc = 0;
    let hi = exact.max;
    for (let b = this.bins - 1; b >= 0; b--) {
      acc += this.counts[b];
      if (acc > tail) {
        hi = Math.min(exact.max, -this.limit + (b + 1) * width);
        break;
      }
    }
    return { min: lo, max: hi };
  }
}

export function rangeCollector(method: CalibrationMethod, percentile: number): RangeCollector {
  return method === 'minmax' ? new MinMax() : new Percentile(percentile);
}
