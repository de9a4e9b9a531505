/**
 * Saliency maps: which part of an image a classifier's or detector's answer rests on.
 * The maps are computed natively (native/infer/explain.cc) through the model's own
 * session; this module holds their public shape, the options every explain() takes,
 * and the mean of several maps (an ensemble's).
 */
import { DieInspectError, ItemError } from '../core/errors';
import type {
  ExplainParams, NativeExplainImage, NativeExplainParams, NativeItem, NativeSaliencyMap, SaliencyMethod,
} from '../runtime/binding';

export type { ExplainParams, SaliencyMethod };

export interface ExplainOptions extends ExplainParams {
  /** Classifier: the class to explain, by index or name. Default: each image's predicted class. */
  target?: number | string;
}

export interface SaliencyMap extends NativeSaliencyMap {
  method: SaliencyMethod;
  /** The class's name (its index as text where the model names none). */
  label: string;
}

export interface Explanation {
  /** The image's size in pixels. */
  width: number;
  height: number;
  /** Classifier: one map; detector: one per detection, best first (none when nothing was found). */
  maps: SaliencyMap[];
  /** Classifier: the class probabilities of the unmasked image. */
  probabilities?: number[];
  warning?: string;
  error?: DieInspectError;
}

const WHOLE: Array<[keyof ExplainOptions, number, number]> = [
  ['shifts', 1, 8], ['grid', 1, 64], ['masks', 1, 100000], ['cells', 1, 256], ['seed', 0, 2 ** 31 - 1], ['mapSide', 0, 16384],
  ['maxMaps', 0, 10000],
];

/** What is wrong with explain options (a field and its allowed values), or undefined. */
export function explainOptionsProblem(o: ExplainOptions): string | undefined {
  if (o.method !== undefined && !['cam', 'rise', 'occlusion'].includes(o.method)) {
    return `method must be cam, rise or occlusion, got ${String(o.method)}`;
  }
  for (const [key, lo, hi] of WHOLE) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi)) {
      return `${key} must be a whole number from ${lo} to ${hi}, got ${String(v)}`;
    }
  }
  if (o.keep !== undefined && !(typeof o.keep === 'number' && o.keep > 0 && o.keep < 1)) {
    return `keep must be a number strictly between 0 and 1, got ${String(o.keep)}`;
  }
  return undefined;
}

/** The explain options the addon reads (the method chosen by the caller); ERR_INVALID_ARG for bad ones. */
export function explainParams(o: ExplainOptions, method: SaliencyMethod, target?: number): NativeExplainParams {
  const problem = explainOptionsProblem(o);
  if (problem) throw new DieInspectError('ERR_INVALID_ARG', `explain: ${problem}`);
  return {
    method, target, shifts: o.shifts, masks: o.masks, cells: o.cells, keep: o.keep, seed: o.seed, grid: o.grid, mapSide: o.mapSide,
    maxMaps: o.maxMaps,
  };
}

/** The addon's answers as Explanations, with class names on the maps. */
export function toExplanations(raw: Array<NativeItem<NativeExplainImage>>, method: SaliencyMethod,
  names: string[] | undefined): Explanation[] {
  return raw.map((img) => {
    if (img.error) return { width: 0, height: 0, maps: [], error: errorOf(img.error) };
    return {
      width: img.width, height: img.height, maps: img.maps.map((m) => toMap(m, method, names)),
      ...(img.probabilities ? { probabilities: Array.from(img.probabilities) } : {}),
      ...(img.warning ? { warning: img.warning } : {}),
    };
  });
}

function errorOf(e: ItemError): DieInspectError {
  return new DieInspectError(e.code, e.message);
}

function toMap(m: NativeSaliencyMap, method: SaliencyMethod, names: string[] | undefined): SaliencyMap {
  return {
    method, classId: m.classId, label: names?.[m.classId] ?? String(m.classId), score: m.score,
    ...(m.box ? { box: m.box } : {}), width: m.width, height: m.height, data: m.data, peak: m.peak, peakValue: m.peakValue,
  };
}

/**
 * The weighted mean of maps of one image (all of one size, as explain() gives for the
 * same image and mapSide), scaled so its maximum is 1 again; the peak found anew.
 */
export function meanMap(maps: SaliencyMap[], weights: number[], image: { width: number; height: number }): SaliencyMap {
  const first = maps[0];
  if (!first || maps.some((m) => m.width !== first.width || m.height !== first.height)) {
    throw new DieInspectError('ERR_INVALID_ARG', 'maps to average must be of one size');
  }
  const data = new Float32Array(first.data.length);
  let total = 0;
  maps.forEach((m, k) => {
    const w = weights[k] ?? 1;
    total += w;
    for (let i = 0; i < data.length; i++) data[i] += w * m.data[i];
  });
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i] > data[best]) best = i;
  const top = data[best];
  if (top > 0) for (let i = 0; i < data.length; i++) data[i] /= top;
  const bx = best % first.width;
  const by = Math.floor(best / first.width);
  return {
    ...first, data,
    peak: { x: ((bx + 0.5) * image.width) / first.width, y: ((by + 0.5) * image.height) / first.height },
    peakValue: total > 0 ? top / total : 0,
  };
}
