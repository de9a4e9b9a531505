'use strict';
const assert = require('assert');
const { Classifier, ClassifierEnsemble } = require('../dist');
const { meanClassifier } = require('./helpers/onnx');

function raw(bgr, size = 32) {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(bgr, 3 * i);
  return { data, width: size, height: size, channels: 3 };
}

const softmax = (v) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const close = (a, b, tol = 1e-5) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < tol);

describe('Classifier', () => {
  it('applies softmax to logits (model logits = RGB channel means)', async () => {
    const clf = await Classifier.create(meanClassifier(), { imgsz: 32 });
    // BGR (0, 128, 255) -> RGB means (1, 128/255, 0) after /255.
    const [r] = await clf.classify(raw([0, 128, 255]));
    assert.ok(close(r.probabilities, softmax([1, 128 / 255, 0])), String(r.probabilities));
    assert.strictEqual(r.classId, 0);
    assert.strictEqual(r.label, '0');
  });

  it('passes probabilities through unchanged', async () => {
    const clf = await Classifier.create(meanClassifier({ softmax: true }));
    const [r] = await clf.classify(raw([30, 60, 90]));
    assert.ok(close(r.probabilities, softmax([90 / 255, 60 / 255, 30 / 255])));
  });

  it('treats a single output as a logit and returns [1 - p, p]', async () => {
    // mean over channels of mean RGB = (0.2 + 0.4 + 0.6) / 3 = 0.4 -> sigmoid.
    const clf = await Classifier.create(meanClassifier({ single: true }), { scores: 'logits', classNames: ['good', 'defect'] });
    const [r] = await clf.classify(raw([153, 102, 51]));
    const p = 1 / (1 + Math.exp(-0.4));
    assert.ok(close(r.probabilities, [1 - p, p]), String(r.probabilities));
    assert.strictEqual(r.label, 'defect');
  });

  it('applies mean/std normalisation from options or metadata', async () => {
    const opts = await Classifier.create(meanClassifier(), { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] });
    const meta = await Classifier.create(meanClassifier({ metadata: { mean: '[0.5, 0.5, 0.5]', std: '[0.25, 0.5, 1]', names: "['x', 'y', 'z']" } }));
    const want = softmax([(1 - 0.5) / 0.25, (0.4 - 0.5) / 0.5, (0 - 0.5) / 1]);
    for (const clf of [opts, meta]) {
      const [r] = await clf.classify(raw([0, 102, 255]));
      assert.ok(close(r.probabilities, want, 1e-4), String(r.probabilities));
    }
    assert.deepStrictEqual(meta.classNames, ['x', 'y', 'z']);
  });

  it('reports bad images per image', async () => {
    const clf = await Classifier.create(meanClassifier());
    const res = await clf.classify([raw([1, 2, 3]), Buffer.from('xx')]);
    assert.strictEqual(res[0].error, undefined);
    assert.strictEqual(res[1].error.code, 'ERR_IMAGE_DECODE');
  });
});

describe('ClassifierEnsemble', () => {
  it('averages member probabilities (weighted)', async () => {
    const a = await Classifier.create(meanClassifier());
    const b = await Classifier.create(meanClassifier({ softmax: true }), { mean: [1, 0, 0] });
    const img = raw([51, 102, 153]);
    const pa = softmax([0.6, 0.4, 0.2]);
    const pb = softmax([0.6 - 1, 0.4, 0.2]);
    const ens = new ClassifierEnsemble([a, b], [1, 3]);
    const [r] = await ens.classify(img);
    const want = pa.map((v, i) => 0.25 * v + 0.75 * pb[i]);
    assert.ok(close(r.probabilities, want, 1e-5), `${r.probabilities} vs ${want}`);
    assert.ok(close(r.members[0], pa, 1e-5) && close(r.members[1], pb, 1e-5));
  });

  it('loads members from models and options', async () => {
    const ens = await ClassifierEnsemble.create([{ model: meanClassifier() }, { model: meanClassifier({ softmax: true }) }]);
    const [r] = await ens.classify(raw([10, 20, 30]));
    const p = softmax([30 / 255, 20 / 255, 10 / 255]);
    assert.ok(close(r.probabilities, p, 1e-5));
    ens.close();
  });

  it('rejects members that disagree on the class count, and an empty ensemble', async () => {
    assert.throws(() => new ClassifierEnsemble([]), { code: 'ERR_CONFIG' });
    const ens = await ClassifierEnsemble.create([{ model: meanClassifier() }, { model: meanClassifier({ single: true }) }]);
    await assert.rejects(ens.classify(raw([1, 2, 3])), { code: 'ERR_CONFIG' });
  });

  it('fails to load as a whole when one member cannot load', async () => {
    await assert.rejects(ClassifierEnsemble.create([{ model: meanClassifier() }, { model: '/missing.onnx' }]), { code: 'ERR_FILE_NOT_FOUND' });
  });
});

describe('Classifier region', () => {
  it('classifies only the given part of each image (option or metadata)', async () => {
    // Left half red (BGR 0,0,255), right half blue: the mean classifier's logits are the RGB means.
    const w = 64;
    const h = 32;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < w / 2 ? [0, 0, 255] : [255, 0, 0], (y * w + x) * 3);
    const img = { data, width: w, height: h, channels: 3 };
    const { meanClassifier } = require('./helpers/onnx');
    const whole = await Classifier.create(meanClassifier({ softmax: true }));
    const left = await Classifier.create(meanClassifier({ softmax: true }), { region: [0, 0, 0.5, 1] });
    const rightMeta = await Classifier.create(meanClassifier({ softmax: true, metadata: { region: '[0.5, 0, 1, 1]' } }));
    const [a] = await whole.classify(img);
    const [b] = await left.classify(img);
    const [c] = await rightMeta.classify(img);
    const softmax = (v) => { const e = v.map(Math.exp); const s = e.reduce((x, y) => x + y); return e.map((x) => x / s); };
    const close = (p, q) => p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-4, `${p} vs ${q}`));
    close(a.probabilities, softmax([0.5, 0, 0.5]));
    close(b.probabilities, softmax([1, 0, 0]));
    close(c.probabilities, softmax([0, 0, 1]));
    await assert.rejects(Classifier.create(meanClassifier(), { region: [0.5, 0, 0.2, 1] }).then((m) => m.classify(img)), (e) => e.code === 'ERR_INVALID_ARG');
    // NaN normalisation would only show up later as NaN outputs: refused as an option.
    for (const bad of [{ mean: [NaN, 0, 0] }, { std: [1, Infinity, 1] }]) {
      await assert.rejects(Classifier.create(meanClassifier(), bad).then((m) => m.classify(img)), { code: 'ERR_INVALID_ARG', message: /finite/ });
    }
    for (const m of [whole, left, rightMeta]) m.close();
  });
});
