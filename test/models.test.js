'use strict';
// The shipped models: cards complete and true to the files, and the default
// Inspector right on synthetic parts it never saw (ground truth from synth).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { listModels, Detector, Classifier, Inspector, synthesize, evaluateDetections, rocAuc } = require('../dist');

describe('shipped models', function () {
  this.timeout(180000);
  const cards = listModels();

  it('ships a defect detector and two good/defect classifiers, each with a complete card', async () => {
    assert.ok(cards.some((c) => c.role === 'defect-detector' && c.default));
    assert.ok(cards.filter((c) => c.role === 'good-defect-classifier' && c.default).length >= 2);
    for (const c of cards) {
      for (const k of ['task', 'classes', 'input', 'output', 'training', 'metrics']) assert.ok(c[k], `${c.name}: ${k}`);
      assert.ok(c.training.command.includes('models/recipes/'), `${c.name}: training command`);
      const size = fs.statSync(c.file).size;
      assert.ok(size < (c.task === 'classify' ? 10e6 : 30e6), `${c.name}: ${size} bytes`);
      const model = c.task === 'classify' ? await Classifier.create(c.file) : await Detector.create(c.file);
      assert.deepStrictEqual(model.classNames, c.classes, c.name);
      model.close();
    }
  });

  describe('on fresh synthetic parts', () => {
    let dir;
    let meta;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-models-'));
      await synthesize({ out: dir, count: 32, seed: 424242, crops: true });
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    });

    it('the default Inspector flags rotated dies, finds defects and separates good from defective', async () => {
      const inspector = await Inspector.create();
      const res = await inspector.inspect(meta.map((m) => path.join(dir, m.file)));
      inspector.close();
      const truth = meta.map((m) => m.defects.length > 0);
      res.forEach((r, i) => {
        assert.strictEqual(r.roi.status, 'ok', meta[i].file);
        if (meta[i].defects.some((d) => d.label === 'die_rotation')) assert.strictEqual(r.verdict, 'fail', meta[i].file);
      });
      const auc = rocAuc(res.map((r) => r.classification.defectProbability), truth.map((t) => (t ? 1 : 0)));
      assert.ok(auc >= 0.9, `ensemble AUC ${auc}`);
      // Detector boxes mapped to the image against the image-space ground truth.
      const images = res.map((r, i) => ({
        id: i,
        groundTruth: meta[i].defects.map((d) => ({ box: d.box, classId: d.label === 'die_crack' ? 0 : 1 })),
        detections: r.detections.map((d) => {
          const xs = d.quad.map((p) => p[0]);
          const ys = d.quad.map((p) => p[1]);
          return { box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], classId: d.classId, score: d.score };
        }),
      }));
      const m = evaluateDetections(images);
      assert.ok(m.perClass.find((c) => c.classId === 1).ap50 >= 0.5, JSON.stringify(m.perClass));
    });

    it('the shipped detector on the upright crops', async () => {
      const card = cards.find((c) => c.role === 'defect-detector' && c.default);
      const det = await Detector.create(card.file, { conf: 0.001 });
      const crops = meta.map((m) => path.join(dir, m.crop.file));
      const res = await det.detect(crops);
      det.close();
      const m = evaluateDetections(res.map((r, i) => ({
        id: i,
        groundTruth: meta[i].defects.map((d) => ({ box: d.cropBox, classId: d.label === 'die_crack' ? 0 : 1 })),
        detections: r.detections.map((d) => ({ box: d.box, classId: d.classId, score: d.score })),
      })));
      assert.ok(m.map50 >= 0.3, `mAP50 ${m.map50}`);
    });
  });
});
