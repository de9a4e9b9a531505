/** Detection confusion matrix: classes plus background, at a confidence and IoU threshold. */
import { checkEvalImages } from './coco-map';
import { iou } from './matching';
import type { EvalImage } from './types';

export interface ConfusionMatrix {
  /** Class names, then 'background'. */
  labels: string[];
  /** matrix[true][predicted]; the last row holds false alarms, the last column misses. */
  matrix: number[][];
}

/**
 * Per image, detections at or above `conf` are paired with ground truth by IoU
 * (class-agnostic, highest IoU first, one-to-one, IoU >= `iouThreshold`), so a
 * box found with the wrong class shows up off the diagonal instead of as a miss
 * plus a false alarm.
 */
export function confusionMatrix(images: EvalImage[], classNames: string[], conf = 0.25, iouThreshold = 0.5): ConfusionMatrix {
  checkEvalImages(images);
  const n = classNames.length;
  const bg = n;
  const matrix = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(0));
  const clamp = (c: number) => (c >= 0 && c < n ? c : bg);
  for (const img of images) {
    const dets = img.detections.filter((d) => d.score >= conf);
    const gts = img.groundTruth.filter((g) => !g.crowd);
    const pairs: Array<[number, number, number]> = [];
    gts.forEach((g, gi) => dets.forEach((d, di) => {
      const v = iou(d.box, g.box);
      if (v >= iouThreshold) pairs.push([v, gi, di]);
    }));
    // Highest IoU first; equal IoU keeps the earlier ground truth, then the earlier detection.
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    const gUsed = new Uint8Array(gts.length), dUsed = new Uint8Array(dets.length);
    for (const [, gi, di] of pairs) {
      if (gUsed[gi] || dUsed[di]) continue;
      gUsed[gi] = dUsed[di] = 1;
      matrix[clamp(gts[gi].classId)][clamp(dets[di].classId)]++;
    }
    gts.forEach((g, gi) => { if (!gUsed[gi]) matrix[clamp(g.classId)][bg]++; });
    dets.forEach((d, di) => { if (!dUsed[di]) matrix[bg][clamp(d.classId)]++; });
  }
  return { labels: [...classNames, 'background'], matrix };
}
