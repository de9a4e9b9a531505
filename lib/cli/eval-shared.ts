/** What both evaluation tasks of `die-inspect eval` share: the parsed options, the walk over the data, number formatting. */
import type { InputLimits } from '../images';
import type { InputLimitFlags, parseProviders } from './options';
import { progressBar } from './progress';

export interface EvalCliOptions extends InputLimitFlags {
  model: string[];
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

/** A figure to print, '-' where there is none (NaN, negative: no ground truth). */
export const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) || v < 0 ? '-' : v.toFixed(d));

/** A difference to print, with its sign. */
export const signed = (v: number, d = 3) => (v < 0 ? '' : '+') + v.toFixed(d);

/**
 * Hands `items` to `visit` in steps of 16 (or `batch`, if larger) with a progress bar;
 * the model is called maxBatch at a time within each step. `visit` may return the
 * bar's label.
 */
export async function inSteps<T>(items: T[], batch: number | undefined, visit: (step: T[]) => Promise<string | void>): Promise<void> {
  const size = Math.max(16, batch ?? 0);
  const bar = progressBar('eval', 'images');
  try {
    for (let i = 0; i < items.length; i += size) {
      const label = await visit(items.slice(i, i + size));
      bar.update(Math.min(i + size, items.length), items.length, label ?? '');
    }
  } finally {
    bar.stop();
  }
}
