/** A model given data of the other task (a classifier on boxes, a detector on class folders), refused in words. */
import { DieInspectError } from '../core/errors';
import { modelTask, shapeText } from '../runtime/metadata';
import type { ModelInfo } from '../runtime/session';
import type { DatasetFormat } from './datasets';

export type EvalTask = 'detect' | 'classify';

// What each task reads (./datasets.ts), and what each format is, for the words of a mismatch.
const TASK_DATA: Record<EvalTask, string> = {
  detect: 'a detection dataset (a YOLO folder with images/ and labels/ or its data.yaml, a COCO JSON, or a DeepPCB folder)',
  classify: 'a classification set (one folder per class, such as good/ and defective/; a CSV of path,label; '
    + 'or a DeepPCB folder with --task classify)',
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
 * given classification data; to be thrown before its outputs are misread as the
 * other task's (a layout error, or every image skipped).
 */
export function taskMismatch(model: string, info: Pick<ModelInfo, 'metadata' | 'outputs'>, task: EvalTask,
  data: { format: DatasetFormat; source?: string }): DieInspectError | undefined {
  const modelDoes = modelTask(info);
  if (modelDoes === undefined || (modelDoes === 'classify') === (task === 'classify')) return undefined;
  const what = modelDoes === 'classify' ? 'classifier' : modelDoes === 'segment' ? 'segmenter' : 'detector';
  const read = data.format === 'deeppcb' ? `, read for ${task === 'detect' ? 'detection' : 'classification'}` : '';
  return new DieInspectError('ERR_INVALID_ARG', `${model} is a ${what} (output [${shapeText(info.outputs[0].shape)}]); `
    + `it is evaluated on ${TASK_DATA[modelDoes === 'classify' ? 'classify' : 'detect']}, but ${data.source ?? 'the dataset'} is `
    + `${FORMAT_TEXT[data.format]}${read}`);
}
