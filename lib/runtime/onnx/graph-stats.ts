/**
 * Parameter count and GFLOPs of an ONNX graph at a given input size, read from
 * the model file itself (so `bench` reports them for any model, not only ours).
 * FLOPs follow the convention of the YOLO papers: 2 x multiply-accumulates of
 * Conv / ConvTranspose / Gemm / MatMul; element-wise work is not counted.
 */
import { promises as fs } from 'fs';
import { AttributeProto, DataType, int64, ModelProto, NodeProto, TensorProto } from './onnx-schema';
import { DieInspectError } from '../../core/errors';

type Shape = number[];

export interface GraphStats {
  params: number;
  /** null when a shape on the way to a counted op could not be inferred. */
  gflops: number | null;
  inputShape: Shape;
  /** Ops the shape walk did not know (their outputs were unknown). */
  unknownOps: string[];
}

const ELEMENTWISE = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Silu', 'Elu', 'Selu', 'Mish', 'Softplus', 'Clip',
  'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'Cast', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs',
  'Softmax', 'LogSoftmax', 'Erf', 'Not', 'Round', 'Floor', 'Ceil', 'Reciprocal', 'PRelu', 'QuantizeLinear', 'DequantizeLinear',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Where', 'Equal', 'Greater', 'Less', 'And', 'Or']);


function attrs(node: NodeProto): Map<string, AttributeProto> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}

function ints(a: Map<string, AttributeProto>, key: string, fallback: number[]): number[] {
  const v = a.get(key);
  return v?.ints?.length ? v.ints.map(int64) : fallback;
}

function int(a: Map<string, AttributeProto>, key: string, fallback: number): number {
  const v = a.get(key);
  return v && v.i !== undefined && v.i !== null ? int64(v.i) : fallback;
}

function tensorValues(t: TensorProto): number[] {
  if (t.int64Data?.length) return t.int64Data.map(int64);
  if (t.floatData?.length) return t.floatData;
  if (t.int32Data?.length) return t.int32Data;
  const raw = t.rawData;
  if (raw && raw.length) {
    const buf = Buffer.from(raw);
    const dt = t.dataType;
    if (dt === DataType.INT64) {
      return Array.from({ length: buf.length / 8 }, (_, i) => Number(buf.readBigInt64LE(8 * i)));
    }
    if (dt === DataType.FLOAT) return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(4 * i));
    if (dt === DataType.INT32) return Array.from({ length: buf.length / 4 }, (_, i) => buf.readInt32LE(4 * i));
  }
  return [];
}

function elementCount(t: TensorProto): number {
  return (t.dims ?? []).map(int64).reduce((a, b) => a * b, 1);
}

/** Sizes are whole and non-negative; NaN is a size the walk could not follow (see Concat). */
function isShape(s: Shape): boolean {
  return s.every((d) => Number.isNaN(d) || (Number.isSafeInteger(d) && d >= 0));
}

function broadcast(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function convOut(size: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** Reads the counts from an ONNX file or buffer; dynamic input dims take `batch`, `height`, `width`. */
export async function graphStats(model: string | Uint8Array,
  dims: { batch?: number; height?: number; width?: number } = {}): Promise<GraphStats> {
  const bytes = typeof model === 'string' ? await fs.readFile(model) : model;
  let proto: ModelProto;
  try {
    proto = ModelProto.decode(bytes);
  } catch (err) {
    throw new DieInspectError('ERR_MODEL_LOAD', `not an ONNX model: ${(err as Error).message}`);
  }
  const graph = proto.graph;
  if (!graph) throw new DieInspectError('ERR_MODEL_LOAD', 'ONNX model has no graph');
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) {
    // A stored tensor's dims are sizes: whole, non-negative, and their product a count a file can describe.
    const d = (t.dims ?? []).map(int64);
    if (d.some((x) => !Number.isSafeInteger(x) || x < 0) || !Number.isSafeInteger(d.reduce((a, b) => a * b, 1))) {
      throw new DieInspectError('ERR_MODEL_LOAD', `ONNX initializer '${t.name ?? ''}' has impossible dims [${d.join(', ')}]`);
    }
    inits.set(t.name ?? '', t);
  }
  // In a quantized (QDQ) model the weights are the integer tensors DequantizeLinear reads;
  // the scales and zero points of its pairs are not parameters.
  const quantized = new Set<string>();
  const qdqParams = new Set<string>();
  for (const n of graph.node ?? []) {
    if (n.opType !== 'DequantizeLinear' && n.opType !== 'QuantizeLinear') continue;
    if (n.opType === 'DequantizeLinear' && n.input?.[0]) quantized.add(n.input[0]);
    for (const x of (n.input ?? []).slice(1)) qdqParams.add(x);
  }
  let params = 0;
  for (const [name, t] of inits) {
    const dt = t.dataType;
    // Learned weights are floating point (or quantized); int64 initializers are shapes and indices.
    if (((dt === DataType.FLOAT || dt === DataType.FLOAT16 || dt === DataType.DOUBLE) && !qdqParams.has(name)) || quantized.has(name)) {
      params += elementCount(t);
    }
  }

  const shapes = new Map<string, Shape>();
  const consts = new Map<string, number[]>();
  for (const [name, t] of inits) {
    shapes.set(name, (t.dims ?? []).map(int64));
    if (t.dataType === DataType.INT64 || elementCount(t) <= 16) consts.set(name, tensorValues(t));
  }
  let inputShape: Shape = [];
  for (const vi of graph.input ?? []) {
    if (inits.has(vi.name ?? '')) continue;
    const d = vi.type?.tensorType?.shape?.dim ?? [];
    const shape = d.map((x, i) => {
      const v = int64(x.dimValue);
      if (v > 0) return v;
      if (i === 0) return dims.batch ?? 1;
      if (i === d.length - 2) return dims.height ?? 640;
      if (i === d.length - 1) return dims.width ?? 640;
      return 3;
    });
    shapes.set(vi.name ?? '', shape);
    if (inputShape.length === 0) inputShape = shape;
  }

  let macs = 0;
  let complete = true;
  const unknown = new Set<string>();
  for (const node of graph.node ?? []) {
    const a = attrs(node);
    const ins = (node.input ?? []).map((n) => shapes.get(n));
    const x = ins[0];
    const out: Array<Shape | undefined> = [];
    const op = node.opType ?? '';
    switch (op) {
      case 'Conv': {
        const w = ins[1];
        if (!x || !w) { complete = false; break; }
        const k = w.slice(2);
        const strides = ints(a, 'strides', k.map(() => 1));
        const dil = ints(a, 'dilations', k.map(() => 1));
        const pads = ints(a, 'pads', k.concat(k).map(() => 0));
        const autoPad = a.get('auto_pad')?.s ? Buffer.from(a.get('auto_pad')!.s!).toString() : 'NOTSET';
        const spatial = x.slice(2).map((s, i) => {
          if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(s / strides[i]);
          return convOut(s, k[i], strides[i], dil[i], pads[i], pads[i + k.length]);
        });
        const o = [x[0], w[0], ...spatial];
        // Input channels per group come from the weight: exact even when a Concat's channel count was not followed.
        macs += o.reduce((p, v) => p * v, 1) * w[1] * k.reduce((p, v) => p * v, 1);
        out.push(o);
        break;
      }
      case 'Gemm': {
        const w = ins[1];
        if (!x || !w) { complete = false; break; }
        const transB = int(a, 'transB', 0);
        const nOut = transB ? w[0] : w[1];
        const kIn = transB ? w[1] : w[0];
        macs += x[0] * kIn * nOut;
        out.push([x[0], nOut]);
        break;
      }
      case 'MatMul': {
        const w = ins[1];
        if (!x || !w) { complete = false; break; }
        const batch = broadcast(x.slice(0, -2), w.slice(0, -2));
        macs += batch.reduce((p, v) => p * v, 1) * x[x.length - 2] * x[x.length - 1] * w[w.length - 1];
        out.push([...batch, x[x.length - 2], w[w.length - 1]]);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (!x) break;
        const k = ints(a, 'kernel_shape', [1, 1]);
        const strides = ints(a, 'strides', k.map(() => 1));
        const pads = ints(a, 'pads', k.concat(k).map(() => 0));
        const ceil = int(a, 'ceil_mode', 0);
        out.push([x[0], x[1], ...x.slice(2).map((s, i) => {
          const v = (s + pads[i] + pads[i + k.length] - k[i]) / strides[i];
          return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
        })]);
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        if (x) out.push([x[0], x[1], ...x.slice(2).map(() => 1)]);
        break;
      case 'Resize':
      case 'Upsample': {
        if (!x) break;
        const scales = consts.get(node.input?.[op === 'Resize' ? 2 : 1] ?? '');
        const sizes = consts.get(node.input?.[3] ?? '');
        if (sizes?.length === x.length) out.push(sizes);
        else if (scales?.length === x.length) out.push(x.map((s, i) => Math.floor(s * scales[i])));
        break;
      }
      case 'Concat': {
        const known = ins.find(Boolean);
        if (!known) break;
        const axis = (int(a, 'axis', 0) + known.length) % known.length;
        // Inputs agree off the concat axis, so one known input fixes those dims; the axis length stays
        // NaN when an input was not followed (CoordConv's computed coordinate channels), and only a Conv,
        // which takes its input channels from its weight, may consume that.
        const o = [...known];
        o[axis] = ins.every(Boolean) ? ins.reduce((s, v) => s + v![axis], 0) : NaN;
        out.push(o);
        break;
      }
      case 'Split': {
        if (!x) break;
        const axis = (int(a, 'axis', 0) + x.length) % x.length;
        const n = node.output?.length ?? 1;
        const parts = consts.get(node.input?.[1] ?? '') ?? ints(a, 'split', Array(n).fill(x[axis] / n));
        for (const p of parts) {
          const o = [...x];
          o[axis] = p;
          out.push(o);
        }
        break;
      }
      case 'Flatten': {
        if (!x) break;
        const axis = int(a, 'axis', 1);
        out.push([x.slice(0, axis).reduce((p, v) => p * v, 1), x.slice(axis).reduce((p, v) => p * v, 1)]);
        break;
      }
      case 'Transpose': {
        if (!x) break;
        const perm = ints(a, 'perm', x.map((_, i) => x.length - 1 - i));
        out.push(perm.map((p) => x[p]));
        break;
      }
      case 'Reshape': {
        const target = consts.get(node.input?.[1] ?? '');
        if (!x || !target) break;
        const total = x.reduce((p, v) => p * v, 1);
        const o = target.map((t, i) => (t === 0 ? x[i] : t));
        const known = o.filter((t) => t !== -1).reduce((p, v) => p * v, 1);
        out.push(o.map((t) => (t === -1 ? total / known : t)));
        break;
      }
      default:
        if (ELEMENTWISE.has(op) && x) out.push([...x]);
        else if (BROADCAST.has(op) && ins.every(Boolean)) out.push(ins.reduce((s, v) => broadcast(s!, v!), [] as Shape)!);
        else if (op === 'Constant') {
          const t = a.get('value')?.t;
          if (t) {
            const shape = (t.dims ?? []).map(int64);
            if (isShape(shape)) shapes.set(node.output?.[0] ?? '', shape);
            consts.set(node.output?.[0] ?? '', tensorValues(t));
          }
          continue;
        } else unknown.add(op);
    }
    (node.output ?? []).forEach((name, i) => {
      // What a forged attribute makes of a shape (a negative or fractional size) is no shape: it stays unknown.
      if (out[i] && isShape(out[i]!)) shapes.set(name, out[i]!);
    });
  }
  const gflops = complete && Number.isFinite(macs) && macs >= 0 ? (2 * macs) / 1e9 : null;
  return { params, gflops, inputShape, unknownOps: [...unknown].sort() };
}
