'use strict';
// Property-based fuzzing of the ONNX graph reader (lib/runtime/onnx: the file
// parser and its round trip, the CAM head finder, the CAM output rewrite and
// graph statistics) with fast-check: structured models whose nodes, shapes,
// attributes and tensors are drawn at random, and byte-level mutants of real
// models. Each call returns, or throws a DieInspectError ERR_MODEL_LOAD; any
// other exception (a TypeError, a RangeError from a forged size) is a finding.
// DI_FUZZ_SECONDS runs each property for that long instead of a fixed count
// (scripts/fuzz.sh); DI_FUZZ_SEED replays a reported run.
const assert = require('assert');
const fc = require('fast-check');
const { DieInspectError } = require('../dist');
const { OnnxModelFile } = require('../dist/runtime/onnx/model-file');
const { findCamHead, withCamOutput } = require('../dist/runtime/onnx/cam-head');
const { graphStats } = require('../dist/runtime/onnx/graph-stats');
const { ModelProto } = require('../dist/runtime/onnx/onnx-schema');
const { pooledClassifier, constantDetector, meanClassifier } = require('./helpers/onnx');

const seconds = Number(process.env.DI_FUZZ_SECONDS || 0);
const seed = process.env.DI_FUZZ_SEED ? Number(process.env.DI_FUZZ_SEED) : 20261203;
const runs = (count) => (seconds > 0
  ? { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false }
  : { seed, numRuns: count });

/** Calls fn; a DieInspectError ERR_MODEL_LOAD is an answer, anything else is rethrown as the finding it is. */
async function answered(fn) {
  try {
    return { value: await fn() };
  } catch (err) {
    if (err instanceof DieInspectError && err.code === 'ERR_MODEL_LOAD') return { error: err };
    throw err;
  }
}

/** What every reader must do with `bytes`. */
async function readAll(bytes) {
  const parsed = await answered(() => OnnxModelFile.parse(bytes, 'fuzz'));
  if (parsed.value) {
    const m = parsed.value;
    // With no edits, encode() copies every field: encoding again changes nothing.
    const once = m.encode({});
    const again = OnnxModelFile.parse(once, 'fuzz');
    assert.strictEqual(again.nodes.length, m.nodes.length);
    assert.deepStrictEqual([...again.initializers.keys()], [...m.initializers.keys()]);
    assert.deepStrictEqual(Buffer.from(again.encode({})), Buffer.from(once));
    const head = await answered(() => findCamHead(m));
    if (head.value) {
      const names = m.names();
      assert.ok(names.has(head.value.features) && names.has(head.value.logits));
      assert.strictEqual(head.value.weights.length, head.value.classes * head.value.channels);
      assert.strictEqual(head.value.bias.length, head.value.classes);
    }
  }
  const cam = await answered(() => withCamOutput(bytes, 'fuzz'));
  if (cam.value) {
    const m = OnnxModelFile.parse(cam.value, 'fuzz');
    assert.ok(m.outputs.length >= 2, 'the rewrite adds the feature output');
  }
  const stats = await answered(() => graphStats(bytes));
  if (stats.value) {
    for (const [k, v] of Object.entries(stats.value)) {
      if (typeof v === 'number') assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}`);
    }
  }
}

const OPS = ['Conv', 'Gemm', 'MatMul', 'Add', 'Relu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  'ReduceMean', 'Flatten', 'Reshape', 'Squeeze', 'Transpose', 'Concat', 'Split', 'Resize', 'Upsample', 'Softmax',
  'DequantizeLinear', 'QuantizeLinear', 'Identity', 'NoSuchOp', ''];
const NAMES = ['images', 'x', 'y', 'feat', 'pooled', 'flat', 'logits', 'w', 'b', 'shape', ''];
// Sizes that matter to a reader: none, one, ordinary, negative, past 2^31 and 2^53.
const dim = fc.oneof(fc.constantFrom(0, 1, 3, 7, 64, -1, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER), fc.integer({ min: -5, max: 300 }));
const name = fc.constantFrom(...NAMES);
const attribute = fc.oneof(
  fc.record({ name: fc.constantFrom('kernel_shape', 'strides', 'pads', 'dilations', 'group', 'axis', 'perm', 'split'),
    type: fc.constant(7), ints: fc.array(dim, { maxLength: 6 }) }),
  fc.record({ name: fc.constantFrom('transA', 'transB', 'axis', 'group', 'keepdims'), type: fc.constant(2), i: dim }),
  fc.record({ name: fc.constantFrom('alpha', 'beta'), type: fc.constant(1),
    f: fc.oneof(fc.double({ noDefaultInfinity: false }), fc.constant(Number.NaN)) }),
  fc.record({ name: fc.constantFrom('mode', 'auto_pad'), type: fc.constant(3),
    s: fc.uint8Array({ maxLength: 12 }) }));
const tensor = fc.record({
  name,
  dataType: fc.constantFrom(0, 1, 2, 3, 6, 7, 10, 11, 99),
  dims: fc.array(dim, { maxLength: 5 }),
  floatData: fc.array(fc.float({ noNaN: false }), { maxLength: 24 }),
  int64Data: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }),
  rawData: fc.uint8Array({ maxLength: 48 }),
}, { requiredKeys: ['name', 'dataType', 'dims'] });
const valueInfo = fc.record({
  name,
  type: fc.record({ tensorType: fc.record({ elemType: fc.constantFrom(1, 7, 10),
    shape: fc.record({ dim: fc.array(fc.oneof(fc.record({ dimValue: dim }), fc.record({ dimParam: fc.constantFrom('batch', 'h', '') })),
      { maxLength: 5 }) }) }) }),
}, { requiredKeys: ['name'] });
const node = fc.record({
  opType: fc.constantFrom(...OPS),
  input: fc.array(name, { maxLength: 4 }),
  output: fc.array(name, { maxLength: 2 }),
  attribute: fc.array(attribute, { maxLength: 4 }),
});
const structuredModel = fc.record({
  graph: fc.record({ node: fc.array(node, { maxLength: 10 }), input: fc.array(valueInfo, { maxLength: 3 }),
    output: fc.array(valueInfo, { maxLength: 3 }), initializer: fc.array(tensor, { maxLength: 5 }),
    valueInfo: fc.array(valueInfo, { maxLength: 3 }) }, { requiredKeys: [] }),
  opsetImport: fc.array(fc.record({ domain: fc.constantFrom('', 'ai.onnx', 'com.x'), version: dim }), { maxLength: 2 }),
  metadataProps: fc.array(fc.record({ key: fc.constantFrom('cam_features', 'names', 'k'), value: fc.string({ maxLength: 8 }) }),
    { maxLength: 2 }),
}, { requiredKeys: [] }).map((m) => Buffer.from(ModelProto.encode(m)));

const seeds = [pooledClassifier({ weights: [[1, 0, -1], [0.5, 0.5, 0.5]] }), meanClassifier({ softmax: true }),
  constantDetector({ rows: [[10, 10, 4, 4, 0.9, 0.8, 0.1]] })];
const mutant = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 12 }))
  .map(([base, edits]) => {
    let b = Buffer.from(base);
    for (const [at, value, kind] of edits) {
      const i = at % Math.max(1, b.length);
      if (kind === 0) b[i] = value;                                         // a byte replaced
      else if (kind === 1) b = b.subarray(0, i);                            // cut short
      else if (kind === 2) b = Buffer.concat([b.subarray(0, i), Buffer.from([value, 0xff, 0xff, 0xff, 0x0f]), b.subarray(i)]);
      else b[i] ^= 1 << (value % 8);                                        // one bit flipped
    }
    return b;
  });

describe('ONNX graph reader under fuzzing', function () {
  this.timeout(seconds > 0 ? (seconds * 3 + 60) * 1000 : 120000);

  it('the seed models parse, round-trip and keep their CAM head', async () => {
    const m = OnnxModelFile.parse(seeds[0], 'seed');
    const head = findCamHead(m);
    assert.ok(head, 'the pooled classifier has a CAM head');
    assert.strictEqual(head.classes, 2);
    assert.deepStrictEqual(Buffer.from(m.encode({})), Buffer.from(seeds[0]));
  });

  // Inputs these properties once failed on, kept as they were found.
  it('a negative initializer dim is ERR_MODEL_LOAD, not a negative parameter count', async () => {
    const bytes = Buffer.from([58, 23, 42, 21, 8, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 16, 10, 66, 6, 105, 109, 97, 103, 101, 115]);
    await assert.rejects(graphStats(bytes), (err) => err.code === 'ERR_MODEL_LOAD' && /impossible dims \[-1\]/.test(err.message));
  });

  it('a Conv whose attributes make a negative size leaves GFLOPs unknown, not negative', async () => {
    const bytes = Buffer.from([58, 48, 10, 16, 10, 1, 119, 10, 5, 115, 104, 97, 112, 101, 34, 4, 67, 111, 110, 118, 42, 11, 8, 1, 8, 0, 8, 0,
      16, 0, 66, 1, 119, 42, 15, 8, 1, 8, 1, 8, 2, 16, 0, 66, 5, 115, 104, 97, 112, 101]);
    await readAll(bytes);
    const s = await graphStats(bytes);
    assert.ok(s.gflops === null || s.gflops >= 0, `gflops ${s.gflops}`);
  });

  it('a pooling node without an input is no CAM head', () => {
    const m = OnnxModelFile.parse(seeds[0], 'seed');
    const pool = m.nodes.find((n) => n.opType === 'GlobalAveragePool');
    pool.input = [];
    assert.strictEqual(findCamHead(m), undefined);
  });

  it('random structured models: an answer or ERR_MODEL_LOAD, never another exception', async () => {
    await fc.assert(fc.asyncProperty(structuredModel, readAll), runs(300));
  });

  it('byte mutants of real models: an answer or ERR_MODEL_LOAD, never another exception', async () => {
    await fc.assert(fc.asyncProperty(mutant, readAll), runs(300));
  });

  it('arbitrary bytes: an answer or ERR_MODEL_LOAD, never another exception', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), readAll), runs(300));
  });
});
