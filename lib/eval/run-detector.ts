/** evaluateDetector(): a detector run over a labelled dataset and scored, as `die-inspect eval` does. */
import { DieInspectError } from '../core/errors';
import type { ProviderName } from '../runtime/session';
import { Detector, DetectorOptions } from '../stages/detector';
import type { BootstrapOptions } from './bootstrap';
import type { DetectionDataset } from './datasets';
import { DetectionMetrics, evaluateDetections } from './detection';
import { inSteps } from './steps';
import { taskMismatch } from './task-check';
import type { EvalImage, FailedImage, ProgressCallback } from './types';

export interface DetectorEvalOptions {
  /** How a model given by name, path or bytes is loaded (providers, imgsz, maxBatch, limitInputPixels, ...). */
  detector?: DetectorOptions;
  /** NMS IoU threshold. Default 0.6. */
  iou?: number;
  /** Confidence for precision, recall, F1 and the confusion matrix. Default 0.25. */
  conf?: number;
  /** COCO detections kept per image and class, by score. Default 100. */
  maxDets?: number;
  /** Also the DeepPCB protocol (a hit needs IoU > 0.33). */
  deeppcb?: boolean;
  /** Also bootstrap intervals of mAP and each class's AP. */
  bootstrap?: BootstrapOptions;
  /** Pair models: register each reference to its image first. */
  align?: boolean;
  onProgress?: ProgressCallback;
}

export interface DetectorEvaluation {
  metrics: DetectionMetrics;
  /** The dataset's classes, then any the model has and the dataset never labels (its detections there are false alarms). */
  classNames: string[];
  /** Each image's ground truth and detections (scores from 0.001), for evaluateDetections() with other options. */
  images: EvalImage[];
  /** Images the detector could not be run on; they count with all their ground truth missed. */
  failed: FailedImage[];
  provider: ProviderName;
}

/**
 * Runs `model` over `dataset` and scores it (COCO mAP, P/R/F1, confusion). A model
 * given by name, path or bytes is loaded with `options.detector` and closed after;
 * a Detector is used as it is and left open. Detections are kept from score 0.001
 * (so the PR curve reaches high recall), at most 300 an image.
 */
export async function evaluateDetector(model: Parameters<typeof Detector.create>[0] | Detector, dataset: DetectionDataset,
  options: DetectorEvalOptions = {}): Promise<DetectorEvaluation> {
  const det = model instanceof Detector ? model : await Detector.create(model, options.detector);
  try {
    const run = await detectDataset(det, typeof model === 'string' ? model : 'the model', dataset, options);
    const metrics = evaluateDetections(run.images, { classNames: run.classNames, conf: options.conf ?? 0.25, maxDets: options.maxDets,
      deeppcb: options.deeppcb, bootstrap: options.bootstrap });
    return { metrics, ...run, provider: det.provider };
  } finally {
    if (det !== model) det.close();
  }
}

async function detectDataset(det: Detector, label: string, data: DetectionDataset,
  o: DetectorEvalOptions): Promise<Pick<DetectorEvaluation, 'classNames' | 'images' | 'failed'>> {
  const wrongTask = taskMismatch(label, det.info, 'detect', data);
  if (wrongTask) throw wrongTask;
  const unpaired = det.needsReference ? data.images.find((s) => !s.reference) : undefined;
  if (unpaired) {
    throw new DieInspectError('ERR_INVALID_ARG', `${label} compares each image with its reference, and ${data.format} data give none `
      + `(${unpaired.path}); DeepPCB folders give their templates`);
  }
  if (o.align && !det.needsReference) {
    throw new DieInspectError('ERR_INVALID_ARG', `align: ${label} takes single images, not reference pairs`);
  }
  const { names, toData } = mapClasses(data.classNames, det.classNames);
  const images: EvalImage[] = [];
  const failed: FailedImage[] = [];
  const params = { conf: 0.001, iou: o.iou ?? 0.6, maxDet: 300 };
  await inSteps(data.images, o.detector?.maxBatch, async (batch) => {
    const inputs = batch.map((s) => (det.needsReference ? { image: s.path, reference: s.reference!, align: o.align } : s.path));
    (await det.detect(inputs, params)).forEach((res, k) => {
      const s = batch[k];
      if (res.error) failed.push({ path: s.path, error: res.error });
      images.push({
        id: s.id,
        groundTruth: s.groundTruth,
        detections: res.detections.map((d) => ({ box: d.box, score: d.score, classId: toData(d.classId) })),
      });
    });
  }, o.onProgress);
  return { classNames: names, images, failed };
}

/** Model class ids -> dataset class ids: by name when every dataset name is among the model's, else by index. */
export function mapClasses(dataNames: string[] | undefined,
  modelNames: string[] | undefined): { names: string[]; toData: (id: number) => number } {
  if (dataNames && modelNames && dataNames.every((n) => modelNames.includes(n))) {
    const names = [...dataNames];
    const table = modelNames.map((n) => {
      const k = names.indexOf(n);
      if (k >= 0) return k;
      names.push(n); // a class the dataset never labels: its detections are false alarms
      return names.length - 1;
    });
    return { names, toData: (id) => table[id] ?? id };
  }
  const names = [...(dataNames ?? modelNames ?? [])];
  for (let i = names.length; i < (modelNames?.length ?? 0); i++) names.push(modelNames![i]);
  return { names, toData: (id) => id };
}
