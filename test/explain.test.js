'use strict';
// Saliency maps against models whose evidence is known exactly: a classifier whose defect
// logit is the mean brightness of its input (so its class activation map is the image's
// brightness), the same with a max pool (no CAM head; perturbation methods only), and a
// detector whose score rises with mean brightness (so hiding a bright patch lowers it).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  annotateImage, Classifier, ClassifierEnsemble, decodeImage, Detector, encodeMapPng, Inspector, meanMap, withCamOutput,
} = require('../dist');
const { classifierPointing, detectorPointing, energyInside, pointingHit } = require('../dist/eval/saliency-metrics');
const { constantClassifier, constantDetector, meanClassifier, pooledClassifier } = require('./helpers/onnx');
const { run } = require('./helpers/cli');

const BRIGHT = [[-1, -1, -1], [1, 1, 1]];  // defect logit - good logit = 2 x (sum of channel means)

/** Black image with a white square [x1, y1, x2, y2) (raw BGR). */
function squareImage(width, height, [x1, y1, x2, y2], value = 255) {
  const data = new Uint8Array(width * height * 3);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data.fill(value, 3 * (y * width + x), 3 * (y * width + x) + 3);
  return { data, width, height, channels: 3 };
}

/** The map's value at image pixel (x, y). */
function at(map, image, x, y) {
  const i = Math.min(map.width - 1, Math.floor((x * map.width) / image.width));
  const j = Math.min(map.height - 1, Math.floor((y * map.height) / image.height));
  return map.data[j * map.width + i];
}

const inside = (p, [x1, y1, x2, y2]) => p.x >= x1 && p.x <= x2 && p.y >= y1 && p.y <= y2;

describe('saliency: Classifier.explain', function () {
  this.timeout(60000);
  const img = squareImage(64, 48, [40, 8, 52, 20]);

  it('cam: the map of a mean-brightness classifier is the image brightness (1 on the square, 0 on black)', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: BRIGHT }));
    assert.strictEqual(c.hasCam, true);
    const [e] = await c.explain([img], { shifts: 1 });
    assert.ifError(e.error);
    assert.strictEqual(e.width, 64);
    assert.strictEqual(e.height, 48);
    const [m] = e.maps;
    assert.strictEqual(m.method, 'cam');
    assert.strictEqual(m.label, 'defective');
    assert.strictEqual(m.width, 64);
    assert.strictEqual(m.height, 48);
    assert.ok(at(m, e, 46, 14) > 0.99, `centre of the square ${at(m, e, 46, 14)}`);
    assert.ok(at(m, e, 10, 40) < 1e-3 && at(m, e, 20, 30) < 1e-3);
    assert.ok(inside(m.peak, [40, 8, 52, 20]), JSON.stringify(m.peak));
    // Probabilities are the classifier's own for the unmasked image.
    const [cls] = await c.classify([img]);
    assert.ok(e.probabilities.every((p, i) => Math.abs(p - cls.probabilities[i]) < 1e-6));
    // The default (shifted) map still peaks on the square; the good class's map is the opposite evidence.
    const [shifted] = await c.explain([img]);
    assert.ok(inside(shifted.maps[0].peak, [40, 8, 52, 20]));
    const [good] = await c.explain([img], { target: 'good', shifts: 1 });
    assert.strictEqual(good.maps[0].classId, 0);
    assert.ok(at(good.maps[0], e, 46, 14) < 1e-3, 'no evidence for good on the bright square');
    c.close();
  });

  it('cam maps are placed through the region the classifier reads (zero outside it)', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: BRIGHT, metadata: { region: '[0.5, 0, 1, 1]' } }));
    const [e] = await c.explain([squareImage(64, 48, [40, 8, 52, 20])], { shifts: 1 });
    const m = e.maps[0];
    assert.ok(inside(m.peak, [40, 8, 52, 20]), JSON.stringify(m.peak));
    for (let j = 0; j < m.height; j++) for (let i = 0; i < m.width / 2 - 1; i++) assert.strictEqual(m.data[j * m.width + i], 0);
    c.close();
  });

  it('occlusion and rise find the bright square of a max-pool classifier (no CAM head)', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: BRIGHT, pool: 'max', features: false }));
    assert.strictEqual(c.hasCam, false);
    // A max pool answers until all of the square is hidden: it lies in one cell of the 4 x 4 grid (16 x 12 image px).
    const small = squareImage(64, 48, [36, 14, 44, 22]);
    const [occ] = await c.explain([small], { grid: 4 });
    assert.strictEqual(occ.maps[0].method, 'occlusion');
    assert.ok(inside(occ.maps[0].peak, [32, 12, 48, 24]), JSON.stringify(occ.maps[0].peak));
    assert.strictEqual(at(occ.maps[0], occ, 8, 40), 0);
    const [rise] = await c.explain([small], { method: 'rise', masks: 300, seed: 3 });
    assert.ok(inside(rise.maps[0].peak, [28, 8, 52, 28]), JSON.stringify(rise.maps[0].peak));
    const [again] = await c.explain([small], { method: 'rise', masks: 300, seed: 3 });
    assert.deepStrictEqual(Array.from(again.maps[0].data), Array.from(rise.maps[0].data), 'the same seed, the same masks');
    await assert.rejects(c.explain([img], { method: 'cam' }), { code: 'ERR_INVALID_ARG' });
    c.close();
  });

  it('a cam_features that does not feed a pooled linear head is refused', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: BRIGHT, pool: 'max' }));
    assert.strictEqual(c.hasCam, true);
    await assert.rejects(c.explain([img]), { code: 'ERR_MODEL_LOAD' });
    c.close();
  });

  it('withCamOutput() adds the feature output to a pooled linear classifier, answers unchanged', async () => {
    const plain = pooledClassifier({ weights: BRIGHT, bias: [0.3, -0.2], features: false });
    const added = withCamOutput(plain, 'test');
    const [a, b] = await Promise.all([Classifier.create(plain), Classifier.create(added)]);
    assert.strictEqual(b.hasCam, true);
    assert.deepStrictEqual(Array.from((await a.classify([img]))[0].probabilities), Array.from((await b.classify([img]))[0].probabilities));
    assert.throws(() => withCamOutput(meanClassifier(), 'no linear head'), { code: 'ERR_MODEL_LOAD' });
    a.close();
    b.close();
  });

  it('bad images and bad options: per-image errors, typed refusals', async () => {
    const c = await Classifier.create(pooledClassifier({ weights: BRIGHT }));
    const r = await c.explain([img, Buffer.from('not an image'), '/no/such.png', img]);
    assert.strictEqual(r[1].error.code, 'ERR_IMAGE_DECODE');
    assert.strictEqual(r[2].error.code, 'ERR_FILE_NOT_FOUND');
    assert.ok(!r[0].error && !r[3].error && inside(r[3].maps[0].peak, [40, 8, 52, 20]));
    await assert.rejects(c.explain([img], { method: 'gradcam' }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(c.explain([img], { target: 'cracked' }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(c.explain([img], { target: 7 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(c.explain([img], { method: 'occlusion', grid: 0 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(c.explain([img], { method: 'rise', keep: 1.5 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(c.explain([img], { shifts: 20 }), { code: 'ERR_INVALID_ARG' });
    c.close();
    const nan = await Classifier.create(constantClassifier([NaN, 0]));
    const [n] = await nan.explain([img], { method: 'occlusion' });
    assert.strictEqual(n.error.code, 'ERR_NAN_OUTPUT');
    nan.close();
  });
});

describe('saliency: ensembles, detectors, drawing, scoring', function () {
  this.timeout(60000);
  const img = squareImage(64, 48, [40, 8, 52, 20]);

  it('an ensemble map is the weighted mean of its members\' maps of the ensemble\'s class', async () => {
    const a = await Classifier.create(pooledClassifier({ weights: BRIGHT }));
    const b = await Classifier.create(pooledClassifier({ weights: [[0, 0, -1], [0, 0, 1]] }));
    const two = squareImage(64, 48, [40, 8, 52, 20]);
    for (let y = 30; y < 40; y++) for (let x = 4; x < 14; x++) two.data[3 * (y * 64 + x)] = 255;  // a blue patch: channel 0 only
    const ens = new ClassifierEnsemble([a, b], [3, 1]);
    const [e] = await ens.explain([two], { shifts: 1 });
    const [ea] = await a.explain([two], { shifts: 1, target: 1 });
    const [eb] = await b.explain([two], { shifts: 1, target: 1 });
    const want = meanMap([ea.maps[0], eb.maps[0]], [3, 1], ea);
    assert.deepStrictEqual(Array.from(e.maps[0].data), Array.from(want.data));
    assert.strictEqual(e.maps[0].label, 'defective');
    const [p] = await ens.classify([two]);
    assert.deepStrictEqual(e.probabilities, p.probabilities);
    ens.close();
  });

  it('detector occlusion: the detection\'s map peaks on the bright patch its score rests on, through the letterbox', async () => {
    const model = constantDetector({
      rows: [[320, 320, 100, 100, 0.3, 1.0]], brightnessMask: [[0, 0, 0, 0, 2, 0]],
      metadata: { names: "{0: 'die_crack'}" },
    });
    const d = await Detector.create(model);
    const image = squareImage(640, 480, [400, 100, 460, 160]);
    const [e] = await d.explain([image, Buffer.from('nope')]).then((r) => {
      assert.strictEqual(r[1].error.code, 'ERR_IMAGE_DECODE');
      return r;
    });
    assert.strictEqual(e.maps.length, 1);
    const m = e.maps[0];
    assert.strictEqual(m.label, 'die_crack');
    assert.deepStrictEqual(m.box.map(Math.round), [270, 190, 370, 290]);
    // The patch lies in one 80 px cell of the 640 input (rows 160-240 = image rows 80-160 under the 80 px pad).
    assert.ok(Math.abs(m.peak.x - 440) < 2 && Math.abs(m.peak.y - 120) < 2, JSON.stringify(m.peak));
    assert.ok(at(m, e, 440, 120) > 0.999);
    assert.strictEqual(at(m, e, 100, 400), 0);
    await assert.rejects(d.explain([image], { method: 'cam' }), { code: 'ERR_INVALID_ARG' });
    d.close();
  });

  it('annotateImage blends a heat map where it is given (whole image, or a quad)', async () => {
    const black = squareImage(40, 20, [0, 0, 0, 0]);
    const data = new Float32Array(40 * 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) data[y * 40 + x] = 1;
    const png = await annotateImage(black, [], { format: 'png', heatmap: { data, width: 40, height: 20, alpha: 1 } });
    const out = await decodeImage(png);
    const px = (x, y) => Array.from(out.data.subarray(3 * (y * 40 + x), 3 * (y * 40 + x) + 3));
    assert.ok(px(5, 10).some((v) => v > 100), 'left half coloured');
    assert.deepStrictEqual(px(35, 10), [0, 0, 0]);
    const onQuad = await decodeImage(await annotateImage(black, [], {
      format: 'png', heatmap: { data: new Float32Array(4).fill(1), width: 2, height: 2, alpha: 1, quad: [[30, 5], [38, 5], [38, 15], [30, 15]] },
    }));
    const q = (x, y) => Array.from(onQuad.data.subarray(3 * (y * 40 + x), 3 * (y * 40 + x) + 3));
    assert.ok(q(34, 10).some((v) => v > 100));
    assert.deepStrictEqual(q(10, 10), [0, 0, 0]);
    await assert.rejects(annotateImage(black, [], { heatmap: { data: new Float32Array(3), width: 2, height: 2 } }), { code: 'ERR_INVALID_ARG' });
  });

  it('encodeMapPng writes a 16-bit grey PNG of the map', async () => {
    const data = Float32Array.from([0, 0.25, 0.5, 1, 1.5, -1]);
    const png = await encodeMapPng({ data, width: 3, height: 2 });
    assert.strictEqual(png.toString('ascii', 12, 16), 'IHDR');
    assert.deepStrictEqual([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]], [3, 2, 16, 0]);
    const back = await decodeImage(png);
    assert.deepStrictEqual(Array.from({ length: 6 }, (_, i) => back.data[3 * i]), [0, 64, 128, 255, 255, 0]);
    await assert.rejects(encodeMapPng({ data: new Float32Array(5), width: 3, height: 2 }), { code: 'ERR_INVALID_ARG' });
  });

  it('pointing game and energy inside boxes, counted by hand', () => {
    const map = { method: 'cam', classId: 1, label: 'defective', score: 1, width: 4, height: 2, peak: { x: 30, y: 5 }, peakValue: 1,
      data: Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1]) };
    const image = { width: 40, height: 20 };
    assert.strictEqual(pointingHit(map, [[0, 0, 10, 10]], 15), false);   // 20 px away
    assert.strictEqual(pointingHit(map, [[0, 0, 10, 10]], 25), true);
    assert.strictEqual(pointingHit(map, [[25, 0, 35, 10]], 0), true);
    assert.strictEqual(energyInside(map, [[20, 0, 40, 10]], image), 0.5);   // the top right pair of four
    const e = { width: 40, height: 20, maps: [map] };
    const r = classifierPointing([e, e, { error: new Error('x'), maps: [] }, e],
      [[{ box: [25, 0, 35, 10], classId: 0 }], [{ box: [0, 0, 5, 5], classId: 1 }], [{ box: [0, 0, 1, 1], classId: 0 }], []],
      ['die_crack', 'die_rotation'], { tolerance: 0 });
    assert.deepStrictEqual([r.count, r.hits, r.failed, r.byClass.die_crack.hits, r.byClass.die_rotation.hits], [2, 1, 1, 1, 0]);
    const det = detectorPointing([{ width: 40, height: 20, maps: [{ ...map, classId: 0, box: [24, 0, 36, 10] }] }],
      [[{ box: [25, 0, 35, 10], classId: 0 }]], ['die_crack'], { tolerance: 0 });
    assert.deepStrictEqual([det.count, det.hits], [1, 1]);
  });
});

describe('saliency: explain and inspect --explain from the command line', function () {
  this.timeout(180000);
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-explain-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('explain writes an overlay and a 16-bit map per image, explain.json, and a per-image error for a bad file', async () => {
    const model = path.join(dir, 'cls.onnx');
    fs.writeFileSync(model, pooledClassifier({ weights: BRIGHT }));
    const imgs = path.join(dir, 'in');
    fs.mkdirSync(imgs);
    fs.writeFileSync(path.join(imgs, 'a.png'), await annotateImage(squareImage(64, 48, [40, 8, 52, 20]), [], { format: 'png' }));
    fs.writeFileSync(path.join(imgs, 'b.png'), 'not a png');
    const out = path.join(dir, 'out');
    const r = await run(['explain', '-m', model, imgs, '--out', out]);
    assert.strictEqual(r.code, 0, r.stderr);
    const records = JSON.parse(fs.readFileSync(path.join(out, 'explain.json'), 'utf8'));
    assert.strictEqual(records.length, 2);
    const a = records.find((x) => x.path.endsWith('a.png'));
    const b = records.find((x) => x.path.endsWith('b.png'));
    assert.strictEqual(b.error.code, 'ERR_IMAGE_DECODE');
    assert.ok(inside(a.maps[0].peak, [40, 8, 52, 20]));
    assert.ok(fs.existsSync(path.join(out, a.maps[0].overlay)) && fs.existsSync(path.join(out, a.maps[0].map)));
    assert.strictEqual(fs.readFileSync(path.join(out, a.maps[0].map))[24], 16);
    assert.strictEqual((await run(['explain', '-m', model, imgs, '--out', out, '--method', 'x'])).code, 2);
    assert.strictEqual((await run(['explain', imgs, '--out', out])).code, 2);
  });

  it('inspect --explain records a saliency peak for failed parts only and blends it into their pictures', async () => {
    const out = path.join(dir, 'inspect');
    const r = await run(['inspect', path.join(__dirname, '..', 'samples', 'images'), '--out', out, '--explain']);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const failed = lines.filter((l) => l.verdict === 'fail');
    assert.ok(failed.length > 0);
    for (const l of lines) assert.strictEqual(Boolean(l.saliency), l.verdict === 'fail', `${l.path} ${l.verdict}`);
    for (const l of failed) {
      assert.ok(l.timings.explainMs > 0);
      const [x, y] = l.saliency.peakImage;
      assert.ok(x >= 0 && x <= l.width && y >= 0 && y <= l.height);
    }
    // Without --explain nothing is recorded.
    const plain = path.join(dir, 'plain');
    assert.strictEqual((await run(['inspect', path.join(__dirname, '..', 'samples', 'images'), '--out', plain])).code, 0);
    assert.ok(!fs.readFileSync(path.join(plain, 'results.jsonl'), 'utf8').includes('saliency'));
  });

  it('Inspector explain: the map lies on the failed part\'s crop and its peak maps into the image', async () => {
    await assert.rejects(Inspector.create({ explain: { grid: 0 } }), { code: 'ERR_CONFIG' });
    await assert.rejects(Inspector.create({ explain: { method: 'gradcam' } }), { code: 'ERR_CONFIG' });
    const inspector = await Inspector.create({ explain: { shifts: 1 } });
    const files = fs.readdirSync(path.join(__dirname, '..', 'samples', 'images')).filter((f) => !f.includes('darkfield')).slice(0, 4)
      .map((f) => path.join(__dirname, '..', 'samples', 'images', f));
    const results = await inspector.inspect(files);
    for (const r of results.filter((x) => x.verdict === 'fail')) {
      const side = Math.max(r.roi.cropWidth, r.roi.cropHeight);
      assert.strictEqual(r.saliency.map.width, side <= 512 ? r.roi.cropWidth : Math.round((r.roi.cropWidth * 512) / side));
      assert.ok(r.saliency.map.peak.x <= r.roi.cropWidth && r.saliency.map.peak.y <= r.roi.cropHeight);
    }
    inspector.close();
  });
});
