/**
 * scoreSaliency(): a model's saliency maps played against a labelled dataset's boxes
 * (pointing game and energy inside the boxes), a batch of images at a time.
 */
import { Classifier } from '../stages/classifier';
import { Detector } from '../stages/detector';
import { ClassifierEnsemble } from '../stages/ensemble';
import type { Explanation, ExplainOptions } from '../stages/saliency';
import { readDetectionDataset } from './datasets';
import { classifierPointing, detectorPointing, PointingOptions, PointingReport } from './saliency-metrics';
import type { ProgressCallback } from './types';

export interface SaliencyEvalOptions extends ExplainOptions, PointingOptions {
  /** Score at most this many images (the first ones with boxes). */
  limit?: number;
  /** Images per explain() call. Default 16. */
  batch?: number;
  onProgress?: ProgressCallback;
}

export interface SaliencyEval extends PointingReport {
  /** Images explained and the wall time it took. */
  images: number;
  msPerImage: number;
}

/**
 * Explains every image with ground-truth boxes of a YOLO or COCO dataset (classifiers:
 * the defect class, `target` default 'defective' when the model names it) and scores the maps.
 */
export async function scoreSaliency(model: Classifier | ClassifierEnsemble | Detector, data: string,
  o: SaliencyEvalOptions = {}): Promise<SaliencyEval> {
  const ds = await readDetectionDataset(data);
  const samples = ds.images.filter((s) => s.groundTruth.length > 0).slice(0, o.limit ?? Infinity);
  const isDetector = model instanceof Detector;
  const names = isDetector ? model.classNames : model instanceof Classifier ? model.classNames : model.members[0].classNames;
  const target = o.target ?? (!isDetector && names?.includes('defective') ? 'defective' : undefined);
  const step = o.batch ?? 16;
  const explanations: Explanation[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < samples.length; i += step) {
    const chunk = samples.slice(i, i + step).map((s) => s.path);
    explanations.push(...await model.explain(chunk, { ...o, target }));
    o.onProgress?.(Math.min(i + step, samples.length), samples.length);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const truth = samples.map((s) => s.groundTruth);
  const score = isDetector ? detectorPointing : classifierPointing;
  const report = score(explanations, truth, ds.classNames, o);
  return { ...report, images: samples.length, msPerImage: samples.length ? ms / samples.length : 0 };
}
