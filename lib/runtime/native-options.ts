/**
 * Public options -> the addon's, for every native call whose options are not passed
 * as they are: one function per call, from the public type (or the part of it that
 * the call reads) to the binding's interface. Each picks its fields, so what else a
 * wider options object holds (session settings, JS-side thresholds) stays out.
 */
import type { Quad } from '../core/geometry';
import type { InputLimits } from './images';
import type {
  DetectParams, NativeClassifyOptions, NativeDetectOptions, NativeRoiOptions, NativeSamOptions, NativeSegmentOptions,
  NativeSessionOptions, NativeSynthOptions, NativeSynthOverride, ProviderName, RoiChainOptions,
} from './binding';
import type { SessionOptions } from './session-options';

const CHAINS: Record<ProviderName, ProviderName[]> = {
  tensorrt: ['tensorrt', 'cuda', 'cpu'],
  cuda: ['cuda', 'cpu'],
  cpu: ['cpu'],
};

export function sessionOptions(o: SessionOptions = {}): NativeSessionOptions {
  return {
    providers: o.providers ?? (o.provider ? CHAINS[o.provider] : ['cpu']),
    deviceId: o.deviceId,
    fp16: o.fp16,
    trtInt8: o.trtInt8,
    cudaGraph: o.cudaGraph,
    trtBuilderOptimizationLevel: o.trtBuilderOptimizationLevel,
    trtEngineCacheDir: o.trtEngineCacheDir || undefined,
    trtTimingCacheDir: o.trtTimingCacheDir || undefined,
    trtMinBatch: o.trtBatch?.min,
    trtOptBatch: o.trtBatch?.opt,
    trtMaxBatch: o.trtBatch?.max,
    intraOpThreads: o.intraOpThreads,
    intraOpSpinning: o.intraOpSpinning,
    interOpThreads: o.interOpThreads,
    ioBinding: o.ioBinding,
  };
}

function inputLimits(o: InputLimits): InputLimits {
  return { limitInputPixels: o.limitInputPixels, failOn: o.failOn, autoOrient: o.autoOrient };
}

/** What the loaded model settles for a call: its input size, and the batch when the options name none. */
export interface ModelCall {
  height: number;
  width: number;
  defaultMaxBatch: number;
}

type DetectSource = DetectParams & InputLimits & Pick<NativeDetectOptions, 'layout' | 'stride' | 'maxBatch' | 'outputIndex'>;

/** `numClasses`: how many names the detector has, which the output must match. */
export function detectOptions(o: DetectSource, model: ModelCall & { numClasses?: number }): NativeDetectOptions {
  return {
    conf: o.conf, iou: o.iou, agnostic: o.agnostic, multiLabel: o.multiLabel, maxDet: o.maxDet, topK: o.topK,
    layout: o.layout, numClasses: model.numClasses, height: model.height, width: model.width, stride: o.stride,
    maxBatch: o.maxBatch ?? model.defaultMaxBatch, outputIndex: o.outputIndex, ...inputLimits(o),
  };
}

type ClassifySource = InputLimits &
  Pick<NativeClassifyOptions, 'resize' | 'region' | 'scale' | 'mean' | 'std' | 'scores' | 'maxBatch' | 'outputIndex'>;

export function classifyOptions(o: ClassifySource, model: ModelCall): NativeClassifyOptions {
  return {
    height: model.height, width: model.width, resize: o.resize, region: o.region, scale: o.scale, mean: o.mean, std: o.std,
    scores: o.scores, maxBatch: o.maxBatch ?? model.defaultMaxBatch, outputIndex: o.outputIndex, ...inputLimits(o),
  };
}

type SegmentSource = InputLimits & Pick<NativeSegmentOptions, 'conf' | 'iou' | 'layout' | 'classId' | 'maskThreshold' | 'maxBatch'>;

export function segmentOptions(o: SegmentSource, model: ModelCall): NativeSegmentOptions {
  return {
    conf: o.conf, iou: o.iou, height: model.height, width: model.width, layout: o.layout, classId: o.classId,
    maskThreshold: o.maskThreshold, maxBatch: o.maxBatch ?? model.defaultMaxBatch, ...inputLimits(o),
  };
}

export function samOptions(o: NativeSamOptions): NativeSamOptions {
  return { padPoint: o.padPoint, maskThreshold: o.maskThreshold, ...inputLimits(o) };
}

/** `proposals` (one quad or null per image) replace the contour search; `proposalRadii` say how far each may be off. */
export function roiOptions(o: RoiChainOptions, proposals?: Array<Quad | null>,
  proposalRadii?: Array<number | undefined>): NativeRoiOptions {
  return {
    blockSize: o.blockSize, c: o.c, minContourFrac: o.minContourFrac, minRectFrac: o.minRectFrac,
    maxRectFrac: o.maxRectFrac, epsilonFrac: o.epsilonFrac, refine: o.refine, orientation: o.orientation,
    brightfieldMin: o.brightfieldMin, brightfieldOnly: o.brightfieldOnly, crops: o.crops, measureDie: o.measureDie,
    cropScale: o.cropScale, ...inputLimits(o), proposals, proposalRadii,
  };
}

type SynthSource = Pick<NativeSynthOptions,
  'seed' | 'width' | 'height' | 'modes' | 'crops' | 'masks' | 'goodFraction' | 'crackFraction' | 'boardsOnly'>;

/** One chunk of a dataset: parts [start, start + count), with what changes in each part (`overrides`, one per part). */
export function synthOptions(o: SynthSource, chunk: { start: number; count: number },
  overrides?: Array<NativeSynthOverride | null>): NativeSynthOptions {
  return {
    seed: o.seed, start: chunk.start, count: chunk.count, width: o.width, height: o.height, modes: o.modes,
    crops: o.crops, masks: o.masks, goodFraction: o.goodFraction, crackFraction: o.crackFraction, boardsOnly: o.boardsOnly,
    ...(overrides ? { overrides } : {}),
  };
}
