/**
 * ROI capture: acquisition mode -> package outline -> upright crop -> die angle.
 * Strategies differ only in how the package is first located:
 *   contour  the classical chain (native/roi/contour.cc), no model (./contour.ts)
 *   seg      a YOLO-seg package segmenter (./seg.ts)
 *   sam      a box-prompt detector + SAM encoder/decoder (./sam.ts)
 * Sub-pixel sides, orientation, warp and die measurement are shared (native/pipeline/roi_capture.cc).
 * This base knows no strategy: ./factory.ts does, and is what `Roi.create` calls.
 */
import { DieInspectError, native } from '../../core/errors';
import type { Homography, Point, Quad } from '../../core/geometry';
import { ImageInput, toNativeImages } from '../../runtime/images';
import { loadNative } from '../../runtime/binding';
import type { AcquisitionMode, ContourOptions, NativeDieAngle, NativeRoiImage, RoiChainOptions } from '../../runtime/binding';
import { roiOptions } from '../../runtime/native-options';
import type { Imgsz } from '../../runtime/metadata';
import type { SessionOptions } from '../../runtime/session';
import type { DetectorOptions } from '../detector';

export type { AcquisitionMode, ContourOptions };

export type RoiStrategy = 'contour' | 'seg' | 'sam';

export const ACQUISITION_MODES: AcquisitionMode[] = ['brightfield', 'darkfield-white', 'darkfield-blue'];

/** The options every strategy takes: the shared chain's, and what is judged in JavaScript. */
export interface RoiCommonOptions extends RoiChainOptions {
  /** |die angle| above this many degrees flags die_rotation (default 1). */
  dieTolerance?: number;
}

export interface DieAngle extends NativeDieAngle {
  /** |angle| exceeds the tolerance. */
  rotated: boolean;
}

export interface RoiResult extends Omit<NativeRoiImage, 'status' | 'die'> {
  /** ok; not_found (no package: `error` says ERR_ROI_NOT_FOUND); skipped (darkfield with brightfieldOnly); error. */
  status: NativeRoiImage['status'] | 'error';
  die?: DieAngle;
  /** What a model strategy (seg, sam) proposed before refinement. */
  proposal?: ModelProposal;
  error?: DieInspectError;
}

/** A model strategy's package proposal for one image. */
export interface ModelProposal {
  /** The package box, [x1, y1, x2, y2] in image pixels (seg: the detection; sam: the prompt). */
  box: [number, number, number, number];
  /** Detection confidence (seg: the segmenter's; sam: the prompt detector's). */
  score: number;
  classId: number;
  /** Pixels in the mask's largest component. */
  maskArea: number;
  /** Outline from the mask, before sub-pixel refinement (TL, TR, BR, BL not yet decided). */
  maskQuad: Quad;
  /** sam: the decoder's predicted IoU of the chosen mask. */
  iouPrediction?: number;
  /** How far (px) the outline may be from the package edges (about one mask cell); the edge refinement searches that far first. */
  searchRadius?: number;
}

/**
 * A mask outline's search radius from the size of one mask cell in image pixels:
 * one and a half cells, so the coarse edge pass reaches edges a whole cell off.
 */
export function maskSearchRadius(cellPx: number): number {
  return 1.5 * cellPx;
}

/** A strategy's outcome for one image: a proposal, nothing found, or a failure. */
export type ProposalOutcome = { proposal: ModelProposal } | { error: DieInspectError } | null;

/** Runs the shared chain; `proposals` (one quad or null per image) replace the contour search. */
export async function captureNative(images: ImageInput[], o: RoiCommonOptions, proposals?: Array<Quad | null>,
  proposalRadii?: Array<number | undefined>): Promise<RoiResult[]> {
  const raw = await native(() => loadNative().roiCapture(toNativeImages(images, false), roiOptions(o, proposals, proposalRadii)));
  const tolerance = o.dieTolerance ?? 1;
  return raw.map((r): RoiResult => {
    if (r.error) {
      return {
        width: 0, height: 0, mode: 'brightfield', meansBgr: [], status: 'error',
        timings: { decodeMs: 0, locateMs: 0, warpMs: 0 }, error: new DieInspectError(r.error.code, r.error.message),
      };
    }
    const { die, ...rest } = r;
    // The addon sets die last: added back, it keeps its place.
    const out: RoiResult = die ? { ...rest, die: { ...die, rotated: Math.abs(die.angle) > tolerance } } : rest;
    if (out.status === 'not_found') out.error = new DieInspectError('ERR_ROI_NOT_FOUND', 'no IC package found in the image');
    return out;
  });
}

/**
 * Runs the shared chain on model proposals. Images with no proposal come back
 * not_found (ERR_ROI_NOT_FOUND); a failure while proposing becomes the image's error.
 */
export async function captureProposals(images: ImageInput[], o: RoiCommonOptions,
  outcomes: ProposalOutcome[]): Promise<RoiResult[]> {
  const quads = outcomes.map((x) => (x && 'proposal' in x ? x.proposal.maskQuad : null));
  const radii = outcomes.map((x) => (x && 'proposal' in x ? x.proposal.searchRadius : undefined));
  const results = await captureNative(images, o, quads, radii);
  return results.map((r, i) => {
    const x = outcomes[i];
    if (!x || r.status === 'error' || r.status === 'skipped') return r;
    if ('error' in x) return { ...r, status: 'error', error: x.error };
    const out: RoiResult = { ...r, proposal: x.proposal };
    if (out.status === 'ok') out.score = x.proposal.score;
    return out;
  });
}

export interface ContourRoiOptions extends RoiCommonOptions {
  strategy?: 'contour';
}

export interface SegRoiOptions extends RoiCommonOptions, SessionOptions {
  strategy: 'seg';
  /** The YOLO-seg ONNX model: a path or its bytes. Default: the shipped package segmenter. */
  model?: string | Uint8Array;
  /** Detection confidence threshold. Default 0.25. */
  conf?: number;
  /** NMS IoU threshold. Default 0.45. */
  iou?: number;
  /** Input size for models with dynamic height/width. Default: metadata `imgsz`, else 640. */
  imgsz?: Imgsz;
  /** The package class; default: the best detection of any class. */
  classId?: number;
  /** Output layout; 'auto' reads it from the shapes. */
  layout?: 'auto' | 'yolov5' | 'yolov8';
  /** Mask threshold on the sigmoid. Default 0.5. */
  maskThreshold?: number;
  /** Images per model call for dynamic-batch models. Default 16, 2 on the CPU (`defaultMaxBatch`). */
  maxBatch?: number;
}

export interface SamRoiOptions extends RoiCommonOptions, SessionOptions {
  strategy: 'sam';
  /** Any YOLO ONNX detector whose boxes prompt SAM. Default: the shipped package detector. */
  detector?: string | Uint8Array;
  /** SAM image encoder: [1, 3, S, S] -> image_embeddings. */
  encoder: string | Uint8Array;
  /** SAM prompt decoder (official export inputs and outputs). */
  decoder: string | Uint8Array;
  /** Detector confidence threshold. Default 0.25. */
  conf?: number;
  /** The package class; default: the best detection of any class. */
  classId?: number;
  /** Further detector options (imgsz, layout, iou, ...). */
  detectorOptions?: Omit<DetectorOptions, keyof SessionOptions>;
  /** Append the (0, 0) padding point labelled -1 after the box (decoders exported to expect it). Default false. */
  padPoint?: boolean;
  /** Mask threshold on the decoder's logits. Default 0. */
  maskThreshold?: number;
}

export type RoiOptions = ContourRoiOptions | SegRoiOptions | SamRoiOptions;

type RoiFactory = (options: RoiOptions) => Promise<Roi>;
let factory: RoiFactory | undefined;

/** Set once by ./factory.ts, which knows the strategies; this base knows none of them. */
export function setRoiFactory(create: RoiFactory): void {
  factory = create;
}

/** The ROI stage. `Roi.create({strategy: 'contour' | 'seg' | 'sam', ...})`. */
export abstract class Roi {
  abstract readonly strategy: RoiStrategy;
  protected constructor(protected readonly options: RoiCommonOptions) {}

  static async create(options: RoiOptions = {}): Promise<Roi> {
    if (!factory) throw new DieInspectError('ERR_INTERNAL', 'the ROI strategies are not loaded (import Roi from die-inspect)');
    return factory(options);
  }

  /** Locates, uprights and measures every image; one image's failure stays in its result. */
  abstract capture(images: ImageInput | ImageInput[]): Promise<RoiResult[]>;

  close(): void {
    /* contour holds no native resources */
  }
}

export type { Point, Quad, Homography };
