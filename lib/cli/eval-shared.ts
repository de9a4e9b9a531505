/** What both evaluation tasks of `die-inspect eval` share: the parsed options, the walk over the data, number formatting. */
import { DieInspectError } from '../core/errors';
import type { DatasetFormat } from '../eval/datasets';
import type { InputLimits } from '../runtime/images';
import { modelTask, shapeText } from '../runtime/metadata';
import type { ModelInfo } from '../runtime/session';
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

type EvalTask = 'detect' | 'classify';

// What each task reads (lib/eval/datasets.ts), and what each format is, for the words of a mismatch.
const TASK_DATA: Record<EvalTask, string> = {
  detect: 'a detection dataset (a YOLO folder with images/ and labels/ or its data.yaml, a COCO JSON, or a DeepPCB folder)',
  classify: 'a classification set (one folder per class, such as good/ and defective/; a CSV of path,label; or a DeepPCB folder with --task classify)',
};
const FORMAT_TEXT: Record<DatasetFormat, string> = {
  yolo: 'a YOLO detection dataset (images/ + labels/)',
  coco: 'a COCO detection JSON',
  deeppcb: 'a DeepPCB folder',
  folders: 'a classification set (one folder per class)',
  csv: 'a classification CSV (path,label)',
};

/**
 * The error for a classifier given detection data, or a detector (or segmenter)
 * given classification data, in words; to be thrown before its outputs are
 * misread as the other task's (a layout error, or every image skipped).
 */
export function taskMismatch(model: string, info: Pick<ModelInfo, 'metadata' | 'outputs'>, task: EvalTask, data: string,
  format: DatasetFormat): DieInspectError | undefined {
  const modelDoes = modelTask(info);
  if (modelDoes === undefined || (modelDoes === 'classify') === (task === 'classify')) return undefined;
  const what = modelDoes === 'classify' ? 'classifier' : modelDoes === 'segment' ? 'segmenter' : 'detector';
  const read = format === 'deeppcb' ? `, read for ${task === 'detect' ? 'detection' : 'classification'}` : '';
  return new DieInspectError('ERR_INVALID_ARG', `${model} is a ${what} (output [${shapeText(info.outputs[0].shape)}]); `
    + `it is evaluated on ${TASK_DATA[modelDoes === 'classify' ? 'classify' : 'detect']}, but ${data} is ${FORMAT_TEXT[format]}${read}`);
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
