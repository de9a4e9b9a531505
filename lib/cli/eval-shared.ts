/** What both evaluation tasks of `die-inspect eval` share: the parsed options, the progress bar, number formatting. */
import type { InputLimits } from '../runtime/images';
import type { ProgressCallback } from '../eval/types';
import type { InputLimitFlags, parseProviders } from './options';
import { progressBar } from './progress';

export interface EvalCliOptions extends InputLimitFlags {
  model: string[];
  /** classify: an ensemble manifest in place of -m. */
  ensemble?: string;
  data: string;
  format?: string;
  list?: string;
  task?: string;
  conf?: string;
  iou: string;
  imgsz?: string;
  batch?: string;
  protocol: string;
  maxDet: string;
  bootstrap?: string;
  seed: string;
  align?: boolean;
  positive?: string;
  plots?: string;
  json?: boolean;
  ep: string;
  /** The hidden old name of --ep. */
  provider?: string;
}

/** Settings resolved from the options, common to detection and classification. */
export interface RunOptions {
  providers: ReturnType<typeof parseProviders>;
  imgsz?: number;
  /** Images per model call; undefined: the session's default (`defaultMaxBatch`). */
  batch?: number;
  limits: InputLimits;
  conf?: number;
  /** Seed of any bootstrap resampling (--bootstrap, or two detectors compared). */
  seed: number;
  /** --bootstrap: intervals from this many resamples. */
  bootstrap?: { samples: number; seed: number };
}

/** Runs `work` with a progress bar over the images (on a terminal), `label` wording how many are done. */
export async function withProgress<T>(label: (done: number) => string, work: (onProgress: ProgressCallback) => Promise<T>): Promise<T> {
  const bar = progressBar('eval', 'images');
  try {
    return await work((done, total) => bar.update(done, total, label(done)));
  } finally {
    bar.stop();
  }
}

/** A figure to print, '-' where there is none (NaN, negative: no ground truth). */
export const fmt = (v: number | null | undefined, d = 3) =>
  (v === null || v === undefined || !Number.isFinite(v) || v < 0 ? '-' : v.toFixed(d));

/** A difference to print, with its sign. */
export const signed = (v: number, d = 3) => (v < 0 ? '' : '+') + v.toFixed(d);
