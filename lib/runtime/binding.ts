/**
 * The C++ addon, declared whole: every export native/binding/addon.cc registers, the
 * Session methods, the options each Parse* function reads (field, type, whether it may
 * be left out) and what each job returns. Types with a public name are the API's own,
 * passed to or from the addon as they are; Native* types stay between lib/ and the addon.
 * lib/runtime/native-options.ts maps the other public options onto these.
 * The loader takes a local build when there is one, else the platform package's
 * prebuild (scripts/load-addon.js).
 */
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import type { ItemError } from '../core/errors';
import type { Homography, Point, Quad } from '../core/geometry';
import type { ImageInput, InputLimits, RawImage } from './images';

// ---- Sessions: createSession() and Session.info() (session_object.cc, ParseSessionConfig in convert.cc)

export type ProviderName = 'cpu' | 'cuda' | 'tensorrt';

export interface NativeSessionOptions {
  /** Tried in order; default ['cpu']. */
  providers?: ProviderName[];
  deviceId?: number;
  fp16?: boolean;
  trtInt8?: boolean;
  cudaGraph?: boolean;
  /** 0..5; absent: TensorRT's default. */
  trtBuilderOptimizationLevel?: number;
  trtEngineCacheDir?: string;
  trtTimingCacheDir?: string;
  /** TensorRT dynamic-batch profile; defaults 1, 16, 32. */
  trtMinBatch?: number;
  trtOptBatch?: number;
  trtMaxBatch?: number;
  /** TensorRT profile size of a dynamic height or width; 0 (default): 640. */
  trtProfileHeight?: number;
  trtProfileWidth?: number;
  /** 0 (default): the process-wide pool. */
  intraOpThreads?: number;
  intraOpSpinning?: boolean;
  ioBinding?: boolean;
  interOpThreads?: number;
}

export interface TensorInfo {
  name: string;
  type: string;
  /** Fixed sizes as numbers; symbolic dims by name (or null when unnamed). */
  shape: Array<number | string | null>;
}

export interface ModelInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  producer: string;
  graphName: string;
  description: string;
  domain: string;
  version: number;
  /** The execution provider the session runs on. */
  provider: ProviderName;
  /** Every provider tried, and why one that is not in use is not. */
  providerAttempts: Array<{ provider: ProviderName; ok: boolean; reason: string }>;
  /** Runs go through an ONNX Runtime I/O binding (option `ioBinding`). */
  ioBinding: boolean;
  /** Image batches are prepared in page-locked host memory (CUDA and TensorRT, where the provider has it). */
  pinnedInput: boolean;
}

// ---- Batch results (ItemsToJs in convert.h)

/** One image of a batch: `{ error }` when it failed, else what the call returns for it. */
export type NativeItem<T> = { error: ItemError } | (T & { error?: undefined });

export interface NativeSized {
  width: number;
  height: number;
}

/** What aligning a reference found (see ReferencePair.align). */
export interface Registration {
  /** An image pixel (x, y) lies on the reference at R(angle) (x, y) + (dx, dy): pixels, degrees. */
  dx: number;
  dy: number;
  angle: number;
  /** ECC's correlation of the registered pair, 0..1 (below 0.7 the image fails with ERR_ALIGN). */
  correlation: number;
}

/** Raw BGR pixels handed over without a copy (MatToBuffer). */
export interface BgrImage extends RawImage {
  data: Buffer;
  channels: 3;
}

// ---- Building blocks: nms(), preprocess(), decodeImage(), encodeImage() (utilities.cc)

export interface NmsOptions {
  iou?: number;
  agnostic?: boolean;
  /** Candidates with score <= conf are dropped first. */
  conf?: number;
  /** 0 = unlimited. */
  maxDet?: number;
  topK?: number;
}

/** How every model call prepares pixels (ParsePreprocess in convert.cc). */
export interface NativePreprocessSpec {
  /** Default 'letterbox' ('stretch' for classify). */
  resize?: 'letterbox' | 'stretch';
  padValue?: number;
  swapRB?: boolean;
  scale?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Only this part of each image: [x1, y1, x2, y2] as fractions. */
  region?: [number, number, number, number];
}

export interface PreprocessOptions extends NativePreprocessSpec, InputLimits {
  width?: number;
  height?: number;
}

/** An image's place in the tensor; an image that failed has only `error`. */
export interface LetterboxInfo {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  width: number;
  height: number;
  error?: ItemError;
}

export interface NativePreprocessResult {
  tensor: Float32Array;
  /** [images, 3, height, width] */
  dims: number[];
  images: LetterboxInfo[];
}

export interface DecodedImage extends BgrImage {
  /** With failOn 'error': what the decoder let pass. */
  warning?: string;
}

export interface EncodeOptions extends InputLimits {
  /** Default 'png'. */
  format?: 'png' | 'jpg' | 'jpeg' | 'bmp' | 'tiff';
  /** JPEG quality, default 90. */
  quality?: number;
}

// ---- Session.detect() and segment() (detect_job.cc, segment_job.cc)

export type YoloLayout = 'auto' | 'yolov5' | 'yolov7' | 'yolov8' | 'yolo11';

export interface DetectParams {
  /** Confidence threshold (obj x class score for YOLOv5/v7). Default 0.25. */
  conf?: number;
  /** NMS IoU threshold. Default 0.45. */
  iou?: number;
  /** Suppress across classes instead of per class. Default false. */
  agnostic?: boolean;
  /** One candidate per class above `conf` rather than the best class only. */
  multiLabel?: boolean;
  /** Detections kept per image. Default 300. */
  maxDet?: number;
  /** Candidates kept before NMS, by score. Default 30000. */
  topK?: number;
}

/** ParseDetectConfig. */
export interface NativeDetectOptions extends DetectParams, NativePreprocessSpec, InputLimits {
  /** Input size for dynamic models; default 640, width: the height. */
  height?: number;
  width?: number;
  /** Default 32. */
  stride?: number;
  /** Default 16. */
  maxBatch?: number;
  outputIndex?: number;
  layout?: YoloLayout;
  /** 0 (default): as the output shape says; else it must match. */
  numClasses?: number;
}

export interface NativeDetectImage extends NativeSized {
  /** 4 per detection: x1, y1, x2, y2 in image pixels. */
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  registration?: Registration;
  warning?: string;
}

export interface NativeDetectResult {
  images: Array<NativeItem<NativeDetectImage>>;
  /** The layout found ('yolov5' covers v5/v7, 'yolov8' covers v8/11). */
  layout: 'auto' | 'yolov5' | 'yolov8';
  numClasses: number;
  inputHeight: number;
  inputWidth: number;
}

export interface NativeSegmentOptions extends NativeDetectOptions {
  /** Default -1: any class. */
  classId?: number;
  /** On the sigmoid, in (0, 1); default 0.5. */
  maskThreshold?: number;
}

/** The best detection and its mask's outline; no `box` when nothing was found. */
export type NativeSegmentImage = NativeSized & { warning?: string } & (
  | { box?: undefined }
  | { box: [number, number, number, number]; score: number; classId: number; maskArea: number; quad?: Quad }
);

// ---- Session.classify() (classify_job.cc)

export interface NativeClassifyOptions extends NativePreprocessSpec, InputLimits {
  /** Default 224, width: the height. */
  height?: number;
  width?: number;
  /** Default 16. */
  maxBatch?: number;
  outputIndex?: number;
  scores?: 'auto' | 'logits' | 'probabilities';
}

export interface NativeClassifyImage extends NativeSized {
  probabilities: Float32Array;
  registration?: Registration;
  warning?: string;
}

// ---- Session.explainClassify() / explainDetect() (explain_job.cc)

/**
 * 'cam': class activation map from the classifier's last feature map and its linear head
 * (one model call per batch; shipped classifiers have it). 'rise': the mean of random
 * masks weighted by the class probability each masked copy gets, what a mask hides
 * blurred (any classifier; `masks` model calls per image). 'occlusion': how much the
 * answer drops when each grid cell is hidden (classifiers: in log-odds of the class;
 * detectors: the detection's score; grid x grid calls per image).
 */
export type SaliencyMethod = 'cam' | 'rise' | 'occlusion';

export interface ExplainParams {
  /** Classifier default: 'cam' where the model has a feature output, else 'occlusion'. Detectors: 'occlusion'. */
  method?: SaliencyMethod;
  /**
   * CAM: sub-cell shifts per axis. The map is the mean of shifts^2 maps of the input moved by
   * fractions of a feature cell (one model call each per batch), which resolves finer than a
   * cell (a 224 input's 7 x 7 map has 32-pixel cells). 1: the plain map. Default 2.
   */
  shifts?: number;
  /** RISE: masks per image. Default 500. */
  masks?: number;
  /** RISE: mask grid cells per side. Default 7. */
  cells?: number;
  /** RISE: share of cells each mask keeps. Default 0.5. */
  keep?: number;
  /** RISE: seed of the masks (the same masks for every image). Default 0. */
  seed?: number;
  /** Occlusion: cells per side, each hidden in turn (grey 114). Default 8. */
  grid?: number;
  /** Longest side of a returned map in pixels (0: the image's own size). Default 512. */
  mapSide?: number;
  /** Detector: maps for at most this many detections per image, best first. Default 20. */
  maxMaps?: number;
}

/** What the addon reads: the options, the class by index, and for CAM the head found in the model file. */
export interface NativeExplainParams extends ExplainParams {
  target?: number;
  /** CAM: the index of the feature output, and the pooled linear head's weights (classes x channels). */
  featureOutput?: number;
  camWeights?: Float32Array;
  camClasses?: number;
}

export interface NativeSaliencyMap {
  /** The class explained (classifier) or detected (detector). */
  classId: number;
  /** Its probability (classifier) or the detection's score (detector). */
  score: number;
  /** Detector: the detection explained, image pixels [x1, y1, x2, y2]. */
  box?: [number, number, number, number];
  /** Map size; the map spans the whole image, so map pixel (i, j) covers image pixels scaled by image/map size. */
  width: number;
  height: number;
  /** width x height values, row-major, 0..1 (1 at the peak); 0 where the model saw nothing of the image. */
  data: Float32Array;
  /** The map's maximum, image pixels. */
  peak: { x: number; y: number };
  /**
   * The raw value at the peak: logit evidence (cam), mean probability (rise), log-odds drop
   * (classifier occlusion), score drop (detector); for an ensemble, the members' weighted mean map there.
   */
  peakValue: number;
}

export interface NativeExplainImage extends NativeSized {
  /** Classifier only. */
  probabilities?: Float32Array;
  maps: NativeSaliencyMap[];
  warning?: string;
}

// ---- Session.run() and benchmark() (run_job.cc, bench_job.cc)

export interface NativeTensor {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
  dims: number[];
  /** The element type (outputs); an input has the model's. */
  type?: string;
}

export interface NativeBenchmarkOptions {
  /** Defaults 1, 10, 50, 640 (width: the height). */
  batch?: number;
  warmup?: number;
  iters?: number;
  height?: number;
  width?: number;
}

export interface NativeBenchmarkResult {
  /** Per timed iteration. */
  ms: Float64Array;
  batch: number;
  height: number;
  width: number;
}

export interface NativeSession {
  info(): ModelInfo;
  detect(images: ImageInput[], options?: NativeDetectOptions): Promise<NativeDetectResult>;
  segment(images: ImageInput[], options?: NativeSegmentOptions): Promise<Array<NativeItem<NativeSegmentImage>>>;
  classify(images: ImageInput[], options?: NativeClassifyOptions): Promise<Array<NativeItem<NativeClassifyImage>>>;
  explainClassify(images: ImageInput[], options?: NativeClassifyOptions & NativeExplainParams)
    : Promise<Array<NativeItem<NativeExplainImage>>>;
  explainDetect(images: ImageInput[], options?: NativeDetectOptions & NativeExplainParams): Promise<Array<NativeItem<NativeExplainImage>>>;
  run(feeds: Record<string, NativeTensor>): Promise<Record<string, Required<NativeTensor>>>;
  benchmark(options?: NativeBenchmarkOptions): Promise<NativeBenchmarkResult>;
  close(): void;
}

// ---- roiCapture() (roi_job.cc) and samSegment() (sam_job.cc)

export type AcquisitionMode = 'brightfield' | 'darkfield-white' | 'darkfield-blue';

export interface ContourOptions {
  /** Adaptive mean threshold block at 1280 px width, scaled with the image (study: 151). */
  blockSize?: number;
  /** Adaptive threshold constant (study: 3). */
  c?: number;
  /** Minimum contour area as a fraction of the image (study: 35,000 px). */
  minContourFrac?: number;
  /** Minimum rectangle area as a fraction of the image (study: 100,000 px). */
  minRectFrac?: number;
  maxRectFrac?: number;
  /** approxPolyDP epsilon as a fraction of the perimeter (study: 1%). */
  epsilonFrac?: number;
}

/** The chain every ROI strategy shares, after the package is located (ParseRoiConfig). */
export interface RoiChainOptions extends ContourOptions, InputLimits {
  /** Fit the package sides to sub-pixel edges (default true). */
  refine?: boolean;
  /**
   * Upright rule: 'die-left' (default): long side horizontal and the die left of
   * centre, a full-circle pose; 'long-side': long side horizontal only (180 degree ambiguity).
   */
  orientation?: 'die-left' | 'long-side';
  /** Mode rule: all channel means above this -> brightfield (study: 15). */
  brightfieldMin?: number;
  /** Skip locating the package on darkfield images (the study's filter). */
  brightfieldOnly?: boolean;
  /** Return the upright crop pixels (default true). */
  crops?: boolean;
  /** Measure the die angle (default true). */
  measureDie?: boolean;
  /** Crop scale relative to the package's size in the image (default 1). */
  cropScale?: number;
}

export interface NativeRoiOptions extends RoiChainOptions {
  /** One outline (or null: none) per image, in place of the contour search. */
  proposals?: Array<Quad | null>;
  /** Per proposal, how far (px, 0..256) it may be from the package edges. */
  proposalRadii?: Array<number | undefined>;
}

export interface NativeDieAngle {
  /** Rotation of the die relative to the package, degrees, clockwise on screen. */
  angle: number;
  /** The die outline on the crop (TL, TR, BR, BL). */
  quad: Quad;
  /** Sides fitted to sub-pixel edges (false: blob rectangle only, coarser). */
  refined: boolean;
}

export interface NativeRoiImage extends NativeSized {
  mode: AcquisitionMode;
  meansBgr: number[];
  /** The outline and crop fields come with 'ok' only. */
  status: 'ok' | 'not_found' | 'skipped';
  /** TL, TR, BR, BL of the upright package in the image. */
  quad?: Quad;
  /** Direction of the package's top edge, degrees in [0, 360), clockwise on screen. */
  angle?: number;
  score?: number;
  refined?: boolean;
  /** The die-position cue decided the 180 degree ambiguity. */
  cueUsed?: boolean;
  cropWidth?: number;
  cropHeight?: number;
  cropToImage?: Homography;
  imageToCrop?: Homography;
  /** Upright crop, raw BGR: pass it straight to Detector/Classifier. */
  crop?: BgrImage;
  die?: NativeDieAngle;
  timings: { decodeMs: number; locateMs: number; warpMs: number };
  /** With failOn 'error': what the decoder let pass in this damaged image (its first warning). */
  warning?: string;
}

export interface NativeSamOptions extends InputLimits {
  /** Default false. */
  padPoint?: boolean;
  /** On the mask logits; default 0. */
  maskThreshold?: number;
}

/** The chosen mask and its outline; no `maskIndex` for an image without a box. */
export type NativeSamImage = NativeSized & (
  | { maskIndex?: undefined }
  | { maskIndex: number; iouPrediction: number; maskArea: number; quad?: Quad }
);

// ---- annotateImage() and layoutTexts() (annotate_job.cc)

export type Shape =
  | {
    type: 'polygon'; points: Point[]; closed?: boolean; color?: [number, number, number]; thickness?: number;
    /** Drawn beside the outline where no other text is (see layoutTexts); earlier shapes' labels get the nearer spots. */
    label?: string; fontScale?: number;
  }
  /** Drawn at `at` (its top-left), moved only to stay inside the image; labels make room for it. */
  | { type: 'text'; at: Point; text: string; color?: [number, number, number]; fontScale?: number };

/** A 0..1 map blended under the outlines (a saliency map). */
export interface HeatmapOverlay {
  data: Float32Array;
  width: number;
  height: number;
  /** Where the map's corners go (TL, TR, BR, BL): a map of the upright crop on the full image. Default: the whole image. */
  quad?: Quad;
  /** Opacity at a value of 1 (0..1). Default 0.5. */
  alpha?: number;
}

export interface AnnotateOptions extends InputLimits {
  format?: 'jpg' | 'png';
  /** A saliency map drawn as a colour ramp under the shapes. */
  heatmap?: HeatmapOverlay;
  quality?: number;
  /** Downscale so the longer side is at most this (shape coordinates stay in the original pixels). */
  maxSide?: number;
}

/** Where a text shape or a polygon's label is drawn, in the drawn image's pixels (after `maxSide`). */
export interface TextPlacement {
  /** Index of its shape. */
  shape: number;
  /** Its filled background, [x1, y1, x2, y2) with x2, y2 exclusive: no two overlap while the image has room. */
  box: [number, number, number, number];
  /** A label placed away from its outline: the line drawn from the label to the outline's nearest corner. */
  leader?: [Point, Point];
}

// ---- synthRender() and synthPlan() (synth_job.cc)

/** Pixels made elsewhere: 3 x height x width values, planes R, G, B (one sample of a generator's NCHW output), 0..1. */
export interface NativeSynthPixels {
  data: Float32Array;
  width: number;
  height: number;
}

/** A defect pasted onto a part's upright canvas before the canvas is posed into the image. */
export interface NativeSynthPaste {
  label: 'die_crack' | 'die_rotation';
  /** The label box on the canvas, [x1, y1, x2, y2] inside [0, cropWidth] x [0, cropHeight]. */
  box: [number, number, number, number];
  /**
   * The patch covers the box grown by context x its width on the left and on the right and
   * context x its height above and below (0..4; default 0); alpha 1 over the box, 0 at the patch's edge.
   */
  context?: number;
  /** Resized (anisotropically) to the grown box; sides 1..4096. */
  patch: NativeSynthPixels;
}

/** What changes in one part as sampled. */
export interface NativeSynthOverride {
  /** Rendered without die defects: the die at `uprightDieAngle` (synthPlan), no die flaws; LED distractors stay. */
  defectFree?: boolean;
  /** Drawn last on the canvas, in order; each becomes a label with `source: 'gan'`. */
  pastes?: NativeSynthPaste[];
  /** The board behind the package in place of the drawn one, resized to the image; sides 1..8192. */
  board?: NativeSynthPixels;
}

export interface NativeSynthOptions {
  /** Default 0. */
  seed?: number;
  /** The first part rendered, and how many (0..4096; default 1). */
  start?: number;
  count?: number;
  /** Image size; defaults 1280 x 960. */
  width?: number;
  height?: number;
  /** Default: brightfield only. */
  modes?: AcquisitionMode[];
  /** Also the upright crop (JPEG) and the package mask (PNG). */
  crops?: boolean;
  masks?: boolean;
  /** Fraction of defect-free parts (default 1/3). */
  goodFraction?: number;
  /** Fraction of parts with die cracks (default 1/3); the rest have a rotated die. */
  crackFraction?: number;
  /** Share of parts with a crack on the LED region, which a detector must ignore (default 0.2). */
  distractorRate?: number;
  /** The board alone, no package (no crops or masks then): training images for background generators. */
  boardsOnly?: boolean;
  /** synthRender: one entry per part of the call (`count`), null where a part stays as sampled. */
  overrides?: Array<NativeSynthOverride | null>;
}

/** A part as sampled, before anything is drawn (synthPlan). Coordinates on the upright canvas (the crop). */
export interface NativeSynthPlanPart {
  index: number;
  /** Its defect classes, die_rotation first; none for a good part. */
  defects: Array<'die_crack' | 'die_rotation'>;
  cropWidth: number;
  cropHeight: number;
  dieCenter: Point;
  dieWidth: number;
  dieHeight: number;
  /** The die's angle (degrees, clockwise) when the part is rendered defect-free: its own unless the die is the defect. */
  uprightDieAngle: number;
}

export interface SynthLabel {
  label: string;
  /** [x1, y1, x2, y2] in the full image. */
  box: number[];
  /** [x1, y1, x2, y2] in the upright crop. */
  cropBox: number[];
  /** Outline in the full image. */
  quad: Point[];
  /** 'gan': a generated defect pasted in (absent: drawn). */
  source?: 'gan';
}

export interface NativeSynthPart {
  index: number;
  packageQuad: Quad;
  packageAngle: number;
  dieQuad: Point[];
  dieQuadCrop: Quad;
  dieAngle: number;
  cropWidth: number;
  cropHeight: number;
  cropToImage: Homography;
  labels: SynthLabel[];
  /** One per mode, JPEG. */
  images: Array<{ mode: AcquisitionMode; data: Buffer; meansBgr: number[] }>;
  crop?: Buffer;
  mask?: Buffer;
}

// ---- The module (addon.cc)

export interface NativeAddon {
  /** The class of createSession()'s sessions; not constructible from JavaScript. */
  readonly Session: abstract new () => NativeSession;
  createSession(model: string | Uint8Array, options?: NativeSessionOptions): Promise<NativeSession>;
  readonly ortVersion: string;
  /** Providers compiled into the loaded ONNX Runtime. */
  readonly ortProviders: string[];
  /** Kept indices, best first; synchronous. */
  nms(boxes: Float32Array, scores: Float32Array, classIds?: Int32Array | null, options?: NmsOptions): Int32Array;
  preprocess(images: ImageInput[], options?: PreprocessOptions): Promise<NativePreprocessResult>;
  decodeImage(image: ImageInput, options?: InputLimits): Promise<DecodedImage>;
  encodeImage(image: ImageInput, options?: EncodeOptions): Promise<Buffer>;
  /** A 0..1 map ({data, width, height}) as a 16-bit grey PNG (65535 = 1). */
  encodeMapPng(map: { data: Float32Array; width: number; height: number }): Promise<Buffer>;
  synthRender(options?: NativeSynthOptions): Promise<NativeSynthPart[]>;
  /** Synchronous: the parts synthRender would render with the same options, as sampled. */
  synthPlan(options?: NativeSynthOptions): NativeSynthPlanPart[];
  roiCapture(images: ImageInput[], options?: NativeRoiOptions): Promise<Array<NativeItem<NativeRoiImage>>>;
  annotateImage(image: ImageInput, shapes: Shape[], options?: AnnotateOptions): Promise<Buffer>;
  /** Synchronous: where annotateImage would put each text. */
  layoutTexts(width: number, height: number, shapes: Shape[], options?: Pick<AnnotateOptions, 'maxSide'>): TextPlacement[];
  samSegment(encoder: NativeSession, decoder: NativeSession, images: ImageInput[],
    boxes: Array<[number, number, number, number] | null>, options?: NativeSamOptions): Promise<Array<NativeItem<NativeSamImage>>>;
  /**
   * Detaches each buffer (its length becomes 0) so that the memory behind it is freed now, not
   * when the collector reaches its object; a view into a larger ArrayBuffer is left alone. How many went.
   */
  releaseBuffers(buffers: Uint8Array[]): number;
  /** glibc's mallopt(M_MMAP_THRESHOLD); false where it did not take (or no glibc). */
  mallocOptions(options: MallocOptions): boolean;
  /** glibc's mallinfo2(); null without glibc 2.33 or later. */
  mallocInfo(): MallocInfo | null;
}

export interface MallocOptions {
  /**
   * Allocations of at least this many bytes (4096 to 32 MiB) get pages of their own from the
   * system, returned to it when freed. glibc's default starts at 128 KiB and rises to the
   * largest such chunk freed, after which image-sized buffers stay in its arenas.
   */
  mmapThreshold: number;
}

/** The C library's malloc heap (glibc's mallinfo2()), in bytes. */
export interface MallocInfo {
  /** Taken from the system for malloc's arenas (chunks mmapped on their own apart). */
  heapBytes: number;
  /** Of heapBytes, allocated. */
  inUseBytes: number;
  /** Of heapBytes, free but kept by malloc for later allocations. */
  freeBytes: number;
  /** Chunks mmapped on their own (large allocations), all of them allocated. */
  mmapBytes: number;
}

let addon: NativeAddon | undefined;

/** The addon, loaded on first use so that a missing build is a clear error, not an import crash. */
export function loadNative(): NativeAddon {
  if (!addon) {
    // One search shared with the install script: local build, then the platform package.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon } = require(path.join(__dirname, '..', '..', 'scripts', 'load-addon.js')) as { loadAddon(): { addon: NativeAddon } };
    try {
      addon = loadAddon().addon;
    } catch (err) {
      throw new DieInspectError('ERR_ADDON_LOAD', (err as Error).message);
    }
  }
  return addon;
}
