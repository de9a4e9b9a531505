/** The shapes `dataset check` (checkDataset, datasetSplits, the report and the clean lists) works in. */
import type { ProviderName } from '../runtime/session';
import type { Classifier } from '../stages/classifier';
import type { Detector } from '../stages/detector';
import type { ClassifierEnsemble } from '../stages/ensemble';
import type { Box, FailedImage, ProgressCallback } from './types';

export type FindingKind = 'duplicate' | 'near-duplicate' | 'corrupt-image' | 'missing-label' | 'orphan-label'
  | 'bad-label' | 'unknown-class' | 'box-outside' | 'zero-area' | 'missing-image' | 'unlisted-image' | 'disagreement';

/** Every finding kind, in the order the command's table lists them. */
export const FINDING_KINDS: FindingKind[] = ['duplicate', 'near-duplicate', 'corrupt-image', 'missing-label', 'orphan-label', 'bad-label',
  'unknown-class', 'box-outside', 'zero-area', 'missing-image', 'unlisted-image', 'disagreement'];

export interface Finding {
  kind: FindingKind;
  split: string;
  /** The image (or label file, COCO JSON, CSV) the finding is about. */
  path: string;
  /** A finding about a label (a label file's line, a COCO annotation, a CSV row): the image it labels. */
  image?: string;
  /** Duplicates: the image it repeats (the first seen), and whether that one is in another split (a leak). */
  of?: { split: string; path: string };
  leak?: boolean;
  /** Label findings: the 1-based line (of a YOLO label file or a CSV). */
  line?: number;
  /** COCO findings: the annotation's id (its index where it has none). */
  annotation?: string;
  /** Disagreements: how sure the model is that the label is wrong (0-1), and what it says instead. */
  score?: number;
  says?: string;
  /** Disagreements: the box (pixels [x1, y1, x2, y2]) it is about: the model's, or the label's it does not find. */
  box?: Box;
  detail: string;
}

/** How a split's labels are read. */
export type SplitFormat = 'yolo' | 'coco' | 'folders' | 'csv';

export interface SplitStats {
  split: string;
  format: SplitFormat;
  images: number;
  /**
   * Images labelled as free of defects: an empty or missing YOLO label file, a COCO image
   * without annotations, an image of a class named good, ok, pass, normal, defect-free, ...
   * (or id 0 where a CSV gives ids).
   */
  defectFree: number;
  /** Boxes per class name (or id): YOLO and COCO. */
  boxes: Record<string, number>;
  /** Boxes by area in pixels, COCO's bins: small < 32^2 <= medium < 96^2 <= large. */
  sizes: { small: number; medium: number; large: number };
  /** Images per class: class folders and CSV. */
  classes?: Record<string, number>;
}

export interface DatasetCheck {
  splits: SplitStats[];
  /** Split by split in image order; the model's disagreements last, most confident first. */
  findings: Finding[];
  classNames?: string[];
  /** With a model: which, what it did, and the images it failed on (not counted as findings). */
  model?: { name: string; task: 'classify' | 'detect'; confident: number; images: number; failed: FailedImage[] };
}

/** One image's labels where the layout is not YOLO's (YOLO label files are read by checkDataset). */
export interface ImageLabel {
  /** COCO: the image's annotations, bbox [x, y, w, h] in pixels as the JSON has it; classId undefined for an unknown category. */
  annotations?: Array<{ id: string; categoryId: number; classId?: number; bbox: unknown }>;
  /** COCO: the size the JSON gives, if it does. */
  size?: [number, number];
  /** Class folders, CSV: the class (a name, or an id as written); undefined: the image has none. */
  className?: string;
  /** CSV: the row's line. */
  line?: number;
}

export interface DatasetSplit {
  name: string;
  /** The split's images, in order. */
  images: string[];
  /** How its labels are read. Default 'yolo': a label file per image (under labels/ for images/, else beside it). */
  format?: SplitFormat;
  /** The COCO JSON, CSV or class folder it was read from. */
  source?: string;
  /** YOLO: the images come from image lists (a data.yaml's .txt entries), so other label files beside theirs are no orphans. */
  listed?: boolean;
  /** COCO, class folders, CSV: each image's labels, in the order of `images`. */
  labels?: ImageLabel[];
  /** COCO: the categories' names (class id order); class folders, CSV: the classes (none where a CSV gives ids). */
  classNames?: string[];
  /** What reading the layout found: listed images not on disk, annotations of no listed image, unlisted images, bad CSV rows. */
  findings?: Finding[];
}

/** What `model` may be: a name or path (an ONNX classifier or detector, or an ensemble manifest), or one loaded. */
export type CheckModelSpec = string | Classifier | ClassifierEnsemble | Detector;

export interface DatasetCheckOptions {
  /** Class names (default: from a data.yaml; class folders and CSV: the first such split's classes); others are findings. */
  classNames?: string[];
  /** Largest mean absolute difference of two 16x16 grey thumbnails (0-255) that counts as a near duplicate. Default 2. */
  near?: number;
  /**
   * A classifier (or classifier ensemble manifest) or detector run over every image, its confident
   * disagreements with the labels reported (docs/evaluation.md#checking-a-dataset). Loaded from a
   * name or path with `providers` and closed after; one given loaded is left open.
   */
  model?: CheckModelSpec;
  /** How sure the model must be to disagree (0.5-1). Default 0.9. */
  confident?: number;
  providers?: ProviderName[];
  onProgress?: ProgressCallback;
}
