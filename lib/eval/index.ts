/** Evaluation: detection mAP (COCO definition), DeepPCB protocol, classification metrics, dataset readers, plots. */
export type { Box, EvalImage, GroundTruthBox, PredictedBox } from './types';
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
export { iou } from './matching';
export { readDetectionDataset, readClassificationDataset, detectFormat, DEEPPCB_CLASSES } from './datasets';
export type { ClassificationDataset, DatasetFormat, DatasetOptions, DetectionDataset, DetectionSample } from './datasets';
// Quad geometry the metrics use, for comparing outlines and boxes the way they do.
export { angleDifference, applyHomography, boxToQuad, bounds, convexIoU, polygonArea } from '../core/geometry';
