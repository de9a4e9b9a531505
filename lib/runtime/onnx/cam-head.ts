/**
 * The head a class activation map needs: a classifier whose logits are a linear layer on
 * the global average of its last feature map (GlobalAveragePool or ReduceMean over H, W ->
 * Flatten / Reshape / Squeeze -> Gemm, or MatMul + Add). Because pooling and the linear
 * layer commute, the linear weights applied at each position of that feature map say how
 * much the position adds to each class's logit.
 */
import { DieInspectError } from '../../core/errors';
import { AttributeProto, int64, NodeProto, ValueInfoProto } from './onnx-schema';
import { floatValues, OnnxModelFile } from './model-file';

/** The metadata key that names the graph output holding the last feature map. */
export const CAM_FEATURES_KEY = 'cam_features';

export interface CamHead {
  /** The feature map tensor [batch, channels, h, w] the pooling reads. */
  features: string;
  /** The logits tensor the linear layer writes. */
  logits: string;
  classes: number;
  channels: number;
  /** classes x channels, row-major (alpha applied). */
  weights: Float32Array;
  /** One per class (beta applied; zeros when the layer has none). */
  bias: Float32Array;
}

const attr = (n: NodeProto, name: string): AttributeProto | undefined => n.attribute?.find((a) => a.name === name);
const attrInt = (n: NodeProto, name: string, fallback: number) => {
  const a = attr(n, name);
  return a ? int64(a.i) : fallback;
};
const attrFloat = (n: NodeProto, name: string, fallback: number) => {
  const a = attr(n, name);
  return a ? (a.f ?? fallback) : fallback;
};

/**
 * Finds the pooled linear head that writes `logits` (default: the first graph output), or
 * undefined when the graph ends some other way.
 */
export function findCamHead(m: OnnxModelFile, logits = m.outputs[0]?.name ?? ''): CamHead | undefined {
  const node = (tensor: string) => {
    const i = m.producer.get(tensor);
    return i === undefined ? undefined : m.nodes[i];
  };
  let linear = node(logits);
  let biasName: string | undefined;
  let transB = 0;
  let alpha = 1;
  let beta = 1;
  if (linear?.opType === 'Add') {
    // MatMul + Add: the bias is whichever input is an initializer.
    const [a, b] = linear.input ?? [];
    biasName = m.initializers.has(b) ? b : m.initializers.has(a) ? a : undefined;
    linear = node(biasName === b ? a : b);
    if (linear?.opType !== 'MatMul' || !biasName) return undefined;
  } else if (linear?.opType === 'Gemm') {
    if (attrInt(linear, 'transA', 0) !== 0) return undefined;
    transB = attrInt(linear, 'transB', 0);
    alpha = attrFloat(linear, 'alpha', 1);
    beta = attrFloat(linear, 'beta', 1);
    biasName = linear.input?.[2];
  } else {
    return undefined;
  }
  const [pooledFlat, weightName] = linear.input ?? [];
  const w = m.initializers.get(weightName);
  if (!w || (w.dims ?? []).length !== 2) return undefined;
  let pooled = node(pooledFlat);
  while (pooled && ['Flatten', 'Reshape', 'Squeeze'].includes(pooled.opType ?? '')) pooled = node(pooled.input?.[0] ?? '');
  if (!pooled?.input?.[0]) return undefined;
  const isMean = pooled.opType === 'ReduceMean' && axesOf(m, pooled).sort().join() === '2,3';
  if (pooled.opType !== 'GlobalAveragePool' && !isMean) return undefined;
  const [d0, d1] = (w.dims ?? []).map(int64);
  const [classes, channels] = transB ? [d0, d1] : [d1, d0];
  if (!(classes > 0 && channels > 0)) return undefined;
  const raw = floatValues(w);
  if (raw.length !== classes * channels) return undefined;
  const weights = new Float32Array(classes * channels);
  for (let k = 0; k < classes; k++) {
    for (let c = 0; c < channels; c++) weights[k * channels + c] = alpha * (transB ? raw[k * channels + c] : raw[c * classes + k]);
  }
  const b = biasName ? m.initializers.get(biasName) : undefined;
  const bias = new Float32Array(classes);
  if (b) {
    const v = floatValues(b);
    for (let k = 0; k < classes; k++) bias[k] = beta * (v.length === 1 ? v[0] : v[k] ?? 0);
  }
  return { features: pooled.input[0], logits, classes, channels, weights, bias };
}

function axesOf(m: OnnxModelFile, n: NodeProto): number[] {
  const a = attr(n, 'axes');
  if (a?.ints?.length) return a.ints.map(int64);
  const t = m.initializers.get(n.input?.[1] ?? '');
  if (t?.int64Data?.length) return t.int64Data.map(int64);
  const raw = Uint8Array.from(t?.rawData ?? []);
  return raw.length % 8 ? [] : Array.from(new BigInt64Array(raw.buffer)).map(Number);
}

/**
 * The model with its CAM feature map as a second graph output, named in metadata
 * (`cam_features`), so a Classifier can compute maps from one run. Weights and the first
 * output are untouched; ERR_MODEL_LOAD when the model has no pooled linear head.
 */
export function withCamOutput(bytes: Uint8Array, label: string): Uint8Array {
  const m = OnnxModelFile.parse(bytes, label);
  const head = findCamHead(m);
  if (!head) {
    throw new DieInspectError('ERR_MODEL_LOAD', `${label}: its first output is not a linear layer on a global average pool, `
      + 'so it has no class activation map (explain() can still use method "rise" or "occlusion")');
  }
  if (m.outputs.some((o) => o.name === head.features)) return bytes;
  const output: ValueInfoProto = {
    name: head.features,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: head.channels },
      { dimParam: 'feature_height' }, { dimParam: 'feature_width' }] } } },
  };
  return m.encode({ addOutputs: [output], metadata: { [CAM_FEATURES_KEY]: head.features } });
}
