'use strict';
// die-inspect/eval's runners (evaluateDetector, compareDetectors, evaluateClassifier)
// on a small synthesized dataset: the same figures as `die-inspect eval --json`, which
// is a caller of the same code; models given loaded stay open, failed images are named.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize, Detector, Classifier } = require('die-inspect');
const {
  evaluateDetector, compareDetectors, evaluateClassifier, readDetectionDataset, readClassificationDataset,
} = require('die-inspect/eval');
const { run } = require('./helpers/cli');

const DETECTOR = 'die-defect-yolov7tiny';
const CLASSIFIERS = ['die-good-defect-vggs', 'die-good-defect-resnet18s'];

describe('die-inspect/eval runners', function () {
  this.timeout(180000);
  let tmp, crops, csv;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-runner-'));
    await synthesize({ out: tmp, count: 4, seed: 11, crops: true });
    crops = path.join(tmp, 'crops');
    // good/defective from the labels: an empty label file is a good part
    const rows = fs.readdirSync(path.join(crops, 'labels')).sort().map((f) => {
      const defective = fs.readFileSync(path.join(crops, 'labels', f), 'utf8').trim() !== '';
      return `images/${path.basename(f, '.txt')}.jpg,${defective ? 'defective' : 'good'}`;
    });
    csv = path.join(crops, 'good_defect.csv');
    fs.writeFileSync(csv, ['path,label', ...rows].join('\n') + '\n');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('evaluateDetector gives the mAP that eval --json prints', async () => {
    const data = await readDetectionDataset(crops);
    assert.strictEqual(data.images.length, 4);
    const steps = [];
    const e = await evaluateDetector(DETECTOR, data, { onProgress: (done, total) => steps.push([done, total]) });
    const cli = await run(['eval', '-m', DETECTOR, '--data', crops, '--json']);
    assert.strictEqual(cli.code, 0, cli.stderr);
    const j = JSON.parse(cli.stdout);
    for (const k of ['map50', 'map50_95', 'map75', 'precision', 'recall', 'f1', 'tp', 'fp', 'fn', 'instances']) {
      assert.strictEqual(e.metrics[k], j[k], k);
    }
    assert.deepStrictEqual(e.metrics.perClass.map((c) => [c.name, c.ap50, c.ap50_95]), j.perClass.map((c) => [c.name, c.ap50, c.ap50_95]));
    assert.deepStrictEqual(e.classNames, ['die_crack', 'die_rotation']);
    assert.strictEqual(e.images.length, 4);
    assert.deepStrictEqual(e.failed, []);
    assert.strictEqual(e.provider, j.provider);
    assert.deepStrictEqual(steps, [[4, 4]]);
    assert.ok(e.metrics.map50 > 0.5, `mAP50 ${e.metrics.map50}`);
  });

  it('a Detector given loaded is used as it is and left open; compareDetectors of a model with itself is zero', async () => {
    const data = await readDetectionDataset(crops);
    const detector = await Detector.create(DETECTOR);
    try {
      const a = await evaluateDetector(detector, data, { bootstrap: { samples: 50 } });
      const b = await evaluateDetector(detector, data);
      assert.strictEqual(a.metrics.map50, b.metrics.map50);
      assert.strictEqual(a.metrics.intervals.samples, 50);
      const d = compareDetectors(a, b, { samples: 50, seed: 3 });
      assert.strictEqual(d.map50, 0);
      assert.deepStrictEqual(d.intervals.map50, [0, 0]);
      assert.deepStrictEqual([d.intervals.samples, d.intervals.seed], [50, 3]);
      assert.strictEqual((await detector.detect(data.images[0].path)).length, 1, 'still open');
    } finally {
      detector.close();
    }
  });

  it('images that cannot be read are listed with their error and count as missed', async () => {
    const data = await readDetectionDataset(crops);
    const e = await evaluateDetector(DETECTOR, data, { detector: { limitInputPixels: 10 } });
    assert.deepStrictEqual(e.failed.map((f) => [path.basename(f.path), f.error.code]),
      data.images.map((s) => [path.basename(s.path), 'ERR_IMAGE_TOO_LARGE']));
    assert.strictEqual(e.metrics.map50, 0);
    assert.strictEqual(e.metrics.fn, e.metrics.instances);
  });

  it('a classifier given detection data is refused, naming the model and the data', async () => {
    const data = await readDetectionDataset(crops);
    await assert.rejects(evaluateDetector(CLASSIFIERS[0], data), (err) => err.code === 'ERR_INVALID_ARG'
      && err.message.includes(`${CLASSIFIERS[0]} is a classifier`) && err.message.includes(`but ${crops} is a YOLO detection dataset`));
  });

  it('evaluateClassifier gives the AUC, accuracy and member AUCs that eval --json prints', async () => {
    const data = await readClassificationDataset(csv);
    const e = await evaluateClassifier(CLASSIFIERS, data, { positive: 'defective', bootstrap: { samples: 100 } });
    const cli = await run(['eval', ...CLASSIFIERS.flatMap((m) => ['-m', m]), '--data', csv, '--positive', 'defective', '--bootstrap', '100', '--json']);
    assert.strictEqual(cli.code, 0, cli.stderr);
    const j = JSON.parse(cli.stdout);
    for (const k of ['auc', 'accuracy', 'precision', 'recall', 'f1', 'threshold']) assert.strictEqual(e.metrics[k], j[k], k);
    assert.deepStrictEqual(e.members.map((m) => m.auc), j.members.map((m) => m.auc));
    assert.deepStrictEqual(e.intervals.auc, j.intervals.auc);
    assert.strictEqual(e.classNames[e.positiveClass], 'defective');
    assert.strictEqual(e.labels.length, 4);
    assert.strictEqual(e.memberProbabilities.length, 2);

    // one loaded Classifier: left open
    const clf = await Classifier.create(CLASSIFIERS[0]);
    try {
      const one = await evaluateClassifier(clf, data, { positive: 'defective' });
      assert.strictEqual(one.metrics.auc, j.members[0].auc);
      assert.strictEqual(one.members, undefined);
      assert.strictEqual((await clf.classify(data.samples[0].path)).length, 1, 'still open');
    } finally {
      clf.close();
    }
    await assert.rejects(evaluateClassifier(CLASSIFIERS[0], data, { positive: 'scratch' }),
      /positive must name a class \(good, defective\) or be an id below 2, got 'scratch'/);
  });
});
