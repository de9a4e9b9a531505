'use strict';
// Ensemble manifests: members resolved relative to the manifest, combined by its rule and
// weights and calibrated, against probabilities computed here by hand from constant
// classifiers; every way a manifest can be wrong is a typed error.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ClassifierEnsemble, Inspector } = require('../dist');
const { constantClassifier } = require('./helpers/onnx');

const NAMES = { names: "{0: 'good', 1: 'defective'}" };
const softmax = (v) => { const e = v.map(Math.exp); const s = e.reduce((a, b) => a + b); return e.map((x) => x / s); };
const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const logit = (p) => Math.log(p / (1 - p));
const img = { data: new Uint8Array(64 * 64 * 3).fill(90), width: 64, height: 64, channels: 3 };

describe('ensemble manifest', function () {
  let dir;
  const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  // member a: p(defective) = sigmoid(1); member b: sigmoid(-2) (logits that do not look like probabilities)
  const pa = softmax([0.5, 1.5])[1];
  const pb = softmax([1, -1])[1];
  const manifest = (extra = {}) => ({
    format: 'die-inspect-ensemble', version: 1, classes: ['good', 'defective'], positive: 'defective', rule: 'mean',
    members: [{ model: 'a.onnx', weight: 0.75, sha256: sha(path.join(dir, 'a.onnx')) }, { model: 'sub/b.onnx', weight: 0.25 }],
    ...extra,
  });
  const write = (name, m) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof m === 'string' ? m : JSON.stringify(m));
    return f;
  };
  const defectP = async (spec) => {
    const ens = await ClassifierEnsemble.create(spec);
    try {
      const [r] = await ens.classify(img);
      assert.ok(!r.error, r.error && r.error.message);
      assert.strictEqual(r.members.length, 2);
      return r.probabilities[1];
    } finally {
      ens.close();
    }
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ens-manifest-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a.onnx'), constantClassifier([0.5, 1.5], NAMES));
    fs.writeFileSync(path.join(dir, 'sub', 'b.onnx'), constantClassifier([1, -1], NAMES));
    fs.writeFileSync(path.join(dir, 'other.onnx'), constantClassifier([0.5, 1.5], { names: "{0: 'ok', 1: 'bad'}" }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('combines by the weighted mean, read from a file with members relative to it', async () => {
    const p = await defectP(write('mean.json', manifest()));
    assert.ok(Math.abs(p - (0.75 * pa + 0.25 * pb)) < 1e-6, String(p));
  });

  it('combines by the weighted mean of log-odds (rule logit), then a temperature', async () => {
    const p = await defectP(write('logit.json', manifest({ rule: 'logit', calibration: { method: 'temperature', temperature: 2 } })));
    const expected = sigmoid((0.75 * logit(pa) + 0.25 * logit(pb)) / 2);
    assert.ok(Math.abs(p - expected) < 1e-6, `${p} vs ${expected}`);
  });

  it('combines by ranks among each member\'s validation scores (rule rank), then an isotonic map', async () => {
    // a's score pa ranks 3rd of 4 references (0.1, 0.5, pa, 0.99): (2 + 1) / 5; b's pb is below all 3 of its
    // references: (-0.5 + 1) / 4. The isotonic points (0.2, 0.1), (0.8, 0.9) map r linearly between them.
    const m = manifest({ rule: 'rank', calibration: { method: 'isotonic', x: [0.2, 0.8], y: [0.1, 0.9] } });
    m.members[0].ranks = [0.1, 0.5, pa, 0.99];
    m.members[1].ranks = [0.5, 0.6, 0.7];
    // given as an object, its paths are taken from the working folder
    for (const mb of m.members) mb.model = path.join(dir, mb.model);
    const r = 0.75 * (3 / 5) + 0.25 * (0.5 / 4);
    const p = await defectP(m);
    const expected = 0.1 + ((r - 0.2) / 0.6) * 0.8;
    assert.ok(Math.abs(p - expected) < 1e-6, `${p} vs ${expected}`);
  });

  it('refuses a missing member, a changed member, other classes, and malformed manifests', async () => {
    const bad = async (m, code, message) => {
      await assert.rejects(ClassifierEnsemble.create(typeof m === 'object' ? write('bad.json', m) : m), (e) => {
        assert.strictEqual(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      });
    };
    const missing = manifest();
    missing.members[1].model = 'sub/gone.onnx';
    await bad(missing, 'ERR_FILE_NOT_FOUND', /member 2 \(sub\/gone\.onnx\).*not found/);
    const changed = manifest();
    changed.members[0].sha256 = '0'.repeat(64);
    await bad(changed, 'ERR_CONFIG', /member 1 \(a\.onnx\).*not the model the manifest was made with/);
    const otherClasses = manifest();
    otherClasses.members[1] = { model: 'other.onnx', weight: 1 };
    await bad(otherClasses, 'ERR_CONFIG', /member 2 \(other\.onnx\) has classes ok, bad, the manifest good, defective/);
    await bad(write('notjson.json', '{"format": '), 'ERR_CONFIG', /not JSON/);
    await bad(path.join(dir, 'nowhere.json'), 'ERR_FILE_NOT_FOUND', /not found/);
    await bad(manifest({ format: 'something-else' }), 'ERR_CONFIG', /format/);
    await bad(manifest({ version: 2 }), 'ERR_CONFIG', /version/);
    await bad(manifest({ rule: 'median' }), 'ERR_CONFIG', /rule must be one of mean, logit, rank/);
    await bad(manifest({ rule: 'rank' }), 'ERR_CONFIG', /ranks/);
    await bad(manifest({ members: [] }), 'ERR_CONFIG', /at least one classifier/);
    const negative = manifest();
    negative.members[0].weight = -1;
    await bad(negative, 'ERR_CONFIG', /weights/);
    await bad(manifest({ calibration: { method: 'temperature', temperature: 0 } }), 'ERR_CONFIG', /temperature/);
    await bad(manifest({ calibration: { method: 'isotonic', x: [0.5, 0.2], y: [0.1, 0.9] } }), 'ERR_CONFIG', /isotonic/);
    await bad(manifest({ positive: 'cracked' }), 'ERR_CONFIG', /positive/);
  });

  it('the shipped default: the Inspector\'s ensemble unless told otherwise, its probability the manifest\'s combination of its members', async () => {
    const m = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'models', 'ensembles', 'default.json'), 'utf8'));
    const insp = await Inspector.create({ detector: false });
    try {
      assert.deepStrictEqual(insp.memberNames, m.members.map((x) => x.model));
      assert.strictEqual(insp.ensemble.combination.rule, m.rule);
      const [r] = await insp.inspect('samples/images/000001.jpg');
      const members = r.classification.members.map((x) => x.defectProbability);
      // the manifest's rule and calibration applied by hand to what the members said
      const w = m.members.map((x) => x.weight);
      const total = w.reduce((a, b) => a + b, 0);
      let p = m.rule === 'logit' ? sigmoid(members.reduce((s, q, i) => s + (w[i] / total) * logit(q), 0))
        : members.reduce((s, q, i) => s + (w[i] / total) * q, 0);
      const { x, y } = m.calibration;
      if (m.calibration.method === 'isotonic') {
        const n = x.length - 1;
        p = p <= x[0] ? (y[0] * p) / x[0] : p >= x[n] ? y[n] + ((1 - y[n]) * (p - x[n])) / (1 - x[n])
          : (() => { const i = x.findIndex((v) => v > p); return y[i - 1] + ((p - x[i - 1]) / (x[i] - x[i - 1])) * (y[i] - y[i - 1]); })();
      } else {
        p = sigmoid(logit(p) / m.calibration.temperature);
      }
      assert.ok(Math.abs(r.classification.defectProbability - p) < 1e-4, `${r.classification.defectProbability} vs ${p}`);
    } finally {
      insp.close();
    }
  });

  it('is what the Inspector classifies with when given as `classifiers`', async () => {
    const file = write('mean.json', manifest());
    const insp = await Inspector.create({ classifiers: file, detector: false });
    try {
      assert.deepStrictEqual(insp.memberNames, ['a', 'b']);
      assert.strictEqual(insp.ensemble.manifestFile, file);
      assert.deepStrictEqual(insp.ensemble.combination.weights, [0.75, 0.25]);
    } finally {
      insp.close();
    }
  });
});
