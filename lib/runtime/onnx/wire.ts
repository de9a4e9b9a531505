/**
 * Protobuf messages as lists of raw fields. A rewrite of an ONNX file decodes only the
 * fields it changes (onnx-schema.ts knows a subset of onnx.proto) and copies every other
 * field byte for byte, so nothing the schema does not list is lost.
 */
import * as protobuf from 'protobufjs/light';

export interface RawField {
  /** Field number. */
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3/4: groups, copied as they are). */
  wireType: number;
  /** The whole field: tag, length and content. */
  bytes: Uint8Array;
  /** The content of a length-delimited field (a sub-message, string or bytes); else empty. */
  content: Uint8Array;
}

/** Splits a serialised message into its fields, in order; throws on a malformed encoding. */
export function splitFields(buf: Uint8Array): RawField[] {
  const r = protobuf.Reader.create(buf);
  const out: RawField[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw new Error(`invalid field number 0 at byte ${start}`);
    let content = buf.subarray(0, 0);
    if (wireType === 2) {
      const len = r.uint32();
      const from = r.pos;
      r.skip(len);
      content = buf.subarray(from, r.pos);
    } else {
      r.skipType(wireType);
    }
    out.push({ field, wireType, bytes: buf.subarray(start, r.pos), content });
  }
  return out;
}

/** A length-delimited field (sub-message, bytes) with the given content. */
export function lengthDelimited(field: number, content: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(((field << 3) | 2) >>> 0).bytes(content).finish();
}

/** A string field. */
export function stringField(field: number, value: string): Uint8Array {
  return protobuf.Writer.create().uint32(((field << 3) | 2) >>> 0).string(value).finish();
}

/** Reads the content of a length-delimited field as UTF-8. */
export function fieldString(f: RawField): string {
  return Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength).toString('utf8');
}

/** Concatenates encoded fields into one message. */
export function joinFields(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
