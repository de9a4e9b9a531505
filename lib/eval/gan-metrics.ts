/**
 * How close generated images come to real ones, measured on feature vectors (gan-features.ts
 * makes them from a classifier's pooled last feature map), and how visible the tile borders
 * of a region-wise generator are.
 *
 * FID: the Fréchet distance between Gaussians fitted to the two sets,
 * |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2). KID: the unbiased squared
 * MMD with the cubic polynomial kernel (x.y / d + 1)^3, averaged over random subsets; unlike
 * FID it has no bias from the sample size. Both are only comparable between runs that use
 * the same feature extractor.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { DieInspectError } from '../core/errors';

export type FeatureSet = ArrayLike<number>[];

function checkSets(a: FeatureSet, b: FeatureSet, minimum: number): number {
  if (a.length < minimum || b.length < minimum) {
    throw new DieInspectError('ERR_INVALID_ARG', `need at least ${minimum} feature vectors in each set (got ${a.length} and ${b.length})`);
  }
  const d = a[0].length;
  for (const v of [...a, ...b]) {
    if (v.length !== d) throw new DieInspectError('ERR_INVALID_ARG', `feature vectors differ in length (${d} and ${v.length})`);
    for (let i = 0; i < d; ++i) {
      if (!Number.isFinite(v[i])) throw new DieInspectError('ERR_INVALID_ARG', 'a feature vector holds NaN or infinity');
    }
  }
  return d;
}

/** Mean and unbiased covariance of a set of vectors. */
export function featureStats(set: FeatureSet): { mean: Float64Array; cov: Matrix } {
  const n = set.length;
  const d = set[0].length;
  const mean = new Float64Array(d);
  for (const v of set) for (let i = 0; i < d; ++i) mean[i] += v[i] / n;
  const centred = new Matrix(n, d);
  set.forEach((v, r) => {
    for (let i = 0; i < d; ++i) centred.set(r, i, v[i] - mean[i]);
  });
  const cov = centred.transpose().mmul(centred).div(Math.max(n - 1, 1));
  return { mean, cov };
}

/** S^1/2 of a symmetric positive semi-definite matrix (negative round-off eigenvalues as 0). */
function sqrtPsd(s: Matrix): Matrix {
  const e = new EigenvalueDecomposition(s, { assumeSymmetric: true });
  const v = e.eigenvectorMatrix;
  const root = e.realEigenvalues.map((x) => Math.sqrt(Math.max(x, 0)));
  return v.mmul(Matrix.diag(root)).mmul(v.transpose());
}

/** The Fréchet distance between Gaussians fitted to two sets of feature vectors. */
export function frechetDistance(a: FeatureSet, b: FeatureSet): number {
  checkSets(a, b, 2);
  const sa = featureStats(a);
  const sb = featureStats(b);
  let meanTerm = 0;
  for (let i = 0; i < sa.mean.length; ++i) meanTerm += (sa.mean[i] - sb.mean[i]) ** 2;
  const root = sqrtPsd(sa.cov);
  const m = root.mmul(sb.cov).mmul(root);
  // symmetrise: round-off leaves the product a hair off symmetric
  const sym = m.add(m.transpose()).div(2);
  const cross = new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues
    .reduce((s, x) => s + Math.sqrt(Math.max(x, 0)), 0);
  return Math.max(meanTerm + sa.cov.trace() + sb.cov.trace() - 2 * cross, 0);
}

/** A seeded PRNG (mulberry32), so KID subsets repeat from run to run. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(n: number, m: number, next: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; ++i) {
    const j = i + Math.floor(next() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, m);
}

export interface KidOptions {
  /** Random subsets averaged (default 100). */
  subsets?: number;
  /** Vectors per subset (default: the smaller set's size, at most 1000). */
  subsetSize?: number;
  seed?: number;
}

/** Kernel Inception Distance: the unbiased squared MMD (cubic polynomial kernel), mean and standard deviation over subsets. */
export function kernelDistance(a: FeatureSet, b: FeatureSet, options: KidOptions = {}): { mean: number; std: number } {
  const d = checkSets(a, b, 2);
  const m = Math.min(options.subsetSize ?? 1000, a.length, b.length);
  if (m < 2) throw new DieInspectError('ERR_INVALID_ARG', 'KID needs subsets of at least 2 vectors');
  const subsets = options.subsets ?? 100;
  const next = random(options.seed ?? 0);
  const k = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let dot = 0;
    for (let i = 0; i < d; ++i) dot += x[i] * y[i];
    return (dot / d + 1) ** 3;
  };
  const values: number[] = [];
  for (let s = 0; s < subsets; ++s) {
    const x = sample(a.length, m, next).map((i) => a[i]);
    const y = sample(b.length, m, next).map((i) => b[i]);
    let kxx = 0;
    let kyy = 0;
    let kxy = 0;
    for (let i = 0; i < m; ++i) {
      for (let j = 0; j < m; ++j) {
        if (i !== j) {
          kxx += k(x[i], x[j]);
          kyy += k(y[i], y[j]);
        }
        kxy += k(x[i], y[j]);
      }
    }
    values.push((kxx + kyy) / (m * (m - 1)) - (2 * kxy) / (m * m));
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(values.length - 1, 1));
  return { mean, std };
}

export interface PixelImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface SeamScore {
  /** Mean absolute difference (0-255, averaged over channels) between neighbours across a tile border. */
  seam: number;
  /** The same for all other pairs of horizontal or vertical neighbours. */
  inside: number;
  /** seam / inside: 1 when the borders are as smooth as the rest of the image. */
  ratio: number;
}

/**
 * How visible the borders of a tiles x tiles grid are: the gradient magnitude across tile
 * borders against that inside the tiles (width and height must be multiples of tiles).
 */
export function seamScore(img: PixelImage, tiles: number): SeamScore {
  const { data, width: w, height: h, channels: c } = img;
  if (!Number.isInteger(tiles) || tiles < 2 || w % tiles || h % tiles || data.length < w * h * c) {
    throw new DieInspectError('ERR_INVALID_ARG', `seamScore: a ${w}x${h} image does not split into ${tiles}x${tiles} tiles`);
  }
  const tw = w / tiles;
  const th = h / tiles;
  let seam = 0;
  let seamN = 0;
  let inside = 0;
  let insideN = 0;
  const diff = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < c; ++k) s += Math.abs(data[i + k] - data[j + k]);
    return s / c;
  };
  for (let y = 0; y < h; ++y) {
    for (let x = 0; x < w; ++x) {
      const i = (y * w + x) * c;
      if (x + 1 < w) {
        const v = diff(i, i + c);
        if ((x + 1) % tw === 0) { seam += v; seamN += 1; } else { inside += v; insideN += 1; }
      }
      if (y + 1 < h) {
        const v = diff(i, i + w * c);
        if ((y + 1) % th === 0) { seam += v; seamN += 1; } else { inside += v; insideN += 1; }
      }
    }
  }
  const s = seam / seamN;
  const n = inside / insideN;
  return { seam: s, inside: n, ratio: n > 0 ? s / n : s > 0 ? Infinity : 1 };
}
