/** Shared shapes for evaluation: boxes are [x1, y1, x2, y2] in pixels. */
import type { DieInspectError } from '../core/errors';

export type Box = [number, number, number, number];

export interface GroundTruthBox {
  box: Box;
  classId: number;
  /** Area used for the small/medium/large ranges; default: box width x height (COCO JSON carries its own). */
  area?: number;
  /** A crowd region (COCO `iscrowd`): never a miss, may absorb several detections. */
  crowd?: boolean;
}

export interface PredictedBox {
  box: Box;
  classId: number;
  score: number;
}

/** One image's annotations and the model's detections on it. */
export interface EvalImage {
  id: string | number;
  groundTruth: GroundTruthBox[];
  detections: PredictedBox[];
}

/** An image a model could not be run on, in evaluateDetector() and evaluateClassifier(). */
export interface FailedImage {
  path: string;
  /** Why; undefined when the image was read but a member of a classifier ensemble failed on it. */
  error?: DieInspectError;
}

/** Called after each step of images: how many are done, of how many. */
export type ProgressCallback = (done: number, total: number) => void;
