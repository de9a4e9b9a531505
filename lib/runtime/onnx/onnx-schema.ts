/**
 * The part of the ONNX model format (onnx/onnx.proto, package `onnx`, proto2) that die-inspect reads
 * and writes: enough to walk a graph for params and GFLOPs, to build small test and probe models, and to
 * read the nodes and tensors that quantization rewrites (lib/runtime/onnx/wire.ts keeps everything else).
 * Field names are the spec's in camelCase; numbers, types, presence and packing follow onnx.proto
 * (only TensorProto's *_data fields are packed). Fields not listed here are skipped when decoding.
 */
import * as protobuf from 'protobufjs/light';

/** TensorProto.DataType: the element type of a tensor (TensorProto.dataType, TypeProto.Tensor.elemType). */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType: which value field of an attribute is in use. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9,
  GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** A 64-bit integer as decoded (long.js, which protobufjs loads); encoding also takes plain numbers. */
export interface Long {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}
export type Int64 = number | Long;

/** An int64 field as a number (0 when absent). */
export function int64(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

// Message shapes, for building (plain objects) and as decoded. A decoded message has every field:
// absent scalars read as 0 / '' / empty bytes, absent repeated fields as [], absent messages as null.

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

export interface TensorProto {
  dims?: Int64[];
  /** A DataType value. */
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  name?: string;
  rawData?: Uint8Array;
  /** 1: the values are in an external file (not read by die-inspect). */
  dataLocation?: number;
}

export interface TensorShapeProtoDimension {
  /** Set when the dimension is fixed (one of dimValue / dimParam). */
  dimValue?: Int64;
  /** Set when the dimension is symbolic. */
  dimParam?: string;
}

export interface TensorShapeProto {
  dim?: TensorShapeProtoDimension[];
}

export interface TypeProtoTensor {
  /** A DataType value. */
  elemType?: number;
  shape?: TensorShapeProto | null;
}

export interface TypeProtoSequence {
  elemType?: TypeProto | null;
}

export interface TypeProto {
  /** One of tensorType / sequenceType. */
  tensorType?: TypeProtoTensor | null;
  sequenceType?: TypeProtoSequence | null;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto | null;
}

export interface AttributeProto {
  name?: string;
  /** An AttributeType value. */
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto | null;
  ints?: Int64[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  /** '' (or absent): the default ai.onnx domain. */
  domain?: string;
  attribute?: AttributeProto[];
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  /** Types and shapes of intermediate tensors, where the exporter or a shape inference wrote them. */
  valueInfo?: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: Int64;
  producerName?: string;
  graph?: GraphProto | null;
  opsetImport?: OperatorSetIdProto[];
  metadataProps?: StringStringEntryProto[];
}

type FieldJson = { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } };
const field = (id: number, type: string): FieldJson => ({ type, id });
const repeated = (id: number, type: string): FieldJson => ({ type, id, rule: 'repeated' });
const packed = (id: number, type: string): FieldJson => ({ type, id, rule: 'repeated', options: { packed: true } });

/** Top-level messages of package onnx, as protobufjs JSON. */
const messages: Record<string, protobuf.IType> = {
  AttributeProto: {
    fields: {
      name: field(1, 'string'),
      f: field(2, 'float'),
      i: field(3, 'int64'),
      s: field(4, 'bytes'),
      t: field(5, 'TensorProto'),
      ints: repeated(8, 'int64'),
      type: field(20, 'AttributeType'),
    },
    nested: { AttributeType: { values: AttributeType } },
  },
  ValueInfoProto: {
    fields: { name: field(1, 'string'), type: field(2, 'TypeProto') },
  },
  NodeProto: {
    fields: {
      input: repeated(1, 'string'),
      output: repeated(2, 'string'),
      name: field(3, 'string'),
      opType: field(4, 'string'),
      attribute: repeated(5, 'AttributeProto'),
      domain: field(7, 'string'),
    },
  },
  ModelProto: {
    fields: {
      irVersion: field(1, 'int64'),
      producerName: field(2, 'string'),
      graph: field(7, 'GraphProto'),
      opsetImport: repeated(8, 'OperatorSetIdProto'),
      metadataProps: repeated(14, 'StringStringEntryProto'),
    },
  },
  StringStringEntryProto: {
    fields: { key: field(1, 'string'), value: field(2, 'string') },
  },
  GraphProto: {
    fields: {
      node: repeated(1, 'NodeProto'),
      name: field(2, 'string'),
      initializer: repeated(5, 'TensorProto'),
      input: repeated(11, 'ValueInfoProto'),
      output: repeated(12, 'ValueInfoProto'),
      valueInfo: repeated(13, 'ValueInfoProto'),
    },
  },
  TensorProto: {
    fields: {
      dims: repeated(1, 'int64'),
      dataType: field(2, 'int32'),
      floatData: packed(4, 'float'),
      int32Data: packed(5, 'int32'),
      int64Data: packed(7, 'int64'),
      name: field(8, 'string'),
      rawData: field(9, 'bytes'),
      dataLocation: field(14, 'int32'),
    },
    nested: { DataType: { values: DataType } },
  },
  TensorShapeProto: {
    fields: { dim: repeated(1, 'Dimension') },
    nested: {
      Dimension: {
        oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
        fields: { dimValue: field(1, 'int64'), dimParam: field(2, 'string') },
      },
    },
  },
  TypeProto: {
    oneofs: { value: { oneof: ['tensorType', 'sequenceType'] } },
    fields: { tensorType: field(1, 'Tensor'), sequenceType: field(4, 'Sequence') },
    nested: {
      Tensor: { fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } },
      Sequence: { fields: { elemType: field(1, 'TypeProto') } },
    },
  },
  OperatorSetIdProto: {
    fields: { domain: field(1, 'string'), version: field(2, 'int64') },
  },
};

// protobufjs reads JSON types as proto3 unless told otherwise; onnx.proto is proto2 (explicit presence,
// repeated scalars unpacked unless marked packed).
const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: Object.fromEntries(Object.entries(messages).map(([name, t]) => [name, { ...t, edition: 'proto2' }])),
    },
  },
});
root.resolveAll();

/** Encodes and decodes one message type. */
export interface MessageCodec<T> {
  /** Serialises a plain object of the message's shape; throws TypeError when a field has the wrong type. */
  encode(message: T): Uint8Array;
  /** Parses serialised bytes; throws when they are not a valid encoding of the message. */
  decode(bytes: Uint8Array): T;
}

function codec<T>(name: string): MessageCodec<T> {
  const type = root.lookupType(name);
  return {
    encode(message: T): Uint8Array {
      const err = type.verify(message as { [k: string]: unknown });
      if (err) throw new TypeError(`${name}: ${err}`);
      return type.encode(message as { [k: string]: unknown }).finish();
    },
    decode(bytes: Uint8Array): T {
      return type.decode(bytes) as unknown as T;
    },
  };
}

export const ModelProto: MessageCodec<ModelProto> = codec<ModelProto>('onnx.ModelProto');
export const NodeProto: MessageCodec<NodeProto> = codec<NodeProto>('onnx.NodeProto');
export const TensorProto: MessageCodec<TensorProto> = codec<TensorProto>('onnx.TensorProto');
export const ValueInfoProto: MessageCodec<ValueInfoProto> = codec<ValueInfoProto>('onnx.ValueInfoProto');
export const OperatorSetIdProto: MessageCodec<OperatorSetIdProto> = codec<OperatorSetIdProto>('onnx.OperatorSetIdProto');
export const StringStringEntryProto: MessageCodec<StringStringEntryProto> =
  codec<StringStringEntryProto>('onnx.StringStringEntryProto');
