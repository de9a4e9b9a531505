/**
 * How well saliency maps find known defects: the pointing game (the map's maximum falls
 * on a ground-truth box, within `tolerance` pixels as the game is usually played, so a
 * map coarser than a thin crack can still point at it) and the share of the map's energy
 * inside the boxes.
 */
import { iou } from './matching';
import type { Box, GroundTruthBox } from './types';
import type { Explanation, SaliencyMap } from '../stages/saliency';

export interface PointingOptions {
  /** Pixels a peak may lie outside a box and still count (the game's usual 15). */
  tolerance?: number;
  /** Detectors: the IoU at which a detection's map is scored against a box of its class. Default 0.5. */
  iou?: number;
}

export interface PointingScore {
  /** Parts (classifier) or matched detections (detector) scored. */
  count: number;
  hits: number;
  /** hits / count (NaN when nothing was scored). */
  pointingGame: number;
  /** Mean share of map energy inside the ground-truth boxes. */
  energyInside: number;
}

export interface PointingReport extends PointingScore {
  /** By the class of the ground-truth box scored (a classifier's part: its first box's class). */
  byClass: Record<string, PointingScore>;
  /** Images whose explanation failed. */
  failed: number;
}

/** Distance in pixels from a point to a box (0 inside). */
function distance(p: { x: number; y: number }, b: Box): number {
  const dx = Math.max(b[0] - p.x, 0, p.x - b[2]);
  const dy = Math.max(b[1] - p.y, 0, p.y - b[3]);
  return Math.hypot(dx, dy);
}

/** Whether the map's peak is within `tolerance` pixels of any of the boxes. */
export function pointingHit(map: SaliencyMap, boxes: Box[], tolerance = 15): boolean {
  return boxes.some((b) => distance(map.peak, b) <= tolerance);
}

/** Share of the map's total value at map pixels whose centre lies in any box (image pixels); 0 for an empty map. */
export function energyInside(map: SaliencyMap, boxes: Box[], image: { width: number; height: number }): number {
  const sx = image.width / map.width;
  const sy = image.height / map.height;
  let inside = 0;
  let total = 0;
  for (let j = 0; j < map.height; j++) {
    const y = (j + 0.5) * sy;
    for (let i = 0; i < map.width; i++) {
      const v = map.data[j * map.width + i];
      total += v;
      const x = (i + 0.5) * sx;
      if (boxes.some((b) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3])) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

class Tally {
  readonly all = { count: 0, hits: 0, energy: 0 };
  readonly byClass = new Map<string, { count: number; hits: number; energy: number }>();

  add(label: string, hit: boolean, energy: number): void {
    for (const t of [this.all, this.byClass.get(label) ?? this.byClass.set(label, { count: 0, hits: 0, energy: 0 }).get(label)!]) {
      t.count++;
      if (hit) t.hits++;
      t.energy += energy;
    }
  }

  report(failed: number): PointingReport {
    const score = (t: { count: number; hits: number; energy: number }): PointingScore => ({
      count: t.count, hits: t.hits, pointingGame: t.hits / t.count, energyInside: t.energy / t.count,
    });
    return { ...score(this.all), byClass: Object.fromEntries([...this.byClass].map(([k, t]) => [k, score(t)])), failed };
  }
}

/**
 * Classifier maps against each image's boxes (images without boxes are skipped: the game
 * is played on defective parts). `names` labels the classes of the boxes.
 */
export function classifierPointing(explanations: Explanation[], truth: GroundTruthBox[][], names: string[] = [],
  o: PointingOptions = {}): PointingReport {
  const tally = new Tally();
  let failed = 0;
  explanations.forEach((e, i) => {
    const boxes = truth[i] ?? [];
    if (boxes.length === 0) return;
    if (e.error || !e.maps[0]) {
      failed++;
      return;
    }
    const b = boxes.map((g) => g.box);
    tally.add(names[boxes[0].classId] ?? String(boxes[0].classId), pointingHit(e.maps[0], b, o.tolerance), energyInside(e.maps[0], b, e));
  });
  return tally.report(failed);
}

/**
 * Detector maps: each detection that matches a ground-truth box of its class (IoU >= `iou`,
 * the best match) is scored against that box.
 */
export function detectorPointing(explanations: Explanation[], truth: GroundTruthBox[][], names: string[] = [],
  o: PointingOptions = {}): PointingReport {
  const tally = new Tally();
  let failed = 0;
  explanations.forEach((e, i) => {
    if (e.error) {
      failed++;
      return;
    }
    for (const m of e.maps) {
      if (!m.box) continue;
      let best: GroundTruthBox | undefined;
      let bestIou = o.iou ?? 0.5;
      for (const g of truth[i] ?? []) {
        const v = g.classId === m.classId ? iou(m.box, g.box) : 0;
        if (v >= bestIou) {
          best = g;
          bestIou = v;
        }
      }
      if (!best) continue;
      tally.add(names[best.classId] ?? String(best.classId), pointingHit(m, [best.box], o.tolerance), energyInside(m, [best.box], e));
    }
  });
  return tally.report(failed);
}
