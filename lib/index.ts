/** die-inspect: the public API. */
export { DieInspectError } from './errors';
export type { ErrorCode, ItemError } from './errors';
export type { ImageInput, InputLimits, RawImage, ReferencePair, SingleImage } from './images';
export { DEFAULT_LIMIT_INPUT_PIXELS } from './images';
export { ModelSession } from './session';
export type { ModelInfo, ProviderName, SessionOptions, TensorInfo } from './session';
export { Detector } from './detector';
export type { DetectParams, Detection, DetectionResult, DetectorOptions, YoloLayout } from './detector';
export type { Registration } from './native';
export { Classifier } from './classifier';
export type { Classification, ClassifierOptions } from './classifier';
export { ClassifierEnsemble } from './ensemble';
export type { EnsembleMember, EnsembleResult } from './ensemble';
export { parseClassNames } from './metadata';
export { decodeImage, encodeImage, nms, preprocess, runtimeInfo } from './ops';
export type { LetterboxInfo, NmsOptions, PreprocessOptions } from './ops';
export type { Point, Quad } from './geometry';
export { synthesize, ACQUISITION_MODES, DEFECT_CLASSES } from './synth';
export type { AcquisitionMode, SynthLabel, SynthMeta, SynthOptions, SynthSummary } from './synth';
export { Roi, captureNative, captureProposals } from './roi';
export type { ContourOptions, ContourRoiOptions, DieAngle, ModelProposal, ProposalOutcome, RoiCommonOptions, RoiOptions, RoiResult, RoiStrategy } from './roi';
export { SegRoi } from './roi-seg';
export type { SegRoiOptions } from './roi-seg';
export { SamRoi } from './roi-sam';
export type { SamRoiOptions } from './roi-sam';
export { angleDifference, applyHomography, boxToQuad, bounds, convexIoU, polygonArea } from './geometry';
export type { Homography } from './geometry';
export {
  evaluateDetections, evaluateClassification, cocoSummary, bootstrapMap, bootstrapDifference, bootstrapAuc, confusionMatrix, deeppcbProtocol, rocAuc, rocCurve, iou,
  IOU_THRESHOLDS, RECALL_POINTS, DEEPPCB_IOU,
} from './eval';
export type {
  Box, EvalImage, GroundTruthBox, PredictedBox, ClassDetectionMetrics, DetectionEvalOptions, DetectionMetrics, CocoSummary,
  ConfusionMatrix, DeepPcbMetrics, ClassificationEvalInput, ClassificationEvalOptions, ClassificationMetrics, RocCurve,
  AucIntervals, BootstrapOptions, Interval, MapDifference, MapIntervals,
} from './eval';
export {
  readDetectionDataset, readClassificationDataset, detectFormat, DEEPPCB_CLASSES,
} from './eval/datasets';
export type { ClassificationDataset, DatasetFormat, DatasetOptions, DetectionDataset, DetectionSample } from './eval/datasets';
export { Inspector } from './inspector';
export type { InspectionDetection, InspectionResult, InspectorConfig, InspectStreamOptions, Verdict } from './inspector';
export { listModels, resolveModel, defaultModels, MODELS_DIR } from './models';
export type { ModelCard, ModelRole } from './models';
export { annotateImage, layoutTexts } from './annotate';
export type { AnnotateOptions, Shape, TextPlacement } from './annotate';
