/** Precision, recall and F1 of the detections at or above a confidence threshold. */
import { byImageAndClass, sortImages } from './coco-map';
import { matchImage } from './matching';
import type { EvalImage } from './types';

export interface CountMetrics {
  tp: number;
  fp: number;
  /** Ground truth not found. */
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export function countMetrics(tp: number, fp: number, fn: number): CountMetrics {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, precision, recall, f1 };
}

/**
 * Counts per class with the COCO matching (same class, greedy by score, one
 * ground truth per detection) at one IoU threshold; `strict` needs IoU > t.
 * Returns per-class counts and the pooled (micro) totals.
 */
export function thresholdMetrics(images: EvalImage[], numClasses: number,
  o: { conf: number; iou: number; strict?: boolean; maxDets?: number }): { overall: CountMetrics; perClass: CountMetrics[] } {
  const grouped = byImageAndClass(sortImages(images), numClasses);
  const perClass: CountMetrics[] = [];
  let TP = 0, FP = 0, FN = 0;
  for (let c = 0; c < numClasses; c++) {
    let tp = 0, fp = 0, npig = 0;
    for (const img of grouped) {
      const dets = img[c].dets.filter((d) => d.score >= o.conf);
      const m = matchImage(dets, img[c].gts, { thresholds: [o.iou], maxDets: o.maxDets ?? Infinity, strict: o.strict });
      for (let d = 0; d < m.scores.length; d++) {
        if (m.ignored[0][d]) continue;
        if (m.matched[0][d]) tp++;
        else fp++;
      }
      npig += m.numGt;
    }
    perClass.push(countMetrics(tp, fp, npig - tp));
    TP += tp;
    FP += fp;
    FN += npig - tp;
  }
  return { overall: countMetrics(TP, FP, FN), perClass };
}
