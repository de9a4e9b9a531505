/** die-inspect: the public API. */
export { DieInspectError } from './errors';
export type { ErrorCode, ItemError } from './errors';
export type { ImageInput, RawImage } from './images';
export { ModelSession } from './session';
export type { ModelInfo, ProviderName, SessionOptions, TensorInfo } from './session';
export { Detector } from './detector';
export type { DetectParams, Detection, DetectionResult, DetectorOptions, YoloLayout } from './detector';
export { Classifier } from './classifier';
export type { Classification, ClassifierOptions } from './classifier';
export { ClassifierEnsemble } from './ensemble';
export type { EnsembleMember, EnsembleResult } from './ensemble';
export { parseClassNames } from './metadata';
export { decodeImage, encodeImage, nms, preprocess, runtimeInfo } from './ops';
export type { LetterboxInfo, NmsOptions, PreprocessOptions } from './ops';
export { synthesize, ACQUISITION_MODES, DEFECT_CLASSES } from './synth';
export type { AcquisitionMode, Point, Quad, SynthLabel, SynthMeta, SynthOptions, SynthSummary } from './synth';
