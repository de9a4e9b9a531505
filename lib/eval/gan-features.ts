/**
 * Feature vectors for FID / KID (gan-metrics.ts): a classifier's last feature map, averaged
 * over its positions (the vector its linear head reads). Inception weights, which the usual
 * FID uses, are not available here, so the figures are only comparable with figures made
 * with the same classifier.
 */
import { DieInspectError } from '../core/errors';
import type { ImageInput } from '../runtime/images';
import { CAM_FEATURES_KEY } from '../runtime/onnx/cam-head';
import { preprocess } from '../runtime/ops';
import { Classifier } from '../stages/classifier';

export interface FeatureOptions {
  /** Images per model call (default 32). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Pooled features of each image, whole (the classifier's own region, if it has one, is not
 * applied: generated samples are already the part to compare). The classifier needs its
 * feature map as an output (metadata cam_features), as shipped classifiers have.
 */
export async function featureVectors(classifier: Classifier, images: ImageInput[], options: FeatureOptions = {}): Promise<Float32Array[]> {
  const name = classifier.info.metadata[CAM_FEATURES_KEY];
  const input = classifier.info.inputs[0]?.name;
  if (!name || !input || !classifier.info.outputs.some((o) => o.name === name)) {
    throw new DieInspectError('ERR_MODEL_LOAD', `featureVectors: the classifier has no feature map output (metadata ${CAM_FEATURES_KEY})`);
  }
  // a model with a fixed input size gets it; otherwise the classifier's own (imgsz metadata)
  const [, , fixedH, fixedW] = classifier.info.inputs[0].shape;
  const prep = { ...classifier.preprocessOptions(), region: undefined,
    ...(typeof fixedH === 'number' && typeof fixedW === 'number' ? { height: fixedH, width: fixedW } : {}) };
  const batch = Math.max(1, Math.floor(options.batch ?? 32));
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batch) {
    const part = images.slice(start, start + batch);
    const { tensor, dims, images: placed } = await preprocess(part, prep);
    const failed = placed.findIndex((p) => p.error);
    if (failed >= 0) {
      throw new DieInspectError(placed[failed].error?.code ?? 'ERR_IMAGE_DECODE',
        `featureVectors: image ${start + failed}: ${placed[failed].error?.message}`);
    }
    const result = await classifier.run({ [input]: { data: tensor, dims } });
    const f = result[name];
    const [n, c, h, w] = f.dims;
    const data = f.data as Float32Array;
    for (let i = 0; i < n; ++i) {
      const v = new Float32Array(c);
      for (let ch = 0; ch < c; ++ch) {
        let s = 0;
        const base = (i * c + ch) * h * w;
        for (let k = 0; k < h * w; ++k) s += data[base + k];
        v[ch] = s / (h * w);
      }
      out.push(v);
    }
    options.onProgress?.(Math.min(start + batch, images.length), images.length);
  }
  return out;
}
