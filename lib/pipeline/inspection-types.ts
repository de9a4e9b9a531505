/**
 * What the Inspector says about one part (InspectionResult and its pieces): the
 * pipeline yields them, and the records store keeps them.
 */
import type { DieInspectError } from '../core/errors';
import type { Point, Quad } from '../core/geometry';
import type { AcquisitionMode, RoiResult } from '../stages/roi/base';
import type { SaliencyMap } from '../stages/saliency';

/** Where the classifier ensemble's evidence for the defect class lies on a failed part. */
export interface InspectionSaliency {
  /** The map over the upright crop (its corners are roi.quad's). */
  map: SaliencyMap;
  /** The map's peak in the original image. */
  imagePeak: Point;
}

export interface InspectionDetection {
  label: string;
  classId: number;
  score: number;
  /** [x1, y1, x2, y2] on the upright crop. */
  cropBox: number[];
  /** The same box in the original image: a quad, as the crop is rotated there. */
  quad: Quad;
}

export type Verdict = 'pass' | 'fail' | 'skipped' | 'error';

/** The package found; 'skipped' (an image the mode filter skips) carries nothing else, as it was not searched. */
export type InspectionRoi = Pick<RoiResult, 'status' | 'quad' | 'angle' | 'score' | 'refined' | 'cropWidth' | 'cropHeight'>;

/** The classifier ensemble's defect probability, and each member's. */
export interface InspectionClassification {
  defectProbability: number;
  members: Array<{ name: string; defectProbability: number }>;
}

export interface InspectionResult {
  /** Position in the input list. */
  index: number;
  /** The input, when it was a path. */
  path?: string;
  width: number;
  height: number;
  mode?: AcquisitionMode;
  roi: InspectionRoi;
  /** Die rotation relative to the package, degrees (null when not measured). */
  dieAngle: number | null;
  detections: InspectionDetection[];
  classification: InspectionClassification | null;
  /** With `explain`, on failed parts with a classifier ensemble. */
  saliency?: InspectionSaliency;
  verdict: Verdict;
  reasons: string[];
  /** explainMs: with `explain`, per failed part (and in totalMs). */
  timings: { roiMs: number; detectMs: number; classifyMs: number; explainMs?: number; totalMs: number };
  /** With failOn 'error': what the decoder let pass in this damaged image (its first warning). */
  warning?: string;
  error?: DieInspectError;
  /** With a records store (`InspectorConfig.record`): the part's row there. */
  recorded?: RecordedAs;
}

/** Where a result went in the records store. */
export interface RecordedAs {
  /** The part's id in the store (what `recorder.review()` takes). */
  partId: number;
  /** false: the store already held this image (same path and sha256), and kept its first record. */
  created: boolean;
}

/** One batch through the Inspector (`InspectorConfig.onBatch`). */
export interface BatchTiming {
  /** Images in the batch. */
  size: number;
  /** Decoding, ROI and warp of the batch, in ms. */
  captureMs: number;
  /** The models (detector, classifiers, explain) on the batch, in ms. */
  modelMs: number;
}
