/**
 * An ONNX file opened for rewriting: the graph's nodes, initializers, inputs and outputs
 * decoded for analysis, every field kept raw, and `encode()` to write it back with edits
 * (nodes inserted, tensor names changed, initializers swapped, outputs and metadata added).
 * Whatever an edit does not touch is copied byte for byte (wire.ts).
 */
import { DieInspectError } from '../../core/errors';
import {
  int64, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto, ValueInfoProto,
} from './onnx-schema';
import { fieldString, joinFields, lengthDelimited, RawField, splitFields, stringField } from './wire';

// Field numbers of onnx.proto that the rewrite touches.
const MODEL = { graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2 } as const;

export interface GraphEdit {
  /** Nodes placed before every original node (dequantized weights, the input's Q/DQ pair). */
  prepend?: NodeProto[];
  /** Nodes placed right after the original node of that index. */
  after?: Map<number, NodeProto[]>;
  /** Per original node index: input names to replace. */
  renameInputs?: Map<number, Map<string, string>>;
  /** Per original node index: output names to replace. */
  renameOutputs?: Map<number, Map<string, string>>;
  dropInitializers?: Set<string>;
  addInitializers?: TensorProto[];
  addOutputs?: ValueInfoProto[];
  /** Metadata entries to set (an existing key is replaced). */
  metadata?: Record<string, string>;
}


export class OnnxModelFile {
  readonly nodes: NodeProto[];
  readonly initializers = new Map<string, TensorProto>();
  readonly inputs: ValueInfoProto[];
  readonly outputs: ValueInfoProto[];
  readonly valueInfo: ValueInfoProto[];
  /** Version of the default (ai.onnx) operator set. */
  readonly opset: number;
  readonly metadata: Record<string, string>;
  /** Tensor name -> indices of the nodes that read it, in graph order. */
  readonly consumers = new Map<string, number[]>();
  /** Tensor name -> index of the node that writes it. */
  readonly producer = new Map<string, number>();
  private readonly modelFields: RawField[];
  private readonly graphFields: RawField[];
  /** The name each initializer and graph input field holds (by field), so that encode() can drop some without decoding. */
  private readonly fieldNames = new Map<RawField, string>();

  private constructor(bytes: Uint8Array) {
    this.modelFields = splitFields(bytes);
    const graph = this.modelFields.find((f) => f.field === MODEL.graph && f.wireType === 2);
    if (!graph) throw new Error('the file has no graph');
    this.graphFields = splitFields(graph.content);
    const of = (n: number) => this.graphFields.filter((f) => f.field === n && f.wireType === 2);
    this.nodes = of(GRAPH.node).map((f) => NodeProto.decode(f.content));
    for (const f of of(GRAPH.initializer)) {
      const t = TensorProto.decode(f.content);
      this.initializers.set(t.name ?? '', t);
      this.fieldNames.set(f, t.name ?? '');
    }
    this.inputs = of(GRAPH.input).map((f) => {
      const v = ValueInfoProto.decode(f.content);
      this.fieldNames.set(f, v.name ?? '');
      return v;
    });
    this.nodes.forEach((n, i) => {
      for (const x of n.input ?? []) {
        const list = this.consumers.get(x);
        if (list) list.push(i);
        else this.consumers.set(x, [i]);
      }
      for (const o of n.output ?? []) this.producer.set(o, i);
    });
    this.outputs = of(GRAPH.output).map((f) => ValueInfoProto.decode(f.content));
    this.valueInfo = of(GRAPH.valueInfo).map((f) => ValueInfoProto.decode(f.content));
    const opsets = this.modelFields.filter((f) => f.field === MODEL.opsetImport).map((f) => OperatorSetIdProto.decode(f.content));
    this.opset = int64(opsets.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
    this.metadata = Object.fromEntries(this.modelFields.filter((f) => f.field === MODEL.metadataProps)
      .map((f) => StringStringEntryProto.decode(f.content)).map((e) => [e.key ?? '', e.value ?? '']));
  }

  /** Parses an ONNX file; ERR_MODEL_LOAD when the bytes are not one. */
  static parse(bytes: Uint8Array, label: string): OnnxModelFile {
    try {
      return new OnnxModelFile(bytes);
    } catch (err) {
      throw new DieInspectError('ERR_MODEL_LOAD', `${label}: not a readable ONNX model (${(err as Error).message})`, { cause: err });
    }
  }

  /** The graph inputs that are not initializers (what a caller feeds). */
  get feeds(): ValueInfoProto[] {
    return this.inputs.filter((i) => !this.initializers.has(i.name ?? ''));
  }

  /** Every tensor name in use: node inputs and outputs, initializers, graph inputs and outputs. */
  names(): Set<string> {
    const s = new Set<string>(this.initializers.keys());
    for (const n of this.nodes) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) s.add(t);
    for (const v of [...this.inputs, ...this.outputs]) s.add(v.name ?? '');
    return s;
  }

  /** The model with the edits applied; the original fields otherwise unchanged and in order. */
  encode(edit: GraphEdit): Uint8Array {
    const drop = edit.dropInitializers ?? new Set<string>();
    const encodeNode = (n: NodeProto) => lengthDelimited(GRAPH.node, NodeProto.encode(n));
    const graph: Uint8Array[] = [];
    let nodeIndex = 0;
    let prepended = false;
    for (const f of this.graphFields) {
      if (f.field === GRAPH.node && f.wireType === 2) {
        if (!prepended) {
          graph.push(...(edit.prepend ?? []).map(encodeNode));
          prepended = true;
        }
        const i = nodeIndex++;
        graph.push(renameNode(f, edit.renameInputs?.get(i), edit.renameOutputs?.get(i)));
        graph.push(...(edit.after?.get(i) ?? []).map(encodeNode));
        continue;
      }
      const name = this.fieldNames.get(f);
      if (name !== undefined && drop.has(name)) continue;
      graph.push(f.bytes);
    }
    if (!prepended) graph.push(...(edit.prepend ?? []).map(encodeNode));
    graph.push(...(edit.addInitializers ?? []).map((t) => lengthDelimited(GRAPH.initializer, TensorProto.encode(t))));
    graph.push(...(edit.addOutputs ?? []).map((v) => lengthDelimited(GRAPH.output, ValueInfoProto.encode(v))));

    const meta = edit.metadata ?? {};
    const model: Uint8Array[] = [];
    for (const f of this.modelFields) {
      if (f.field === MODEL.graph && f.wireType === 2) model.push(lengthDelimited(MODEL.graph, joinFields(graph)));
      else if (f.field === MODEL.metadataProps && (StringStringEntryProto.decode(f.content).key ?? '') in meta) continue;
      else model.push(f.bytes);
    }
    for (const [key, value] of Object.entries(meta)) {
      model.push(lengthDelimited(MODEL.metadataProps, StringStringEntryProto.encode({ key, value })));
    }
    return joinFields(model);
  }
}

/** A node's raw bytes with some input or output names replaced; its other fields untouched. */
function renameNode(f: RawField, inputs?: Map<string, string>, outputs?: Map<string, string>): Uint8Array {
  if (!inputs?.size && !outputs?.size) return f.bytes;
  const parts = splitFields(f.content).map((g) => {
    const map = g.field === NODE.input ? inputs : g.field === NODE.output ? outputs : undefined;
    if (!map || g.wireType !== 2) return g.bytes;
    const name = fieldString(g);
    const to = map.get(name);
    return to === undefined ? g.bytes : stringField(g.field, to);
  });
  return lengthDelimited(GRAPH.node, joinFields(parts));
}

/** Reads a float32 initializer's values (raw little-endian bytes or the float_data field). */
export function floatValues(t: TensorProto): Float32Array {
  const raw = t.rawData;
  if (raw && raw.length) {
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}
