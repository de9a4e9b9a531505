'use strict';
// INT8 quantization: the arithmetic against hand-computed values, a two-conv model whose
// float output is known in closed form, the shipped models against their float selves,
// and every refusal (typed, nothing written).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { quantize, ModelSession, Detector, Classifier, synthesize, DieInspectError } = require('../dist');
const { activationParams, quantizeWeights, quantizeBias } = require('../dist/tools/quantize/qparams');
const { MinMax, Percentile } = require('../dist/tools/quantize/ranges');
const { ModelProto, DataType } = require('../dist/runtime/onnx/onnx-schema');
const { buildModel, valueInfo, floatTensor, node, meanClassifier, rank3Model } = require('./helpers/onnx');
const { run } = require('./helpers/cli');

const ROOT = path.join(__dirname, '..');

function solid(bgr, size = 16) {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(bgr, 3 * i);
  return { data, width: size, height: size, channels: 3 };
}

// conv1: 3 -> 2 channels (1x1), LeakyReLU 0.1, conv2: 2 -> 1 (1x1), global mean, flatten: [B, 1].
const W1 = [0.5, -0.25, 1.0, /* ch 1 */ -0.75, 0.125, 0.3];
const B1 = [0.1, -0.2];
const W2 = [0.8, -0.6];
const B2 = [0.05];
function twoConvModel({ metadata = { task: 'classify', names: '["a"]', custom: 'kept' }, weights1 = W1, height = 16 } = {}) {
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, height, height])],
    outputs: [valueInfo('out', ['batch', 1])],
    nodes: [
      { ...node('Conv', ['images', 'w1', 'b1'], ['c1']), name: 'conv1' },
      { opType: 'LeakyRelu', input: ['c1'], output: ['a1'], attribute: [{ name: 'alpha', f: 0.1, type: 1 }] },
      node('Conv', ['a1', 'w2', 'b2'], ['c2']),
      node('GlobalAveragePool', ['c2'], ['p']),
      node('Flatten', ['p'], ['out'], { axis: 1 }),
    ],
    initializers: [floatTensor('w1', [2, 3, 1, 1], weights1), floatTensor('b1', [2], B1),
      floatTensor('w2', [1, 2, 1, 1], W2), floatTensor('b2', [1], B2)],
    metadata,
  });
}

/** The float model's output for one solid colour, by hand (RGB = BGR reversed, / 255). */
function expected(bgr) {
  const rgb = [bgr[2] / 255, bgr[1] / 255, bgr[0] / 255];
  const a = [0, 1].map((c) => {
    const v = W1[3 * c] * rgb[0] + W1[3 * c + 1] * rgb[1] + W1[3 * c + 2] * rgb[2] + B1[c];
    return v > 0 ? v : 0.1 * v;
  });
  return W2[0] * a[0] + W2[1] * a[1] + B2[0];
}

async function runOnce(model, bgr) {
  const s = await ModelSession.create(model);
  try {
    const rgb = [bgr[2] / 255, bgr[1] / 255, bgr[0] / 255];
    const x = new Float32Array(3 * 16 * 16);
    for (let c = 0; c < 3; c++) x.fill(rgb[c], c * 256, (c + 1) * 256);
    const out = await s.run({ images: { data: x, dims: [1, 3, 16, 16] } });
    return out.out.data[0];
  } finally {
    s.close();
  }
}

function initializer(model, name) {
  const t = ModelProto.decode(model).graph.initializer.find((i) => i.name === name);
  assert.ok(t, `initializer ${name}`);
  return t;
}

const calibrationColours = [[0, 0, 0], [255, 255, 255], [40, 120, 200], [200, 30, 90], [128, 128, 128], [10, 250, 60]];

describe('quantize: arithmetic', () => {
  it('activation scales and zero points', () => {
    assert.deepStrictEqual(activationParams({ min: 0, max: 1 }, 'uint8'), { scale: Math.fround(1 / 255), zeroPoint: 0 });
    // [-1, 3]: 4 / 255 per step, 0 sits at 1 / (4 / 255) = 63.75 -> 64.
    assert.deepStrictEqual(activationParams({ min: -1, max: 3 }, 'uint8'), { scale: Math.fround(4 / 255), zeroPoint: 64 });
    // A range that excludes 0 is widened to hold it.
    assert.deepStrictEqual(activationParams({ min: 2, max: 5.1 }, 'uint8'), { scale: Math.fround(5.1 / 255), zeroPoint: 0 });
    assert.deepStrictEqual(activationParams({ min: -2, max: 1 }, 'int8'), { scale: Math.fround(2 / 127), zeroPoint: 0 });
    assert.deepStrictEqual(activationParams({ min: 0, max: 0 }, 'uint8'), { scale: 1, zeroPoint: 0 });
  });

  it('per-channel symmetric weights, reduced range and INT32 biases', () => {
    const w = Float32Array.from([0.9, -2, 0.5, 0.2, 0, 0]);
    const q = quantizeWeights(w, [3, 2], 0);
    assert.deepStrictEqual(Array.from(q.scales), [2 / 127, 0.5 / 127, 1e-12].map(Math.fround));
    // 0.9 / (2/127) = 57.15 -> 57, 0.2 / (0.5/127) = 50.8 -> 51; an all-zero channel stays 0.
    assert.deepStrictEqual(Array.from(q.values), [57, -127, 127, 51, 0, 0]);
    // 7 bits: 0.9 * 63 / 2 = 28.35, 0.2 * 63 / 0.5 = 25.2.
    const r = quantizeWeights(w, [3, 2], 0, undefined, 63);
    assert.deepStrictEqual(Array.from(r.values), [28, -63, 63, 25, 0, 0]);
    // One scale (2/127): 0.5 -> 31.75, 0.2 -> 12.7.
    const t = quantizeWeights(w, [3, 2], null);
    assert.deepStrictEqual(Array.from(t.values), [57, -127, 32, 13, 0, 0]);
    const b = quantizeBias(Float32Array.from([0.3, -1]), 0.01, Float32Array.from([0.5, 0.25]));
    // 0.3 / (0.01 * 0.5) = 60; -1 / (0.01 * 0.25) = -400.
    assert.deepStrictEqual(Array.from(b.values), [60, -400]);
  });

  it('min-max and percentile ranges; the histogram widens without losing counts', () => {
    const v = Float32Array.from({ length: 100000 }, (_, i) => i / 1000); // 0 .. 99.999
    const mm = new MinMax();
    mm.add(v.subarray(0, 10));
    mm.add(v.subarray(10));
    assert.deepStrictEqual(mm.range(), { min: 0, max: Math.fround(99.999) });
    // Small values first, then ones 100x larger: the limit doubles several times.
    const p = new Percentile(99);
    p.add(v.subarray(0, 1000));
    p.add(v.subarray(1000));
    const r = p.range();
    // The 99th percentile of a uniform 0..100 is 99; one bin is 2 * 128 / 4096 = 0.0625 wide.
    assert.ok(Math.abs(r.max - 99) <= 0.07, `max ${r.max}`);
    assert.ok(r.min >= 0 && r.min <= 1.07, `min ${r.min}`);
    assert.strictEqual(new Percentile(99.9).add(Float32Array.from([1, NaN, Infinity])), 2);
  });
});

describe('quantize: a two-conv model', function () {
  this.timeout(60000);
  let result;
  before(async () => {
    result = await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)), method: 'minmax', reduceRange: false });
  });

  it('plans both convs and the activation (the pool after the last conv stays float); keeps the rest of the file', () => {
    const r = result.report;
    assert.deepStrictEqual(r.nodes, { Conv: 2, LeakyRelu: 1 });
    assert.strictEqual(r.weights, 2);
    assert.strictEqual(r.images, 6);
    assert.deepStrictEqual(r.inputSize, [16, 16]);
    const m = ModelProto.decode(result.model);
    const ops = m.graph.node.map((n) => n.opType);
    // images, c1 and a1; c2 feeds only the float pool, so the last conv keeps a float output.
    assert.strictEqual(ops.filter((o) => o === 'QuantizeLinear').length, 3);
    assert.strictEqual(ops.filter((o) => o === 'DequantizeLinear').length, 7); // + 2 weights, 2 biases
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    assert.strictEqual(meta.custom, 'kept');
    assert.strictEqual(meta.names, '["a"]');
    assert.strictEqual(JSON.parse(meta.quantization).format, 'qdq');
    assert.strictEqual(m.producerName, 'die-inspect-tests');
    assert.strictEqual(m.graph.node.find((n) => n.name === 'conv1')?.opType, 'Conv');
    assert.ok(!m.graph.initializer.some((t) => t.name === 'w1'), 'the float weights are gone');
  });

  it('copies the fields it does not read byte for byte', async () => {
    const { stringField } = require('../dist/runtime/onnx/wire');
    // producer_version (3) and doc_string (6) of ModelProto: not in the schema die-inspect decodes.
    const model = Buffer.concat([twoConvModel(), stringField(3, 'exporter 9.9.9'), stringField(6, 'a note on this model')]);
    const q = await quantize(model, { calibration: calibrationColours.map((c) => solid(c)) });
    assert.ok(q.model.includes(Buffer.concat([stringField(3, 'exporter 9.9.9')])));
    assert.ok(q.model.includes(Buffer.concat([stringField(6, 'a note on this model')])));
  });

  it('keeps its parameter count and GFLOPs as bench reports them', async () => {
    const { graphStats } = require('../dist/runtime/onnx/graph-stats');
    const [fp, q] = await Promise.all([twoConvModel(), result.model].map((m) => graphStats(m, { batch: 1, height: 16, width: 16 })));
    // 6 + 2 weights and biases of conv1, 2 + 1 of conv2; 2 x (16 x 16) x (2 x 3 + 1 x 2) MACs.
    assert.strictEqual(fp.params, 11);
    assert.strictEqual(q.params, 11);
    assert.strictEqual(q.gflops, fp.gflops);
    assert.strictEqual(fp.gflops, (2 * 256 * 8) / 1e9);
  });

  it('stores the weights as INT8 at max|w| / 127 per output channel', () => {
    const q = initializer(result.model, 'w1_quantized');
    assert.strictEqual(q.dataType, DataType.INT8);
    const got = Array.from(new Int8Array(Buffer.from(q.rawData)));
    const want = [0, 1].flatMap((c) => {
      const row = W1.slice(3 * c, 3 * c + 3);
      const s = Math.fround(Math.max(...row.map(Math.abs)) / 127);
      return row.map((x) => Math.round(Math.fround(x) / s));
    });
    assert.deepStrictEqual(got, want);
  });

  it('reduces the weights to 7 bits by default only on an x86 CPU without VNNI', async () => {
    const { int8MaySaturate } = require('../dist/tools/benchmark');
    const auto = await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)) });
    assert.strictEqual(auto.report.reduceRange, int8MaySaturate());
    const forced = await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)), reduceRange: true });
    const got = Array.from(new Int8Array(Buffer.from(initializer(forced.model, 'w1_quantized').rawData)));
    assert.ok(got.every((v) => Math.abs(v) <= 63) && got.some((v) => Math.abs(v) === 63), String(got));
    const trt = await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)), activations: 'int8' });
    assert.strictEqual(trt.report.reduceRange, false);
  });

  it('gives the image input scale 1/255 (black and white were seen)', () => {
    const s = initializer(result.model, 'images_scale');
    assert.strictEqual(Buffer.from(s.rawData).readFloatLE(0), Math.fround(1 / 255));
    const z = initializer(result.model, 'images_zero_point');
    assert.strictEqual(z.dataType, DataType.UINT8);
    assert.strictEqual(Buffer.from(z.rawData)[0], 0);
  });

  it('matches the closed-form float output within the quantization step', async () => {
    for (const c of [[0, 0, 0], [255, 255, 255], [40, 120, 200], [90, 10, 170]]) {
      const want = expected(c);
      const fp = await runOnce(twoConvModel(), c);
      const q = await runOnce(result.model, c);
      assert.ok(Math.abs(fp - want) < 1e-5, `float ${fp} vs ${want}`);
      // A few uint8 steps of ranges about 2 wide: 0.03 is a generous bound, far below the output's spread.
      assert.ok(Math.abs(q - want) < 0.03, `int8 ${q} vs ${want} for ${c}`);
    }
  });

  it('symmetric int8 activations for TensorRT: every zero point is 0', async () => {
    const r = await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)), activations: 'int8' });
    const m = ModelProto.decode(r.model);
    const zps = m.graph.initializer.filter((t) => /_zero_point$/.test(t.name) && !/^[wb]\d_/.test(t.name));
    assert.strictEqual(zps.length, 3);
    for (const t of zps) {
      assert.strictEqual(t.dataType, DataType.INT8, t.name);
      assert.ok(Buffer.from(t.rawData).every((b) => b === 0), t.name);
    }
    // TensorRT's Q/DQ take no INT32: the biases stay float.
    assert.ok(!m.graph.initializer.some((t) => t.dataType === DataType.INT32));
    assert.ok(m.graph.initializer.some((t) => t.name === 'b1' && t.dataType === DataType.FLOAT));
    assert.ok(Math.abs((await runOnce(r.model, [40, 120, 200])) - expected([40, 120, 200])) < 0.05);
  });

  it('writes atomically and loads like any classifier', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-q-'));
    const out = path.join(dir, 'm-int8.onnx');
    await quantize(twoConvModel(), { calibration: calibrationColours.map((c) => solid(c)), out });
    assert.deepStrictEqual(fs.readdirSync(dir), ['m-int8.onnx']);
    const clf = await Classifier.create(out, { scores: 'logits' });
    const [r] = await clf.classify(solid([40, 120, 200]));
    const p = 1 / (1 + Math.exp(-expected([40, 120, 200])));
    assert.ok(Math.abs(r.probabilities[1] - p) < 0.01, `${r.probabilities} vs ${p}`);
    clf.close();
    fs.rmSync(dir, { recursive: true });
  });
});

describe('quantize: refusals', function () {
  this.timeout(60000);
  const cal = calibrationColours.map((c) => solid(c));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-qr-'));
  const out = path.join(dir, 'out.onnx');
  const refuses = async (model, options, code, pattern) => {
    await assert.rejects(quantize(model, { calibration: cal, out, ...options }), (e) => {
      assert.ok(e instanceof DieInspectError, String(e));
      assert.strictEqual(e.code, code, e.message);
      if (pattern) assert.match(e.message, pattern);
      return true;
    });
    assert.ok(!fs.existsSync(out), 'nothing written');
    assert.deepStrictEqual(fs.readdirSync(dir), []);
  };

  it('bytes that are not a model', () => refuses(Buffer.from('not an onnx file at all'), {}, 'ERR_MODEL_LOAD'));
  it('an already quantized model', async () => {
    const q = await quantize(twoConvModel(), { calibration: cal });
    await refuses(q.model, {}, 'ERR_MODEL_INPUT', /already quantized/);
  });
  it('a model with nothing to quantize', () => refuses(meanClassifier(), {}, 'ERR_MODEL_INPUT', /nothing to quantize/));
  it('a model that is not an image model', () => refuses(rank3Model(), {}, 'ERR_MODEL_INPUT', /one float32 input/));
  it('dynamic height and width with no imgsz', () => refuses(twoConvModel({ height: 'h' }), {}, 'ERR_INVALID_ARG', /imgsz/));
  it('an empty calibration list', () => refuses(twoConvModel(), { calibration: [] }, 'ERR_INVALID_ARG'));
  it('calibration images none of which can be read', () => refuses(twoConvModel(),
    { calibration: [Buffer.from('garbage'), Buffer.alloc(0)] }, 'ERR_IMAGE_DECODE', /none of the 2/));
  it('NaN activations', () => refuses(twoConvModel({ weights1: [NaN, 0, 0, 0, 0, 0] }), {}, 'ERR_NAN_OUTPUT', /NaN/));
  it('bad options', async () => {
    await refuses(twoConvModel(), { method: 'entropy' }, 'ERR_INVALID_ARG');
    await refuses(twoConvModel(), { percentile: 30 }, 'ERR_INVALID_ARG');
    await refuses(twoConvModel(), { count: 0 }, 'ERR_INVALID_ARG');
  });
  it('skips unreadable calibration images and reports them', async () => {
    const r = await quantize(twoConvModel(), { calibration: [...cal, Buffer.from('garbage')] });
    assert.strictEqual(r.report.images, cal.length);
    assert.strictEqual(r.report.failedImages.length, 1);
    assert.strictEqual(r.report.failedImages[0].index, cal.length);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
});

describe('quantize: the shipped models', function () {
  this.timeout(300000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-qs-'));
  let crops;
  before(async () => {
    await synthesize({ out: dir, count: 24, seed: 11, crops: true });
    crops = fs.readdirSync(path.join(dir, 'crops', 'images')).sort().map((f) => path.join(dir, 'crops', 'images', f));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the classifier: probabilities close to its float self on unseen crops', async () => {
    const { model } = await quantize('die-good-defect-resnet18s', { calibration: crops.slice(0, 12) });
    const [fp, q] = await Promise.all([Classifier.create('die-good-defect-resnet18s'), Classifier.create(model)]);
    const [a, b] = [await fp.classify(crops.slice(12)), await q.classify(crops.slice(12))];
    // Measured with 12 calibration crops: on AVX2 (7-bit weights) every difference under 0.01; on an
    // AVX-512 VNNI Xeon (full-range weights) a mean of 0.007 and one crop at 0.078.
    const diffs = a.map((r, i) => Math.abs(r.probabilities[1] - b[i].probabilities[1]));
    assert.ok(Math.max(...diffs) < 0.1, String(diffs));
    assert.ok(diffs.reduce((x, y) => x + y, 0) / diffs.length < 0.02, String(diffs));
    for (let i = 0; i < a.length; i++) {
      if (Math.abs(a[i].probabilities[1] - 0.5) > 0.1) {
        assert.strictEqual(a[i].classId, b[i].classId, `${i}: ${a[i].probabilities} vs ${b[i].probabilities}`);
      }
    }
    fp.close();
    q.close();
  });

  it('the CoordConv detector: coordinate channels stay float, their concat is INT8', async function () {
    const { OnnxModelFile } = require('../dist/runtime/onnx/model-file');
    const { planQuantization } = require('../dist/tools/quantize/plan');
    let file;
    try {
      file = require('../dist').resolveModel('die-defect-yolov7tiny-nwd-coordconv');
    } catch {
      this.skip();
    }
    const m = OnnxModelFile.parse(fs.readFileSync(file), 'coordconv');
    const plan = planQuantization(m, true);
    // 58 convs and 55 activations as in the plain model; no Add or Mul (those build the coordinates).
    assert.strictEqual(plan.nodes.Conv, 58);
    assert.strictEqual(plan.nodes.LeakyRelu, 55);
    assert.strictEqual(plan.nodes.Add, undefined);
    assert.strictEqual(plan.nodes.Mul, undefined);
    // The 14 feature concats and the 5 CoordConv input concats.
    assert.strictEqual(plan.nodes.Concat, 19);
  });

  it('the detector: the confident boxes of its float self, at IoU > 0.9', async () => {
    const { model, report } = await quantize('die-defect-yolov7tiny', { calibration: crops.slice(0, 8) });
    assert.deepStrictEqual(report.nodes.Conv, 58);
    const [fp, q] = await Promise.all([Detector.create('die-defect-yolov7tiny'), Detector.create(model)]);
    const [a, b] = [await fp.detect(crops.slice(8)), await q.detect(crops.slice(8))];
    const iou = (p, r) => {
      const w = Math.max(0, Math.min(p[2], r[2]) - Math.max(p[0], r[0]));
      const h = Math.max(0, Math.min(p[3], r[3]) - Math.max(p[1], r[1]));
      const area = (x) => (x[2] - x[0]) * (x[3] - x[1]);
      return (w * h) / (area(p) + area(r) - w * h);
    };
    let matched = 0;
    let confident = 0;
    for (let i = 0; i < a.length; i++) {
      for (const d of a[i].detections.filter((x) => x.score > 0.6)) {
        confident++;
        if (b[i].detections.some((e) => e.classId === d.classId && iou(e.box, d.box) > 0.9 && Math.abs(e.score - d.score) < 0.1)) matched++;
      }
    }
    assert.ok(confident >= 5, `only ${confident} confident detections to compare`);
    assert.ok(matched >= confident - 1, `${matched} of ${confident} confident boxes kept`);
    fp.close();
    q.close();
  });
});

describe('die-inspect quantize', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-qc-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the model and prints what it did', async () => {
    await synthesize({ out: path.join(dir, 'cal'), count: 4, seed: 2, crops: true });
    const out = path.join(dir, 'q.onnx');
    const r = await run(['quantize', '-m', 'die-good-defect-vggs', '--calib', path.join(dir, 'cal', 'crops', 'images'), '-o', out],
      { cwd: ROOT });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /INT8 ops\s+Conv 9, Relu 9, MaxPool 4, GlobalAveragePool 1, Flatten 1, Gemm 1/);
    assert.match(r.stdout, /calibration\s+4 images at 224x224, percentile 99.999/);
    assert.ok(fs.statSync(out).size < fs.statSync(path.join(ROOT, 'models', 'die-good-defect-vggs.onnx')).size / 3);
  });

  it('exits 2 on a usage mistake and 1 on a failure, writing nothing', async () => {
    const out = path.join(dir, 'never.onnx');
    const bad = await run(['quantize', '-m', 'die-good-defect-vggs', '--calib', dir, '-o', out, '--method', 'entropy'], { cwd: ROOT });
    assert.strictEqual(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--method must be percentile or minmax/);
    const missing = await run(['quantize', '-m', 'die-good-defect-vggs', '-o', out], { cwd: ROOT });
    assert.strictEqual(missing.code, 2);
    fs.writeFileSync(path.join(dir, 'broken.jpg'), 'not a jpeg');
    const unreadable = await run(['quantize', '-m', 'die-good-defect-vggs', '--calib', path.join(dir, 'broken.jpg'), '-o', out], { cwd: ROOT });
    assert.strictEqual(unreadable.code, 1, unreadable.stderr);
    assert.match(unreadable.stderr, /ERR_IMAGE_DECODE/);
    assert.ok(!fs.existsSync(out));
  });
});
