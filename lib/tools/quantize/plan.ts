/**
 * Which parts of a float model become INT8, decided from the graph alone:
 * - weights of Conv and Gemm (per output channel) and MatMul (per tensor) with constant
 *   weights, and their biases (int32, scale = input scale x weight scale);
 * - the activations around every op ONNX Runtime runs on INT8 between DequantizeLinear and
 *   QuantizeLinear (convs, activations, pools, concat, element-wise add/mul of two feature
 *   maps), so that it fuses each into its INT8 kernel.
 * Only ops on the path from the image to a conv take part: a detector's box decoding after
 * its last convs (sigmoid, grid offsets, anchor scaling) and the shape arithmetic of dynamic
 * graphs stay float, where INT8 would cost accuracy for no speed.
 */
import { AttributeProto, DataType, int64, NodeProto, TensorProto } from '../../runtime/onnx/onnx-schema';
import type { OnnxModelFile } from '../../runtime/onnx/model-file';

/** Ops with an INT8 kernel, and the input positions that carry activations. */
const ACTIVATION_INPUTS: Record<string, number[] | 'all'> = {
  Conv: [0], Gemm: [0], MatMul: [0],
  Relu: [0], LeakyRelu: [0], Sigmoid: [0], HardSigmoid: [0], Clip: [0],
  Add: [0, 1], Mul: [0, 1], Concat: 'all',
  MaxPool: [0], AveragePool: [0], GlobalAveragePool: [0],
  Resize: [0], Reshape: [0], Transpose: [0], Flatten: [0], Squeeze: [0], Unsqueeze: [0], Split: [0], Slice: [0],
};
/** Ops whose weights are quantized: the reason to quantize at all. */
const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);
/** Ops that only move or select values: their outputs keep their input's scale (ONNX Runtime then drops the Q/DQ pair). */
const SAME_SCALE = new Set(['MaxPool', 'Resize', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Split', 'Slice']);
/** Ops whose outputs describe shapes or are constants, not image-derived values. */
const NOT_DATA = new Set(['Shape', 'Size', 'ConstantOfShape', 'Constant', 'Cast', 'NonZero', 'ArgMax', 'ArgMin', 'Range']);
/** Ops whose output element type is not their first input's. */
const OUTPUT_TYPE: Record<string, number> = {
  Shape: DataType.INT64, Size: DataType.INT64, NonZero: DataType.INT64, ArgMax: DataType.INT64, ArgMin: DataType.INT64,
  Equal: DataType.BOOL, Greater: DataType.BOOL, Less: DataType.BOOL, GreaterOrEqual: DataType.BOOL, LessOrEqual: DataType.BOOL,
  Not: DataType.BOOL, And: DataType.BOOL, Or: DataType.BOOL, Xor: DataType.BOOL, IsNaN: DataType.BOOL, IsInf: DataType.BOOL,
};

export interface WeightPlan {
  /** Initializer name. */
  name: string;
  /** Quantization axis (output channels), or null for one scale for the whole tensor. */
  axis: number | null;
}

export interface BiasPlan {
  name: string;
  /** The activation whose scale, times the weight's, is the bias scale. */
  input: string;
  weight: string;
}

export interface QuantPlan {
  /** Ops that run in INT8, by op type. */
  nodes: Record<string, number>;
  /** Activations that get a Q/DQ pair, in graph order: each with its own range, or sharing another's. */
  activations: string[];
  /** activation -> the activation whose scale it reuses (outputs of SAME_SCALE ops). */
  sharedScale: Map<string, string>;
  weights: WeightPlan[];
  biases: BiasPlan[];
  /** Convs and matrix products left in float, and why. */
  skipped: Array<{ node: string; reason: string }>;
}


function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

function nodeLabel(n: NodeProto, i: number): string {
  return n.name ? `${n.opType} '${n.name}'` : `${n.opType} #${i}`;
}

/** Element types of every tensor the graph names, where they follow from its inputs, initializers and op types. */
function tensorTypes(m: OnnxModelFile): Map<string, number> {
  const types = new Map<string, number>();
  for (const [name, t] of m.initializers) types.set(name, t.dataType ?? 0);
  for (const v of [...m.inputs, ...m.valueInfo, ...m.outputs]) {
    const et = v.type?.tensorType?.elemType;
    if (et) types.set(v.name ?? '', et);
  }
  for (const n of m.nodes) {
    const outs = n.output ?? [];
    let t: number | undefined;
    if (n.opType === 'Constant') t = attr(n, 'value')?.t?.dataType;
    else if (n.opType === 'Cast') t = int64(attr(n, 'to')?.i);
    else if (n.opType === 'ConstantOfShape') t = attr(n, 'value')?.t?.dataType ?? DataType.FLOAT;
    else if (n.opType && n.opType in OUTPUT_TYPE) t = OUTPUT_TYPE[n.opType];
    else if (n.opType === 'Where') t = types.get(n.input?.[1] ?? '');
    else t = (n.input ?? []).map((x) => types.get(x)).find((x) => x !== undefined);
    // Only the first output follows these rules (TopK's indices, for one, do not): others stay unknown.
    if (t !== undefined && outs[0] && !types.has(outs[0])) types.set(outs[0], t);
  }
  return types;
}

function activationPositions(n: NodeProto): number[] {
  const spec = ACTIVATION_INPUTS[n.opType ?? ''];
  if (spec === undefined) return [];
  return spec === 'all' ? (n.input ?? []).map((_, k) => k) : spec.filter((k) => (n.input ?? [])[k]);
}

/**
 * Plans the quantization of a float model. `perChannel` false gives every weight one scale
 * (the only form before opset 13).
 */
export function planQuantization(m: OnnxModelFile, perChannel: boolean): QuantPlan {
  const types = tensorTypes(m);
  const isFloat = (t: string) => types.get(t) === DataType.FLOAT;
  const constant = new Set<string>(m.initializers.keys());
  for (const n of m.nodes) if (n.opType === 'Constant') for (const o of n.output ?? []) constant.add(o);

  // Image-derived tensors: from the graph's float inputs through anything but shape and type ops.
  const data = new Set<string>(m.feeds.filter((f) => f.type?.tensorType?.elemType === DataType.FLOAT).map((f) => f.name ?? ''));
  for (const n of m.nodes) {
    if (NOT_DATA.has(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx')) continue;
    if ((n.input ?? []).some((x) => data.has(x))) for (const o of n.output ?? []) if (isFloat(o)) data.add(o);
  }

  const skipped: QuantPlan['skipped'] = [];
  const weightOf = (n: NodeProto, i: number): string | null => {
    const w = n.input?.[1] ?? '';
    const t = m.initializers.get(w);
    if (!t) {
      skipped.push({ node: nodeLabel(n, i), reason: 'its weights are not a constant initializer' });
      return null;
    }
    if (t.dataType !== DataType.FLOAT) {
      skipped.push({ node: nodeLabel(n, i), reason: `its weights are not float32 (type ${t.dataType})` });
      return null;
    }
    if (t.dataLocation === 1) {
      skipped.push({ node: nodeLabel(n, i), reason: 'its weights are stored outside the file' });
      return null;
    }
    if (n.opType === 'Gemm' && ((attr(n, 'alpha')?.f ?? 1) !== 1 || (attr(n, 'beta')?.f ?? 1) !== 1 || int64(attr(n, 'transA')?.i))) {
      skipped.push({ node: nodeLabel(n, i), reason: 'Gemm with alpha, beta or transA' });
      return null;
    }
    return w;
  };

  // Candidates: INT8-capable ops on image data, every activation input float; add/mul only of two feature maps.
  const candidate = m.nodes.map((n, i) => {
    if (n.domain && n.domain !== 'ai.onnx') return false;
    const pos = activationPositions(n);
    if (!pos.length) return false;
    const ins = pos.map((k) => n.input![k]);
    if (!ins.some((x) => data.has(x)) || !ins.every(isFloat)) return false;
    if ((n.opType === 'Add' || n.opType === 'Mul') && !ins.every((x) => data.has(x) && !constant.has(x))) return false;
    if (WEIGHTED.has(n.opType ?? '')) return weightOf(n, i) !== null;
    return true;
  });

  // Quantized: the candidates from which a weighted candidate can be reached (walking the graph backwards).
  const uses = (t: string) => m.consumers.get(t) ?? [];
  const quantized = new Array<boolean>(m.nodes.length).fill(false);
  for (let i = m.nodes.length - 1; i >= 0; i--) {
    const n = m.nodes[i];
    if (!candidate[i]) continue;
    quantized[i] = WEIGHTED.has(n.opType ?? '') || (n.output ?? []).some((o) => uses(o).some((c) => quantized[c]));
  }

  const graphOutputs = new Set(m.outputs.map((o) => o.name ?? ''));
  const chosen = new Set<string>();
  const sharedScale = new Map<string, string>();
  const activations: string[] = [];
  const add = (t: string) => {
    if (!chosen.has(t) && !graphOutputs.has(t)) {
      chosen.add(t);
      activations.push(t);
    }
  };
  const counts: Record<string, number> = {};
  const weights: WeightPlan[] = [];
  const biases: BiasPlan[] = [];
  const seenWeights = new Set<string>();
  m.nodes.forEach((n, i) => {
    if (!quantized[i]) return;
    const op = n.opType ?? '';
    counts[op] = (counts[op] ?? 0) + 1;
    for (const k of activationPositions(n)) add(n.input![k]);
    for (const o of n.output ?? []) {
      if (!isFloat(o) || !uses(o).some((c) => quantized[c])) continue;
      add(o);
      if (SAME_SCALE.has(op) && chosen.has(o) && chosen.has(n.input![0])) sharedScale.set(o, n.input![0]);
    }
    if (!WEIGHTED.has(op)) return;
    const w = n.input![1];
    if (!seenWeights.has(w)) {
      seenWeights.add(w);
      const transB = int64(attr(n, 'transB')?.i);
      const axis = !perChannel || op === 'MatMul' ? null : op === 'Gemm' && !transB ? 1 : 0;
      weights.push({ name: w, axis });
    }
    const b = op === 'MatMul' ? undefined : n.input?.[2];
    const bt = b ? m.initializers.get(b) : undefined;
    // A bias (or weight) shared by two layers would need two bias scales: it stays float (and that layer unfused).
    if (b && bt && bt.dataType === DataType.FLOAT && (bt.dims ?? []).length === 1 && uses(b).length === 1 && uses(w).length === 1) {
      biases.push({ name: b, input: n.input![0], weight: w });
    }
  });
  return { nodes: counts, activations, sharedScale, weights, biases, skipped };
}

/** The tensors that need their own measured range (the others share one). */
export function calibratedTensors(plan: QuantPlan): string[] {
  return plan.activations.filter((t) => !plan.sharedScale.has(t));
}

