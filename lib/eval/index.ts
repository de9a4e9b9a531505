/**
 * die-inspect/eval: models run over labelled datasets and scored (what `die-inspect eval` does), the metrics on
 * their own (detection mAP by the COCO definition, the DeepPCB protocol, classification), bootstrap intervals,
 * dataset readers.
 */
export type { Box, EvalImage, FailedImage, GroundTruthBox, PredictedBox, ProgressCallback } from './types';
export { evaluateDetector } from './run-detector';
export type { DetectorEvalOptions, DetectorEvaluation } from './run-detector';
export { compareDetectors } from './compare-detectors';
export type { DetectorComparison } from './compare-detectors';
export { evaluateClassifier } from './run-classifier';
export type { ClassifierEvalOptions, ClassifierEvaluation, ClassifierIntervals, ClassifierModel, ClassifierRun } from './run-classifier';
export { evaluateDetections } from './detection';
export type { ClassDetectionMetrics, DetectionEvalOptions, DetectionMetrics } from './detection';
export { cocoSummary, IOU_THRESHOLDS, RECALL_POINTS } from './coco-map';
export { bootstrapAuc, bootstrapDifference, bootstrapMap } from './bootstrap';
export type { AucIntervals, BootstrapOptions, Interval, MapDifference, MapIntervals } from './bootstrap';
export type { CocoSummary } from './coco-map';
export { confusionMatrix } from './confusion';
export type { ConfusionMatrix } from './confusion';
export { deeppcbProtocol, DEEPPCB_IOU } from './deeppcb-protocol';
export type { DeepPcbMetrics } from './deeppcb-protocol';
export { evaluateClassification, rocAuc, rocCurve } from './classification';
export type { ClassificationEvalInput, ClassificationEvalOptions, ClassificationMetrics, RocCurve } from './classification';
export { applyTemperature, expectedCalibrationError, fitEnsembleWeights, fitIsotonic, fitTemperature, logLoss } from './ensemble-fit';
export { chooseEnsemble, ENSEMBLE_CANDIDATES } from './ensemble-choice';
export type {
  CalibrationChoice, CandidateFigures, CandidateResult, EnsembleCandidate, EnsembleChoice, EnsembleChoiceOptions,
} from './ensemble-choice';
export { fitEnsemble } from './run-ensemble-fit';
export { classifierPointing, detectorPointing, energyInside, pointingHit } from './saliency-metrics';
export type { PointingOptions, PointingReport, PointingScore } from './saliency-metrics';
export { scoreSaliency } from './run-saliency';
export type { SaliencyEval, SaliencyEvalOptions } from './run-saliency';
export { checkDataset, cleanListFile, cleanLists, DROPPING_KINDS, writeCleanLists } from './dataset-check';
export { datasetSplits } from './dataset-layouts';
export { datasetReportHtml } from './dataset-report';
export type { DatasetReportOptions } from './dataset-report';
export { FINDING_KINDS } from './dataset-types';
export type {
  CheckModelSpec, DatasetCheck, DatasetCheckOptions, DatasetSplit, Finding, FindingKind, ImageLabel, SplitFormat, SplitStats,
} from './dataset-types';
export type { EnsembleFit, EnsembleFitOptions } from './run-ensemble-fit';
export type { EnsembleWeights } from './ensemble-fit';
export { featureVectors } from './gan-features';
export type { FeatureOptions } from './gan-features';
export { featureStats, frechetDistance, kernelDistance, seamScore } from './gan-metrics';
export type { FeatureSet, KidOptions, PixelImage, SeamScore } from './gan-metrics';
export { iou } from './matching';
export { readDetectionDataset, readClassificationDataset, detectFormat, DEEPPCB_CLASSES } from './datasets';
export type { ClassificationDataset, DatasetFormat, DatasetOptions, DetectionDataset, DetectionSample } from './datasets';
// Quad geometry the metrics use, for comparing outlines and boxes the way they do.
export { angleDifference, applyHomography, boxToQuad, bounds, convexIoU, polygonArea } from '../core/geometry';
