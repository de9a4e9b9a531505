/**
 * die-inspect: the product. Evaluation and dataset readers are in `die-inspect/eval`;
 * the modules below lib/ hold the plumbing, which is not part of the API.
 */
export { DieInspectError } from './core/errors';
export type { ErrorCode, ItemError } from './core/errors';
export { applyHomography, boxToQuad } from './core/geometry';
export type { Homography, Point, Quad } from './core/geometry';
export { DEFAULT_LIMIT_INPUT_PIXELS } from './runtime/images';
export type { ImageInput, InputLimits, RawImage, ReferencePair, SingleImage } from './runtime/images';
export type { Registration } from './runtime/binding';
export { ModelSession } from './runtime/session';
export type { ModelInfo, ProviderName, SessionOptions, TensorInfo } from './runtime/session';
export { defaultModels, listModels, resolveModel } from './runtime/models';
export type { ModelCard, ModelRole } from './runtime/models';
export {
  decodeImage, encodeImage, encodeMapPng, mallocInfo, nms, preprocess, releaseBuffers, runtimeInfo, setMallocOptions,
} from './runtime/ops';
export type { LetterboxInfo, MallocInfo, MallocOptions, NmsOptions, PreprocessOptions } from './runtime/ops';

export { Detector } from './stages/detector';
export type { DetectParams, Detection, DetectionResult, DetectorOptions, YoloLayout } from './stages/detector';
export { Classifier } from './stages/classifier';
export type { Classification, ClassifierOptions } from './stages/classifier';
export { ClassifierEnsemble } from './stages/ensemble';
export type { EnsembleMember, EnsembleResult, EnsembleSpec } from './stages/ensemble';
export { meanMap } from './stages/saliency';
export type { Explanation, ExplainOptions, SaliencyMap, SaliencyMethod } from './stages/saliency';
export { CAM_FEATURES_KEY, withCamOutput } from './runtime/onnx/cam-head';
export { combine, COMBINE_RULES } from './stages/combine';
export type { Calibration, Combination, CombineRule } from './stages/combine';
export { MANIFEST_FORMAT } from './stages/ensemble-manifest';
export type { EnsembleManifest, ManifestMember } from './stages/ensemble-manifest';
export { Roi } from './stages/roi/factory';
export { ACQUISITION_MODES } from './stages/roi/base';
export type {
  AcquisitionMode, ContourOptions, ContourRoiOptions, DieAngle, ModelProposal, RoiCommonOptions, RoiOptions, RoiResult, RoiStrategy,
  SamRoiOptions, SegRoiOptions,
} from './stages/roi/base';

export { Inspector } from './pipeline/inspector';
export type {
  BatchTiming, InspectionDetection, InspectionResult, InspectionSaliency, InspectorConfig, InspectStreamOptions, Verdict,
} from './pipeline/inspector';
export type { RecordedAs } from './pipeline/inspection-types';
export { openRecorder, SqliteRecorder } from './pipeline/records/sqlite';
export { openPgRecorder, PgRecorder } from './pipeline/records/pg';
export { SCHEMA_VERSION as RECORDS_SCHEMA_VERSION } from './pipeline/records/sql';
export type { RecordOptions, RecordTarget } from './pipeline/records/recording';
export { parseMeta, sidecarPaths } from './pipeline/records/part-meta';
export { exportPartsCsv, exportReviewed, PARTS_CSV_COLUMNS } from './pipeline/records/export';
export type { ReviewedExport } from './pipeline/records/export';
export type {
  LabelledBox, PartInput, PartMeta, PartQuery, PartRecord, RecordedDetection, Recorder, Review, ReviewDecision, ReviewInput, ReviewRates,
  RunModel, RunRecord, RunStart,
} from './pipeline/records/types';
export { startReviewServer } from './serve/server';
export type { ReviewServer, ReviewServerOptions } from './serve/server';
export { createWorker } from './pipeline/workers/worker';
export type { InspectWorker, WorkerOptions } from './pipeline/workers/worker';
export { deadLetters, enqueue, queueCounts } from './pipeline/workers/producer';
export type { Enqueued, EnqueueOptions, JobOutcome } from './pipeline/workers/producer';
export { UNRETRIED_CODES } from './pipeline/workers/jobs';
export type { DeadLetter, InspectJob, InspectJobResult, QueueAddress } from './pipeline/workers/jobs';
export { METRIC_NAMES } from './pipeline/workers/metrics';
export type { WorkerMetrics } from './pipeline/workers/metrics';
export { annotateImage, layoutTexts } from './pipeline/annotate';
export type { AnnotateOptions, HeatmapOverlay, Shape, TextPlacement } from './pipeline/annotate';

export { DieGenerator, PackageGenerator } from './stages/generator';
export type { DieGeneratorOptions, GeneratorTask, RelativeSize } from './stages/generator';
export { synthesize, DEFECT_CLASSES } from './tools/synth';
export type {
  GanDiesOptions, GanPackagesOptions, SynthBoardMeta, SynthGanSummary, SynthGanUse, SynthLabel, SynthMeta, SynthOptions, SynthSummary,
} from './tools/synth';
export { quantize } from './tools/quantize';
export type { ActivationType, CalibrationMethod, QuantizeOptions, QuantizeReport, QuantizeResult } from './tools/quantize';
