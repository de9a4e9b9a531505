/** evaluateDetections(): every detection metric the eval command reports, from boxes alone. */
import { BootstrapOptions, bootstrapMap, MapIntervals } from './bootstrap';
import { checkEvalImages, cocoSummary } from './coco-map';
import { ConfusionMatrix, confusionMatrix } from './confusion';
import { DeepPcbMetrics, deeppcbProtocol } from './deeppcb-protocol';
import { thresholdMetrics } from './threshold-metrics';
import type { EvalImage } from './types';

export interface DetectionEvalOptions {
  /** Class names in class-id order; their count fixes the classes evaluated. */
  classNames?: string[];
  /** Confidence threshold for precision/recall/F1 and the confusion matrix. Default 0.25. */
  conf?: number;
  /** COCO detections kept per image and class, by score. Default 100. */
  maxDets?: number;
  /** Also report the DeepPCB protocol (IoU > 0.33). */
  deeppcb?: boolean;
  /** Also report bootstrap confidence intervals of mAP and each class's AP. */
  bootstrap?: BootstrapOptions;
}

export interface ClassDetectionMetrics {
  classId: number;
  name: string;
  /** Ground-truth boxes of this class (crowd regions excluded). */
  instances: number;
  ap50: number;
  ap50_95: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface DetectionMetrics {
  images: number;
  instances: number;
  map50_95: number;
  map50: number;
  map75: number;
  /** COCO AR@maxDets. */
  mar: number;
  /** At `conf`, IoU 0.5, pooled over classes. */
  conf: number;
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  perClass: ClassDetectionMetrics[];
  sizes: { small: number; medium: number; large: number };
  confusion: ConfusionMatrix;
  /** Per class, precision at recall 0, 0.01, ..., 1 (IoU 0.5); empty for a class without ground truth. */
  prCurves: number[][];
  deeppcb?: DeepPcbMetrics;
  /** With `bootstrap`: percentile-bootstrap intervals over images. */
  intervals?: MapIntervals;
}

export function evaluateDetections(images: EvalImage[], options: DetectionEvalOptions = {}): DetectionMetrics {
  checkEvalImages(images);
  let n = options.classNames?.length ?? 0;
  if (!options.classNames) {
    for (const img of images) for (const b of [...img.groundTruth, ...img.detections]) n = Math.max(n, b.classId + 1);
  }
  const names = options.classNames ?? Array.from({ length: n }, (_, i) => String(i));
  const conf = options.conf ?? 0.25;
  const coco = cocoSummary(images, n, options.maxDets ?? 100);
  const counts = thresholdMetrics(images, n, { conf, iou: 0.5 });
  const instances = new Array<number>(n).fill(0);
  for (const img of images) for (const g of img.groundTruth) if (!g.crowd && g.classId >= 0 && g.classId < n) instances[g.classId]++;
  return {
    images: images.length,
    instances: instances.reduce((a, b) => a + b, 0),
    map50_95: coco.map50_95,
    map50: coco.map50,
    map75: coco.map75,
    mar: coco.mar,
    conf,
    precision: counts.overall.precision,
    recall: counts.overall.recall,
    f1: counts.overall.f1,
    tp: counts.overall.tp,
    fp: counts.overall.fp,
    fn: counts.overall.fn,
    perClass: names.map((name, c) => ({
      classId: c, name, instances: instances[c], ap50: coco.perClass[c].ap50, ap50_95: coco.perClass[c].ap50_95,
      precision: counts.perClass[c].precision, recall: counts.perClass[c].recall, f1: counts.perClass[c].f1,
    })),
    sizes: coco.sizes,
    confusion: confusionMatrix(images, names, conf, 0.5),
    prCurves: coco.pr50,
    deeppcb: options.deeppcb ? deeppcbProtocol(images, n, { conf, maxDets: options.maxDets }) : undefined,
    intervals: options.bootstrap ? bootstrapMap(images, n, { maxDets: options.maxDets, ...options.bootstrap }) : undefined,
  };
}
