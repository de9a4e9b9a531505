/**
 * Per-image, per-category greedy matching as the COCO reference evaluator does
 * it: detections by score (stable), each to the best-IoU unmatched ground truth,
 * non-ignored ground truth preferred over ignored.
 */
import type { Box, GroundTruthBox, PredictedBox } from './types';

export interface AreaRange {
  name: 'all' | 'small' | 'medium' | 'large';
  lo: number;
  hi: number;
}

export const AREA_RANGES: AreaRange[] = [
  { name: 'all', lo: 0, hi: 1e10 },
  { name: 'small', lo: 0, hi: 32 ** 2 },
  { name: 'medium', lo: 32 ** 2, hi: 96 ** 2 },
  { name: 'large', lo: 96 ** 2, hi: 1e10 },
];

/** The result of matching one image's detections of one class at every threshold. */
export interface ImageMatch {
  /** Scores of the kept detections, highest first. */
  scores: number[];
  /** [threshold][detection]: matched to some ground truth. */
  matched: Uint8Array[];
  /** [threshold][detection]: counts neither as hit nor as false alarm. */
  ignored: Uint8Array[];
  /** Ground truth that counts (not ignored, not crowd). */
  numGt: number;
  /** [threshold][detection]: index (input order) of the matched ground truth, -1 if none. */
  gtIndex: Int32Array[];
}

const boxArea = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

export function gtArea(g: GroundTruthBox): number {
  return g.area ?? boxArea(g.box);
}

/** IoU; for a crowd region the union is the detection's own area (as in COCO). */
export function iou(d: Box, g: Box, crowd = false): number {
  const iw = Math.min(d[2], g[2]) - Math.max(d[0], g[0]);
  const ih = Math.min(d[3], g[3]) - Math.max(d[1], g[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = crowd ? boxArea(d) : boxArea(d) + boxArea(g) - inter;
  return union > 0 ? inter / union : 0;
}

/** Indices sorted by key ascending, ties kept in input order. */
export function stableOrder(n: number, key: (i: number) => number): number[] {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = key(i);
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
}

export interface MatchOptions {
  thresholds: number[];
  range?: AreaRange;
  maxDets?: number;
  /** true: a match needs IoU > t (DeepPCB); false: IoU >= t (COCO). */
  strict?: boolean;
}

export function matchImage(dets: PredictedBox[], gts: GroundTruthBox[], o: MatchOptions): ImageMatch {
  const range = o.range ?? AREA_RANGES[0];
  const gtIgnoreRaw = gts.map((g) => (g.crowd || gtArea(g) < range.lo || gtArea(g) > range.hi ? 1 : 0));
  // Non-ignored ground truth first, so a detection stops before settling for an ignored one.
  const gOrder = stableOrder(gts.length, (i) => gtIgnoreRaw[i]);
  const dOrder = stableOrder(dets.length, (i) => -dets[i].score).slice(0, o.maxDets ?? 100);
  const gIgn = gOrder.map((i) => gtIgnoreRaw[i]);
  const gCrowd = gOrder.map((i) => !!gts[i].crowd);
  const D = dOrder.length, G = gOrder.length;
  const ious = new Float64Array(D * G);
  for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) ious[d * G + g] = iou(dets[dOrder[d]].box, gts[gOrder[g]].box, gCrowd[g]);
  const matched: Uint8Array[] = [], ignored: Uint8Array[] = [], gtIndex: Int32Array[] = [];
  for (const t of o.thresholds) {
    const gtTaken = new Uint8Array(G);
    const dm = new Uint8Array(D), di = new Uint8Array(D), dg = new Int32Array(D).fill(-1);
    const floor = Math.min(t, 1 - 1e-10);
    for (let d = 0; d < D; d++) {
      let best = floor;
      let m = -1;
      for (let g = 0; g < G; g++) {
        if (gtTaken[g] && !gCrowd[g]) continue;
        if (m > -1 && gIgn[m] === 0 && gIgn[g] === 1) break;
        const v = ious[d * G + g];
        // Ties in IoU go to the later ground truth, like the reference.
        if ((m === -1 && o.strict) ? v <= t : v < best) continue;
        best = v;
        m = g;
      }
      if (m === -1) continue;
      dm[d] = 1;
      di[d] = gIgn[m];
      dg[d] = gOrder[m];
      gtTaken[m] = 1;
    }
    // Unmatched detections outside the area range are not false alarms for that range.
    for (let d = 0; d < D; d++) {
      const a = boxArea(dets[dOrder[d]].box);
      if (!dm[d] && (a < range.lo || a > range.hi)) di[d] = 1;
    }
    matched.push(dm);
    ignored.push(di);
    gtIndex.push(dg);
  }
  return {
    scores: dOrder.map((i) => dets[i].score),
    matched,
    ignored,
    gtIndex,
    numGt: gIgn.filter((x) => x === 0).length,
  };
}
