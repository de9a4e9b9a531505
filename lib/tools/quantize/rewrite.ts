/**
 * The two models quantization writes from a plan: the calibration model (the float model
 * with every activation to measure added as an output) and the QDQ model, where each
 * planned activation passes through QuantizeLinear -> DequantizeLinear right after the
 * node that makes it, and each planned weight is stored as INT8 (biases INT32, or float in
 * the TensorRT form) behind a
 * DequantizeLinear. ONNX Runtime's CPU provider fuses DQ -> op -> Q into INT8 kernels;
 * TensorRT reads the same pairs as explicit quantization.
 */
import { AttributeType, DataType, NodeProto, TensorProto } from '../../runtime/onnx/onnx-schema';
import { floatValues, GraphEdit, OnnxModelFile } from '../../runtime/onnx/model-file';
import { calibratedTensors, QuantPlan } from './plan';
import {
  ActivationParams, ActivationType, minWeightScalesForBias, quantizeBias, quantizeWeights,
} from './qparams';

/** The float model plus one output per tensor whose range calibration measures (the graph input is read from the feed). */
export function calibrationModel(m: OnnxModelFile, plan: QuantPlan): { bytes: Uint8Array; outputs: string[] } {
  const feeds = new Set(m.feeds.map((f) => f.name ?? ''));
  const outputs = calibratedTensors(plan).filter((t) => !feeds.has(t));
  const bytes = m.encode({
    addOutputs: outputs.map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } })),
  });
  return { bytes, outputs };
}

function bytesOf(a: Float32Array | Int8Array | Uint8Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function tensor(name: string, dims: number[], dataType: number, data: Float32Array | Int8Array | Uint8Array | Int32Array): TensorProto {
  return { name, dims, dataType, rawData: bytesOf(data) };
}

/** Unique names derived from existing ones. */
class Names {
  constructor(private readonly used: Set<string>) {}

  make(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

export interface QdqOptions {
  activationType: ActivationType;
  /** 7-bit weights (see quantizeWeights). */
  reduceRange: boolean;
  /** Metadata entries to set (the `quantization` record of provenance and settings, and any the model lacks). */
  metadata: Record<string, string>;
}

/** The QDQ model: `params` holds every planned activation's scale and zero point (shared ones resolved). */
export function qdqModel(m: OnnxModelFile, plan: QuantPlan, params: Map<string, ActivationParams>, o: QdqOptions): Uint8Array {
  const names = new Names(m.names());
  const zpType = o.activationType === 'uint8' ? DataType.UINT8 : DataType.INT8;
  const zpArray = (v: number) => (o.activationType === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v));
  const prepend: NodeProto[] = [];
  const after = new Map<number, NodeProto[]>();
  const renameInputs = new Map<number, Map<string, string>>();
  const renameOutputs = new Map<number, Map<string, string>>();
  const addInitializers: TensorProto[] = [];
  const dropInitializers = new Set<string>();
  const axisAttr = (axis: number | null) => (axis === null ? [] : [{ name: 'axis', type: AttributeType.INT, i: axis }]);

  // Weights: INT8 values and scales behind a DequantizeLinear whose output keeps the weight's name.
  // TensorRT's Q/DQ layers take no INT32: its (symmetric int8) form keeps the biases float.
  const biasFor = new Map(o.activationType === 'int8' ? [] : plan.biases.map((b) => [b.weight, b]));
  for (const w of plan.weights) {
    const t = m.initializers.get(w.name)!;
    const dims = (t.dims ?? []).map(Number);
    const values = floatValues(t);
    const bias = biasFor.get(w.name);
    const inScale = bias ? params.get(bias.input)?.scale : undefined;
    const channels = w.axis === null ? 1 : dims[w.axis];
    const biasValues = bias ? floatValues(m.initializers.get(bias.name)!) : undefined;
    const minScales = biasValues && inScale ? minWeightScalesForBias(biasValues, inScale, channels) : undefined;
    const q = quantizeWeights(values, dims, w.axis, minScales, o.reduceRange ? 63 : 127);
    const qn = names.make(`${w.name}_quantized`);
    const sn = names.make(`${w.name}_scale`);
    const zn = names.make(`${w.name}_zero_point`);
    const scaleDims = w.axis === null ? [] : [channels];
    addInitializers.push(tensor(qn, dims, DataType.INT8, q.values), tensor(sn, scaleDims, DataType.FLOAT, q.scales),
      tensor(zn, scaleDims, DataType.INT8, new Int8Array(channels)));
    prepend.push({ opType: 'DequantizeLinear', name: names.make(`${w.name}_DequantizeLinear`), input: [qn, sn, zn], output: [w.name],
      attribute: axisAttr(w.axis) });
    dropInitializers.add(w.name);
    if (bias && biasValues && inScale) {
      const b = quantizeBias(biasValues, inScale, q.scales);
      const bq = names.make(`${bias.name}_quantized`);
      const bs = names.make(`${bias.name}_scale`);
      const bz = names.make(`${bias.name}_zero_point`);
      const perChannel = w.axis !== null;
      addInitializers.push(tensor(bq, [biasValues.length], DataType.INT32, b.values),
        tensor(bs, perChannel ? [biasValues.length] : [], DataType.FLOAT, perChannel ? b.scales : b.scales.subarray(0, 1)),
        tensor(bz, perChannel ? [biasValues.length] : [], DataType.INT32, new Int32Array(perChannel ? biasValues.length : 1)));
      prepend.push({ opType: 'DequantizeLinear', name: names.make(`${bias.name}_DequantizeLinear`), input: [bq, bs, bz],
        output: [bias.name], attribute: axisAttr(perChannel ? 0 : null) });
      dropInitializers.add(bias.name);
    }
  }

  // Activations: the producer's output is renamed, and Q -> DQ gives the original name back,
  // so every consumer reads the quantized value (ONNX Runtime fuses only a producer whose one consumer is Q).
  for (const t of plan.activations) {
    const p = params.get(t)!;
    const sn = names.make(`${t}_scale`);
    const zn = names.make(`${t}_zero_point`);
    addInitializers.push(tensor(sn, [], DataType.FLOAT, Float32Array.of(p.scale)), tensor(zn, [], zpType, zpArray(p.zeroPoint)));
    const qn = names.make(`${t}_quantized`);
    const at = m.producer.get(t);
    if (at === undefined) {
      // A graph input: its consumers are pointed at the dequantized copy instead.
      const dq = names.make(`${t}_dequantized`);
      prepend.push({ opType: 'QuantizeLinear', name: names.make(`${t}_QuantizeLinear`), input: [t, sn, zn], output: [qn] },
        { opType: 'DequantizeLinear', name: names.make(`${t}_DequantizeLinear`), input: [qn, sn, zn], output: [dq] });
      for (const c of m.consumers.get(t) ?? []) {
        const map = renameInputs.get(c) ?? new Map<string, string>();
        map.set(t, dq);
        renameInputs.set(c, map);
      }
      continue;
    }
    const fp = names.make(`${t}_float`);
    const map = renameOutputs.get(at) ?? new Map<string, string>();
    map.set(t, fp);
    renameOutputs.set(at, map);
    after.set(at, [...(after.get(at) ?? []),
      { opType: 'QuantizeLinear', name: names.make(`${t}_QuantizeLinear`), input: [fp, sn, zn], output: [qn] },
      { opType: 'DequantizeLinear', name: names.make(`${t}_DequantizeLinear`), input: [qn, sn, zn], output: [t] }]);
  }

  const edit: GraphEdit = {
    prepend, after, renameInputs, renameOutputs, addInitializers, dropInitializers,
    metadata: o.metadata,
  };
  return m.encode(edit);
}
