/**
 * The DeepPCB authors' protocol: a detection is correct when it has the same
 * class as a ground-truth box and IoU > 0.33 (strictly); precision, recall and
 * F-score over all defects, and mAP with that matching rule.
 */
import { accumulate, byImageAndClass, meanValid, sortImages } from './coco-map';
import { ImageMatch, matchImage } from './matching';
import { CountMetrics, thresholdMetrics } from './threshold-metrics';
import type { EvalImage } from './types';

export const DEEPPCB_IOU = 0.33;

export interface DeepPcbMetrics {
  iou: number;
  conf: number;
  precision: number;
  recall: number;
  fscore: number;
  tp: number;
  fp: number;
  fn: number;
  /** Mean over classes of the 101-point AP with the IoU > 0.33 rule (all detections, by score). */
  map: number;
  perClass: Array<CountMetrics & { ap: number }>;
}

export function deeppcbProtocol(images: EvalImage[], numClasses: number,
  o: { conf?: number; iou?: number; maxDets?: number } = {}): DeepPcbMetrics {
  const thr = o.iou ?? DEEPPCB_IOU;
  const conf = o.conf ?? 0.25;
  const counts = thresholdMetrics(images, numClasses, { conf, iou: thr, strict: true });
  const grouped = byImageAndClass(sortImages(images), numClasses);
  const ap: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const matches: ImageMatch[] = grouped
      .filter((img) => img[c].dets.length || img[c].gts.length)
      .map((img) => matchImage(img[c].dets, img[c].gts, { thresholds: [thr], strict: true, maxDets: o.maxDets ?? 100 }));
    ap.push(accumulate(matches, 1, o.maxDets ?? 100).ap[0]);
  }
  const t = counts.overall;
  return {
    iou: thr, conf, precision: t.precision, recall: t.recall, fscore: t.f1, tp: t.tp, fp: t.fp, fn: t.fn,
    map: meanValid(ap),
    perClass: counts.perClass.map((m, c) => ({ ...m, ap: ap[c] })),
  };
}
