'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Detector, encodeImage, DieInspectError } = require('../dist');
const { constantDetector, flatOutputModel, rank3Model, buildModel, valueInfo, node, floatTensor } = require('./helpers/onnx');

function raw(width, height, value = 50) {
  return { data: new Uint8Array(width * height * 3).fill(value), width, height, channels: 3 };
}

// Two candidate rows in YOLOv5/v7 form: cx cy w h obj cls0 cls1 (model-input pixels).
const ROWS = [
  [320, 320, 100, 50, 0.9, 0.1, 0.9], // class 1, score 0.81
  [330, 322, 100, 50, 0.8, 0.1, 0.9], // overlaps row 0 heavily, score 0.72 -> suppressed
  [100, 500, 40, 40, 0.6, 0.8, 0.2], // class 0, score 0.48
  [10, 10, 5, 5, 0.2, 0.5, 0.5], // below conf
];
const V8_ROWS = ROWS.map((r) => [r[0], r[1], r[2], r[3], r[4] * r[5], r[4] * r[6]]);
const NAMES = "{0: 'die_crack', 1: 'die_rotation'}";

// Letterbox of 1280x960 into 640x640: scale 0.5, pad y 80.
function toOriginal([cx, cy, w, h]) {
  return [(cx - w / 2) / 0.5, (cy - h / 2 - 80) / 0.5, (cx + w / 2) / 0.5, (cy + h / 2 - 80) / 0.5];
}

function assertBoxes(actual, expected) {
  assert.strictEqual(actual.length, expected.length, JSON.stringify(actual));
  actual.forEach((d, i) => {
    d.box.forEach((v, k) => assert.ok(Math.abs(v - expected[i].box[k]) < 1e-3, `box ${i}: ${d.box} vs ${expected[i].box}`));
    assert.ok(Math.abs(d.score - expected[i].score) < 1e-5);
    assert.strictEqual(d.classId, expected[i].classId);
    assert.strictEqual(d.label, expected[i].label);
  });
}

const EXPECTED = [
  { box: toOriginal(ROWS[0]), score: 0.81, classId: 1, label: 'die_rotation' },
  { box: toOriginal(ROWS[2]), score: 0.48, classId: 0, label: 'die_crack' },
];

describe('Detector', () => {
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-det-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [layout, rows] of [['yolov5', ROWS], ['yolov8', V8_ROWS]]) {
    it(`decodes the ${layout} layout into original-image boxes`, async () => {
      const det = await Detector.create(constantDetector({ rows, layout, metadata: { names: NAMES } }), { conf: 0.25, iou: 0.45 });
      const [r] = await det.detect([raw(1280, 960)]);
      assert.strictEqual(det.layout, layout);
      assert.deepStrictEqual([r.width, r.height], [1280, 960]);
      assertBoxes(r.detections, EXPECTED);
      det.close();
    });
  }

  it('reads a model from a file path and images from paths and Buffers', async () => {
    const modelPath = path.join(tmp, 'det.onnx');
    fs.writeFileSync(modelPath, constantDetector({ rows: ROWS, metadata: { names: NAMES } }));
    const png = await encodeImage(raw(1280, 960), { format: 'png' });
    const imgPath = path.join(tmp, 'a.png');
    fs.writeFileSync(imgPath, png);
    const det = await Detector.create(modelPath, { conf: 0.25 });
    const res = await det.detect([imgPath, png]);
    for (const r of res) assertBoxes(r.detections, EXPECTED);
    det.close();
  });

  it('clips boxes to the image', async () => {
    const det = await Detector.create(constantDetector({ rows: [[630, 400, 40, 40, 0.9, 0.9, 0.1]] }));
    const [r] = await det.detect(raw(1280, 960));
    const [x1, y1, x2, y2] = r.detections[0].box;
    assert.strictEqual(x2, 1280);
    assert.ok(Math.abs(x1 - 1220) < 1e-3 && Math.abs(y1 - 600) < 1e-3 && Math.abs(y2 - 680) < 1e-3);
  });

  it('applies conf, class-agnostic NMS and maxDet per call', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS, metadata: { names: NAMES } }));
    const [strict] = await det.detect(raw(1280, 960), { conf: 0.5 });
    assert.strictEqual(strict.detections.length, 1);
    const [loose] = await det.detect(raw(1280, 960), { conf: 0.05, iou: 0.95 });
    assert.strictEqual(loose.detections.length, 4);
    const [one] = await det.detect(raw(1280, 960), { conf: 0.05, maxDet: 1 });
    assert.strictEqual(one.detections.length, 1);
    // Two overlapping boxes of different classes: kept apart, merged when agnostic.
    const twoClass = await Detector.create(constantDetector({ rows: [[320, 320, 100, 100, 0.9, 1, 0], [322, 320, 100, 100, 0.8, 0, 1]] }));
    assert.strictEqual((await twoClass.detect(raw(640, 640)))[0].detections.length, 2);
    assert.strictEqual((await twoClass.detect(raw(640, 640), { agnostic: true }))[0].detections.length, 1);
  });

  it('keeps per-image results independent: scores follow each image\'s content', async () => {
    // score = obj * cls, with obj = 0.1 + mean(input): a white image scores higher than a black one.
    const mask = [[0, 0, 0, 0, 1, 0, 0]];
    const det = await Detector.create(constantDetector({ rows: [[320, 320, 64, 64, 0.1, 1, 0]], brightnessMask: mask }), { conf: 0.05 });
    const res = await det.detect([raw(640, 640, 0), raw(640, 640, 255), raw(640, 640, 51)]);
    const scores = res.map((r) => r.detections[0].score);
    // 1e-3: ORT accumulates the 1.2 M-element mean in float32.
    assert.ok(Math.abs(scores[0] - 0.1) < 1e-3 && Math.abs(scores[1] - 1.1) < 1e-3 && Math.abs(scores[2] - 0.3) < 1e-3, String(scores));
  });

  it('splits large requests over a fixed-batch model and pads the last batch', async () => {
    const mask = [[0, 0, 0, 0, 1, 0, 0]];
    const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], batch: 2, height: 64, width: 64, brightnessMask: mask }), { conf: 0.05 });
    const values = [0, 51, 102, 153, 204];
    const res = await det.detect(values.map((v) => raw(64, 64, v)));
    res.forEach((r, i) => assert.ok(Math.abs(r.detections[0].score - (0.1 + values[i] / 255)) < 1e-4, `image ${i}`));
  });

  it('splits dynamic-batch requests by maxBatch with the same results', async () => {
    const mask = [[0, 0, 0, 0, 1, 0, 0]];
    const det = await Detector.create(constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 'h', width: 'w', brightnessMask: mask }),
      { conf: 0.05, imgsz: 64, maxBatch: 3 });
    const values = Array.from({ length: 7 }, (_, i) => i * 30);
    const res = await det.detect(values.map((v) => raw(64, 64, v)));
    res.forEach((r, i) => assert.ok(Math.abs(r.detections[0].score - (0.1 + values[i] / 255)) < 1e-4, `image ${i}`));
  });

  it('fails only the bad images of a batch, each with a typed error', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS, metadata: { names: NAMES } }));
    const res = await det.detect([raw(1280, 960), '/no/such.jpg', Buffer.alloc(0), Buffer.from('GIF89a garbage'),
      { data: new Uint8Array(5), width: 10, height: 10, channels: 3 }, raw(1280, 960)]);
    assert.deepStrictEqual(res.map((r) => r.error && r.error.code),
      [undefined, 'ERR_FILE_NOT_FOUND', 'ERR_IMAGE_DECODE', 'ERR_IMAGE_DECODE', 'ERR_INVALID_ARG', undefined]);
    assert.ok(res[1].error instanceof DieInspectError);
    assertBoxes(res[0].detections, EXPECTED);
    assertBoxes(res[5].detections, EXPECTED);
    await assert.rejects(det.detectOne('/no/such.jpg'), { code: 'ERR_FILE_NOT_FOUND' });
  });

  it('reports NaN outputs per image', async () => {
    const det = await Detector.create(constantDetector({ rows: [[NaN, 1, 1, 1, 0.9, 1, 0]] }));
    const [r] = await det.detect(raw(64, 64));
    assert.strictEqual(r.error.code, 'ERR_NAN_OUTPUT');
  });

  it('rejects models that are not image detectors', async () => {
    await assert.rejects(Detector.create(Buffer.from('definitely not onnx')), { code: 'ERR_MODEL_LOAD' });
    await assert.rejects(Detector.create(Buffer.alloc(0)), { code: 'ERR_MODEL_LOAD' });
    await assert.rejects(Detector.create('/no/such/model.onnx'), { code: 'ERR_FILE_NOT_FOUND' });
    const r3 = await Detector.create(rank3Model());
    await assert.rejects(r3.detect(raw(8, 8)), { code: 'ERR_MODEL_INPUT' });
    const flat = await Detector.create(flatOutputModel());
    await assert.rejects(flat.detect(raw(8, 8)), { code: 'ERR_OUTPUT_LAYOUT' });
    // Names metadata that disagrees with the output width.
    const wrongNames = await Detector.create(constantDetector({ rows: ROWS, metadata: { names: "{0: 'a', 1: 'b', 2: 'c'}" } }));
    await assert.rejects(wrongNames.detect(raw(8, 8)), { code: 'ERR_OUTPUT_LAYOUT' });
  });

  it('rejects calls on a closed session and bad arguments', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS }));
    det.close();
    await assert.rejects(det.detect(raw(8, 8)), { code: 'ERR_SESSION_CLOSED' });
    const live = await Detector.create(constantDetector({ rows: ROWS }));
    await assert.rejects(live.detect([42]), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(live.detect(raw(8, 8), { iou: 2 }), { code: 'ERR_INVALID_ARG' });
    // Sizes that could not be served are refused before anything is allocated.
    const dynamic = constantDetector({ rows: ROWS, height: 'h', width: 'w' });
    const huge = await Detector.create(dynamic, { imgsz: 100000 });
    await assert.rejects(huge.detect(raw(8, 8)), (e) => e.code === 'ERR_INVALID_ARG' && /over 16384 px/.test(e.message));
    const wide = await Detector.create(dynamic, { imgsz: 8192, maxBatch: 16 });
    await assert.rejects(wide.detect(Array.from({ length: 16 }, () => raw(8, 8))),
      (e) => e.code === 'ERR_INVALID_ARG' && /12\.0 GiB input tensor/.test(e.message));
    // ...while the same detector serves a request small enough (one image: 0.75 GiB).
    assert.strictEqual((await wide.detect(raw(8, 8)))[0].error, undefined);
    await assert.rejects(live.benchmark({ batch: 100000 }), { code: 'ERR_INVALID_ARG' });
    const strided = await Detector.create(dynamic, { stride: 2 ** 31 - 1 });
    await assert.rejects(strided.detect(raw(8, 8)), (e) => e.code === 'ERR_INVALID_ARG' && /stride/.test(e.message));
  });

  it('finishes a running batch when closed mid-flight', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS, metadata: { names: NAMES } }));
    const pending = det.detect(Array.from({ length: 8 }, () => raw(1280, 960)));
    det.close();
    const res = await pending;
    assert.strictEqual(res.length, 8);
    assertBoxes(res[7].detections, EXPECTED);
  });

  it('takes class names from options over metadata', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS, metadata: { names: NAMES } }), { classNames: ['crack', 'rot'] });
    const [r] = await det.detect(raw(1280, 960));
    assert.deepStrictEqual(r.detections.map((d) => d.label), ['rot', 'crack']);
  });

  it('runs a model with a custom (non-constant) graph: multiply input', async () => {
    // A [B,1,7] output made of the image mean, to check the input tensor really carries the pixels.
    const model = buildModel({
      inputs: [valueInfo('images', ['b', 3, 32, 32])],
      outputs: [valueInfo('output', ['b', 1, 7])],
      nodes: [node('ReduceMean', ['images'], ['m'], { axes: [1, 2, 3], keepdims: 0 }), node('Reshape', ['m', 's'], ['m3']),
        node('Mul', ['m3', 'k'], ['p']), node('Add', ['p', 'c'], ['output'])],
      initializers: [require('./helpers/onnx').int64Tensor('s', [3], [-1, 1, 1]), floatTensor('k', [1, 1, 7], [0, 0, 0, 0, 1, 0, 0]),
        floatTensor('c', [1, 1, 7], [16, 16, 8, 8, 0, 1, 0])],
    });
    const det = await Detector.create(model, { conf: 0.1 });
    const [r] = await det.detect(raw(32, 32, 153));
    assert.ok(Math.abs(r.detections[0].score - 0.6) < 1e-4);
  });
});

describe('Detector on large JPEGs (reduced-scale decoding)', () => {
  it('maps boxes to the full-resolution frame exactly as for lossless input', async () => {
    const det = await Detector.create(constantDetector({ rows: ROWS, height: 'h', width: 'w', metadata: { names: NAMES } }), { imgsz: 320 });
    try {
      for (const [w, h] of [[1280, 960], [1281, 961], [2000, 600]]) {
        const img = { data: new Uint8Array(w * h * 3), width: w, height: h, channels: 3 };
        for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 7 + (i >> 10)) & 255;
        const jpg = await encodeImage(img, { format: 'jpg', quality: 90 });
        const [a, b] = await det.detect([jpg, img]);
        assert.strictEqual(a.width, w);
        assert.strictEqual(a.height, h);
        assert.strictEqual(a.detections.length, b.detections.length);
        a.detections.forEach((d, k) => d.box.forEach((v, j) => assert.ok(Math.abs(v - b.detections[k].box[j]) < 1e-3, `${w}x${h}: ${v} vs ${b.detections[k].box[j]}`)));
      }
    } finally {
      det.close();
    }
  });
});
