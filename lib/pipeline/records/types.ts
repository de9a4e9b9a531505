/**
 * The records store's contract: what a recorder takes (runs, parts), what it gives back
 * (part records, reviews, rates). The SQLite store implements it (./sqlite.ts); another
 * database implements the same interface on the same schema (./sql.ts).
 */
import type { Quad } from '../../core/geometry';
import type { ProviderName } from '../../runtime/session';
import type { InspectionResult, RecordedAs, Verdict } from '../inspection-types';

/**
 * Who, where and what a part is, beyond its pixels: `--meta lot=L42,station=3` and the
 * image's sidecar JSON. lot, station, camera and partId have columns of their own (and
 * filters); any other key is kept in `extra`. Values are text.
 */
export interface PartMeta {
  lot?: string;
  station?: string;
  camera?: string;
  /** The part's own identifier (a serial number, a tray position). */
  partId?: string;
  /** Every other key, as given (JSON values). */
  extra?: Record<string, unknown>;
}

/** A model a run used, by role, as recorded. */
export interface RunModel {
  role: 'detector' | 'classifier' | 'roi';
  name: string;
  /** Of the model file (or bytes); null where it could not be read. */
  sha256: string | null;
}

/** What `beginRun()` records about a run. */
export interface RunStart {
  /** The Inspector's configuration (models as given; bytes left out). */
  config: unknown;
  models: RunModel[];
  provider: ProviderName | null;
  /** Default: os.hostname(). */
  host?: string;
  /** The run's own metadata (`--meta`), also merged into each of its parts. */
  meta?: PartMeta;
  /** The detector's class names in class-id order (what an export numbers labels by). */
  classes?: string[];
  /** Default: now. */
  startedAt?: Date;
}

export interface RunRecord {
  id: number;
  startedAt: string;
  /** null while the run goes on (or after a run that was killed). */
  endedAt: string | null;
  host: string;
  provider: string | null;
  toolVersion: string;
  config: unknown;
  models: RunModel[];
  meta: PartMeta;
  classes: string[] | null;
}

/** One part to record: the Inspector's result, the image's identity and its metadata. */
export interface PartInput {
  result: InspectionResult;
  /** The image file (absolute is best: exports read it again), or '' for an image given as pixels or bytes. */
  imagePath: string;
  imageSha256: string;
  meta?: PartMeta;
  /** Default: now. */
  inspectedAt?: Date;
  /** The queue job the part was inspected for (workers): a second record of the same job keeps the first. */
  jobId?: string;
}

/** The decisions a reviewer makes on a part. */
export type ReviewDecision = 'confirm' | 'overturn' | 'relabel';

/** A box on the part's upright crop, [x1, y1, x2, y2] in crop pixels. */
export interface LabelledBox {
  label: string;
  box: [number, number, number, number];
}

/**
 * A review of one part.
 *   confirm   the machine was right: its verdict stands, and a failed part's defects are
 *             the detections at or above their class thresholds (or `boxes`, if given).
 *   overturn  the machine was wrong: a fail becomes a pass (a false call; no defects), a
 *             pass becomes a fail (an escape; `boxes` says where the defects are, if known).
 *   relabel   a defect, with its boxes or classes corrected: `boxes` replaces the
 *             machine's detections, or `labels` renames them in order (one label each).
 * A part the machine skipped or could not inspect needs `verdict`.
 */
export interface ReviewInput {
  reviewer: string;
  decision: ReviewDecision;
  boxes?: LabelledBox[];
  labels?: string[];
  comment?: string;
  /** The reviewed verdict, where the decision alone does not say it (skipped and error parts). */
  verdict?: 'pass' | 'fail';
  /** Default: now. */
  at?: Date;
}

export interface Review {
  id: number;
  partId: number;
  reviewer: string;
  reviewedAt: string;
  decision: ReviewDecision;
  /** The part's verdict after this review. */
  verdict: 'pass' | 'fail';
  /** The part's defects after this review (empty: defect-free); null: a defect whose boxes are not known. */
  boxes: LabelledBox[] | null;
  labels: string[] | null;
  comment: string | null;
}

/** A detection as recorded. */
export interface RecordedDetection {
  label: string;
  classId: number;
  score: number;
  cropBox: [number, number, number, number];
  quad: Quad;
}

/** A part as the store holds it, with its latest review. */
export interface PartRecord {
  id: number;
  runId: number;
  imagePath: string;
  imageSha256: string;
  inspectedAt: string;
  lot: string | null;
  station: string | null;
  camera: string | null;
  partId: string | null;
  /** The other metadata keys. */
  extra: Record<string, unknown>;
  /** The queue job it was inspected for (workers), else null. */
  jobId: string | null;
  width: number;
  height: number;
  mode: string | null;
  roi: {
    status: string;
    quad: Quad | null;
    angle: number | null;
    score: number | null;
    refined: boolean | null;
    cropWidth: number | null;
    cropHeight: number | null;
  };
  dieAngle: number | null;
  /** The machine's verdict. */
  verdict: Verdict;
  reasons: string[];
  detections: RecordedDetection[];
  /** The ensemble's defect probability, and each member's (null: that member failed on the part). */
  classification: { defectProbability: number | null; members: Array<{ name: string; defectProbability: number | null }> } | null;
  timings: { roiMs: number; detectMs: number; classifyMs: number; explainMs: number | null; totalMs: number };
  warning: string | null;
  error: { code: string; message: string } | null;
  /** The latest review, if any; `reviews` counts them all. */
  review: Review | null;
  reviews: number;
  /** The latest review's verdict, else the machine's. */
  effectiveVerdict: Verdict;
}

/** Which parts `parts()` and `reviewRates()` take; every filter given must hold. */
export interface PartQuery {
  /** The effective verdict (a reviewed part's reviewed verdict). */
  verdict?: Verdict;
  machineVerdict?: Verdict;
  /** A defect class among the reviewed boxes of a reviewed part, else among the machine's detections. */
  class?: string;
  lot?: string;
  station?: string;
  camera?: string;
  partId?: string;
  run?: number;
  /** Parts recorded after this part id (ids grow as parts are recorded): what a live view has not seen yet. */
  afterId?: number;
  imagePath?: string;
  /** The queue job (workers). */
  jobId?: string;
  /** Inspected at or after (inclusive). */
  from?: Date | string;
  /** Inspected before (exclusive). */
  to?: Date | string;
  /** true: reviewed parts only; false: unreviewed only. */
  reviewed?: boolean;
  /** parts(): at most this many (default: all), after skipping `offset`. */
  limit?: number;
  offset?: number;
  /** parts(): newest first (default: oldest first). */
  newestFirst?: boolean;
}

/**
 * What reviews say about the machine, over reviewed parts the machine passed or failed:
 * false calls (failed, reviewed as pass) and escapes (passed, reviewed as fail).
 */
export interface ReviewRates {
  reviewed: number;
  machineFailed: number;
  falseCalls: number;
  /** falseCalls / machineFailed; null with no reviewed failed part. */
  falseCallRate: number | null;
  machinePassed: number;
  escapes: number;
  /** escapes / machinePassed; null with no reviewed passed part. */
  escapeRate: number | null;
}

/**
 * A records store. Every method returns a promise, so that a store on a server can
 * implement it; the SQLite store does its work before it returns.
 */
export interface Recorder {
  /** Where the store is (a file path, or a PostgreSQL URL without its password). */
  readonly location: string;
  /** Starts a run; its id goes with each `record()`. */
  beginRun(run: RunStart): Promise<number>;
  /**
   * Records parts in one transaction, each exactly once: a part whose image (path and
   * sha256) or queue job the store holds already keeps its first record (`created: false`).
   */
  record(runId: number, parts: PartInput | PartInput[]): Promise<RecordedAs[]>;
  endRun(runId: number, at?: Date): Promise<void>;
  run(id: number): Promise<RunRecord | null>;
  /** The image paths the store holds (resolved as recorded). */
  recordedPaths(): Promise<Set<string>>;
  part(id: number): Promise<PartRecord | null>;
  parts(query?: PartQuery): Promise<PartRecord[]>;
  /** Adds a review (the latest one counts); ERR_INVALID_ARG for an unknown part or a review that does not fit it. */
  review(partId: number, review: ReviewInput): Promise<Review>;
  reviewRates(query?: PartQuery): Promise<ReviewRates>;
  close(): Promise<void>;
}
