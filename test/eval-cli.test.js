'use strict';
// `die-inspect eval` end to end on generated datasets whose answers are known:
// a constant detector finds exactly the labelled boxes (mAP 1), then the same
// model on labels with one extra, never-found box (a known miss).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { constantClassifier, constantDetector, meanClassifier } = require('./helpers/onnx');
const { encodeImage } = require('../dist');

const { run } = require('./helpers/cli');

// The shared datasets sit beside the repository (../shared), in CI as here.
const DEEPPCB = path.join(__dirname, '..', '..', 'shared', 'datasets', 'deeppcb');
const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-4, `${msg ?? ''} expected ${b}, got ${a}`);


const solid = (bgr, size) => {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(bgr, 3 * i);
  return { data, width: size, height: size, channels: 3 };
};

describe('CLI eval', () => {
  let tmp, detModel;
  // 640x640 images, so model boxes are image boxes: class 0 at (320, 320) 100x50 scored 0.9 x 0.9,
  // class 1 at (100, 100) 40x40 scored 0.8 x 0.9.
  const labels = '0 0.5 0.5 0.15625 0.078125\n1 0.15625 0.15625 0.0625 0.0625\n';

  async function yoloDataset(name, extra) {
    const root = path.join(tmp, name);
    fs.mkdirSync(path.join(root, 'images', 'val'), { recursive: true });
    fs.mkdirSync(path.join(root, 'labels', 'val'), { recursive: true });
    const png = await encodeImage(solid([90, 90, 90], 640), { format: 'png' });
    for (const stem of ['a', 'b', 'c']) {
      fs.writeFileSync(path.join(root, 'images', 'val', `${stem}.png`), png);
      fs.writeFileSync(path.join(root, 'labels', 'val', `${stem}.txt`), labels + (stem === 'c' ? extra : ''));
    }
    fs.writeFileSync(path.join(root, 'data.yaml'), 'path: .\nval: images/val\nnames:\n  0: die_crack\n  1: die_rotation\n');
    return root;
  }

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-eval-'));
    detModel = path.join(tmp, 'det.onnx');
    fs.writeFileSync(detModel, constantDetector({
      rows: [[320, 320, 100, 50, 0.9, 0.9, 0.1], [100, 100, 40, 40, 0.8, 0.1, 0.9]],
      metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}" },
    }));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('perfect detections on a YOLO folder: mAP 1, P = R = F1 = 1', async () => {
    const root = await yoloDataset('perfect', '');
    const plots = path.join(tmp, 'plots');
    const r = await run(['eval', '-m', detModel, '--data', root, '--json', '--plots', plots]);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const k of ['map50', 'map50_95', 'precision', 'recall', 'f1', 'perClass', 'sizes', 'confusion']) assert.ok(k in j, k);
    for (const k of ['map50', 'map50_95', 'map75', 'precision', 'recall', 'f1']) close(j[k], 1, k);
    assert.strictEqual(j.images, 3);
    assert.strictEqual(j.instances, 6);
    assert.deepStrictEqual(j.perClass.map((c) => c.name), ['die_crack', 'die_rotation']);
    assert.deepStrictEqual(j.confusion.matrix, [[3, 0, 0], [0, 3, 0], [0, 0, 0]]);
    // 100x50 boxes are medium, 40x40 medium too: no small or large ground truth.
    close(j.sizes.medium, 1);
    assert.strictEqual(j.sizes.small, -1);
    const svg = fs.readFileSync(path.join(plots, 'pr_curve.svg'), 'utf8');
    assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /die_crack 1\.000/);
    assert.strictEqual((svg.match(/<polyline/g) || []).length, 3); // two classes and their mean
  });

  it('--limit-input-pixels fails every image over it (counted as missed, and named)', async () => {
    const root = await yoloDataset('limited', '');
    const r = await run(['eval', '-m', detModel, '--data', root, '--json', '--limit-input-pixels', '100']);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /ERR_IMAGE_TOO_LARGE/);
    assert.strictEqual(JSON.parse(r.stdout).map50, 0);
  });

  it('a box the model never finds: recall 6/7, class AP 76/101 (recall 0.75 reached at precision 1)', async () => {
    const root = await yoloDataset('miss', '1 0.65625 0.65625 0.0625 0.0625\n');
    // Through data.yaml this time, and with the readable table too.
    const r = await run(['eval', '-m', detModel, '--data', path.join(root, 'data.yaml'), '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    close(j.perClass[0].ap50, 1);
    close(j.perClass[1].ap50, 76 / 101);
    close(j.map50, (1 + 76 / 101) / 2);
    close(j.map50_95, (1 + 76 / 101) / 2);
    close(j.recall, 6 / 7);
    close(j.precision, 1);
    close(j.f1, (2 * 6 / 7) / (1 + 6 / 7));
    assert.deepStrictEqual(j.confusion.matrix[1], [0, 3, 1]);
    const table = await run(['eval', '-m', detModel, '--data', root]);
    assert.strictEqual(table.code, 0, table.stderr);
    assert.match(table.stdout, /^class\s+instances\s+P\s+R\s+F1\s+AP50\s+AP50-95/);
    assert.match(table.stdout, /die_rotation\s+4\s+1\.000\s+0\.750\s+0\.857\s+0\.752\s+0\.752/);
  });

  it('--bootstrap: intervals from resampling the three images', async () => {
    // Image c adds a die_rotation box never found; a resample holding c w times (w ~ Binomial(3, 1/3))
    // has recall 3 / (3 + w): AP 1, 76/101, 61/101 or 51/101. die_crack is always found.
    const root = await yoloDataset('boot', '1 0.65625 0.65625 0.0625 0.0625\n');
    const r = await run(['eval', '-m', detModel, '--data', root, '--bootstrap', '500', '--seed', '4', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepStrictEqual([j.intervals.samples, j.intervals.seed, j.intervals.level], [500, 4, 0.95]);
    assert.deepStrictEqual(j.intervals.perClass[0].ap50, [1, 1]);
    const [lo, hi] = j.intervals.perClass[1].ap50;
    close(hi, 1);
    assert.ok([51 / 101, 61 / 101].some((v) => Math.abs(lo - v) < 1e-9), `low end ${lo}`);
    assert.ok(j.intervals.map50[0] <= j.map50 && j.map50 <= j.intervals.map50[1]);
    const table = await run(['eval', '-m', detModel, '--data', root, '--bootstrap', '200']);
    assert.match(table.stdout, /95% bootstrap intervals \(200 resamples of the images, seed 0\)/);
    assert.match(table.stdout, /die_crack\s+1\.000-1\.000\s+1\.000-1\.000/);
    for (const bad of [['--bootstrap', '0'], ['--bootstrap', '10', '--seed', '-1']]) {
      const e = await run(['eval', '-m', detModel, '--data', root, ...bad]);
      assert.notStrictEqual(e.code, 0);
      assert.match(e.stderr, /must be a (positive|non-negative) integer/);
    }
  });

  it('two detectors: each one\'s figures and their paired difference', async () => {
    // The second finds die_crack only: AP 1 and 0 against the first's 1 and 1 on every resample.
    const root = await yoloDataset('pair-compare', '');
    const crackOnly = path.join(tmp, 'crack-only.onnx');
    fs.writeFileSync(crackOnly, constantDetector({
      rows: [[320, 320, 100, 50, 0.9, 0.9, 0.1]], metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}" },
    }));
    const r = await run(['eval', '-m', detModel, '-m', crackOnly, '--data', root, '--bootstrap', '300', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepStrictEqual(j.models.map((m) => m.model), [detModel, crackOnly]);
    close(j.models[0].map50, 1);
    close(j.models[1].map50, 0.5);
    const d = j.difference;
    close(d.map50, 0.5);
    assert.deepStrictEqual(d.perClass.map((c) => c.ap50), [0, 1]);
    assert.deepStrictEqual(d.intervals.map50, [0.5, 0.5]);
    assert.deepStrictEqual(d.intervals.perClass[1].ap50, [1, 1]);
    assert.deepStrictEqual(d.intervals.firstBetter, { map50: 1, map50_95: 1 });
    assert.strictEqual(d.intervals.samples, 300);
    const table = await run(['eval', '-m', crackOnly, '-m', detModel, '--data', root, '--seed', '2']);
    assert.strictEqual(table.code, 0, table.stderr);
    assert.match(table.stdout, /first - second, paired over the same images \(1000 resamples, seed 2; 95% intervals\)/);
    assert.match(table.stdout, /die_rotation\s+-1\.000\s+-1\.000 to -1\.000/);
    assert.match(table.stdout, /the first is ahead in 0\.0% of resamples on mAP50/);
    // A third class in one model only: not comparable.
    const threeClass = path.join(tmp, 'three.onnx');
    fs.writeFileSync(threeClass, constantDetector({
      rows: [[320, 320, 100, 50, 0.9, 0.9, 0.1, 0.1]], metadata: { names: "{0: 'die_crack', 1: 'die_rotation', 2: 'scratch'}" },
    }));
    const bad = await run(['eval', '-m', detModel, '-m', threeClass, '--data', root]);
    assert.notStrictEqual(bad.code, 0);
    assert.match(bad.stderr, /compared detectors must have the same classes/);
    const three = await run(['eval', '-m', detModel, '-m', detModel, '-m', detModel, '--data', root]);
    assert.match(three.stderr, /one detector, or two to compare/);
  });

  it('DeepPCB folder with a list file and the DeepPCB protocol', async () => {
    const list = path.join(tmp, 'two.txt');
    fs.writeFileSync(list, 'group00041/00041/00041000.jpg group00041/00041_not/00041000.txt\n'
      + 'group20085/20085/20085000.jpg group20085/20085_not/20085000.txt\n');
    const r = await run(['eval', '-m', detModel, '--data', DEEPPCB, '--list', list, '--protocol', 'deeppcb', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.format, 'deeppcb');
    assert.strictEqual(j.protocol, 'deeppcb');
    assert.strictEqual(j.matchIou, 0.33);
    assert.strictEqual(j.images, 2);
    assert.strictEqual(j.instances, 10 + 6);
    assert.deepStrictEqual(j.perClass.slice(0, 6).map((c) => c.name), ['open', 'short', 'mousebite', 'spur', 'copper', 'pin-hole']);
    // The constant boxes overlap none of these defects: nothing is a hit.
    assert.strictEqual(j.tp, 0);
    assert.strictEqual(j.fp, 2 * 2);
    assert.strictEqual(j.map50, 0);
    assert.strictEqual(j.deeppcb.map, 0);
  });

  it('a pair model reads DeepPCB templates as references, and refuses data without them', async () => {
    const pairModel = path.join(tmp, 'pair.onnx');
    fs.writeFileSync(pairModel, constantDetector({
      rows: [[320, 320, 100, 50, 0.9, 0.9, 0.1]], metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}", planes: 'image,reference,difference' },
    }));
    const list = path.join(tmp, 'one.txt');
    fs.writeFileSync(list, 'group20085/20085/20085000.jpg group20085/20085_not/20085000.txt\n');
    const ok = await run(['eval', '-m', pairModel, '--data', DEEPPCB, '--list', list, '--json']);
    assert.strictEqual(ok.code, 0, ok.stderr);
    assert.strictEqual(JSON.parse(ok.stdout).failedImages, 0);
    const none = await run(['eval', '-m', pairModel, '--data', await yoloDataset('unpaired', ''), '--json']);
    assert.notStrictEqual(none.code, 0);
    assert.match(none.stderr, /compares each image with its reference, and yolo data give none/);
  });

  it('classification from class folders: names matched to the model, accuracy and AUC', async () => {
    const root = path.join(tmp, 'cls');
    const put = async (cls, name, bgr) => {
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      fs.writeFileSync(path.join(root, cls, name), await encodeImage(solid(bgr, 32), { format: 'png' }));
    };
    await put('red', 'r.png', [0, 0, 255]);
    await put('green', 'g.png', [0, 255, 0]);
    await put('blue', 'b.png', [255, 0, 0]);
    await put('green', 'mislabelled-red.png', [0, 0, 255]);
    const model = path.join(tmp, 'cls.onnx');
    fs.writeFileSync(model, meanClassifier({ metadata: { names: "['red', 'green', 'blue']" } }));
    const plots = path.join(tmp, 'roc');
    const r = await run(['eval', '-m', model, '--data', root, '--imgsz', '32', '--json', '--plots', plots]);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const k of ['auc', 'accuracy', 'precision', 'recall', 'f1']) assert.ok(k in j, k);
    assert.strictEqual(j.task, 'classify');
    close(j.accuracy, 0.75);
    // one-vs-rest AUC: red 2.5/3 (tie with the mislabelled red), green 3/4, blue 1.
    close(j.auc, (2.5 / 3 + 0.75 + 1) / 3);
    assert.match(fs.readFileSync(path.join(plots, 'roc.svg'), 'utf8'), /AUC 0\.750/);

    // Two models: their average is evaluated, each member's AUC reported beside it. A
    // constant member cannot reorder the images, so the average ranks like the informative one.
    const flat = path.join(tmp, 'flat.onnx');
    fs.writeFileSync(flat, constantClassifier([0.2, 0.5, 0.3], { names: "['red', 'green', 'blue']" }));
    const e = await run(['eval', '-m', model, '-m', flat, '--data', root, '--imgsz', '32', '--json']);
    assert.strictEqual(e.code, 0, e.stderr);
    const ej = JSON.parse(e.stdout);
    assert.deepStrictEqual(ej.model, [model, flat]);
    close(ej.members[0].auc, (2.5 / 3 + 0.75 + 1) / 3);
    close(ej.members[1].auc, 0.5);
    close(ej.auc, ej.members[0].auc);
  });

  it('binary classification: --positive picks the class that precision and recall are about', async () => {
    const root = path.join(tmp, 'binary');
    const put = async (cls, name, v) => {
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      fs.writeFileSync(path.join(root, cls, name), await encodeImage(solid([v, v, v], 32), { format: 'png' }));
    };
    // One logit = mean brightness in [0, 1]: dark -> p(class 1) = 0.5, bright -> 0.731.
    await put('defect', 'dark.png', 0);
    await put('defect', 'bright.png', 255);
    await put('good', 'bright.png', 255);
    const model = path.join(tmp, 'single.onnx');
    fs.writeFileSync(model, meanClassifier({ single: true }));
    const r = await run(['eval', '-m', model, '--data', root, '--imgsz', '32', '--positive', 'defect', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.positive, 'defect');
    // p(defect) = 0.5, 0.269, 0.269 -> predicted defect, good, good at 0.5.
    close(j.accuracy, 2 / 3);
    close(j.precision, 1);
    close(j.recall, 0.5);
    close(j.auc, 0.75); // the bright defect ties the good image: one half
    // --bootstrap: a resample of the three images scores 1 (dark defects only against the good
    // image), 0.5 (bright defects only) or between; each extreme is drawn with chance 6/27.
    // The same model twice: the average equals each member on every resample.
    const b = await run(['eval', '-m', model, '-m', model, '--data', root, '--imgsz', '32', '--positive', 'defect', '--bootstrap', '300', '--json']);
    assert.strictEqual(b.code, 0, b.stderr);
    const iv = JSON.parse(b.stdout).intervals;
    assert.deepStrictEqual(iv.auc, [0.5, 1]);
    assert.strictEqual(iv.members.length, 2);
    assert.deepStrictEqual(iv.members[0].auc, [0.5, 1]);
    assert.deepStrictEqual(iv.members[1].ensembleMinus, [0, 0]);
    assert.deepStrictEqual([iv.members[1].ensembleBetter, iv.members[1].ensembleTied], [0, 1]);
    const bad = await run(['eval', '-m', model, '--data', root, '--imgsz', '32', '--positive', 'scratch']);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /--positive must name a class \(defect, good\)/);
  });

  it('a classifier given detection data, or a detector given classification data, is told what each needs', async () => {
    const yolo = await yoloDataset('mismatch', '');
    const classes = path.join(tmp, 'mismatch-classes');
    for (const cls of ['good', 'defective']) {
      fs.mkdirSync(path.join(classes, cls), { recursive: true });
      fs.writeFileSync(path.join(classes, cls, 'x.png'), await encodeImage(solid([90, 90, 90], 32), { format: 'png' }));
    }
    const csv = path.join(tmp, 'mismatch.csv');
    fs.writeFileSync(csv, `path,label\n${path.join(classes, 'good', 'x.png')},good\n`);
    const clsModel = path.join(tmp, 'mismatch-cls.onnx');
    fs.writeFileSync(clsModel, meanClassifier({ metadata: { names: "['good', 'defective', 'other']" } }));
    for (const [args, says] of [
      [['-m', clsModel, '--data', yolo], [`${clsModel} is a classifier (output [batch, 3])`, 'a CSV of path,label',
        `but ${yolo} is a YOLO detection dataset (images/ + labels/)`]],
      [['-m', detModel, '--data', classes], [`${detModel} is a detector (output [batch, 2, 7])`, 'a YOLO folder with images/ and labels/',
        `but ${classes} is a classification set (one folder per class)`]],
      [['-m', clsModel, '-m', detModel, '--data', csv], [`${detModel} is a detector`, `but ${csv} is a classification CSV (path,label)`]],
    ]) {
      const r = await run(['eval', ...args]);
      assert.strictEqual(r.code, 2, r.stderr);
      for (const text of says) assert.ok(r.stderr.includes(text), `${text}\nin: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /ERR_OUTPUT_LAYOUT|could be classified/);
    }
  });

  it('prints help', async () => {
    const r = await run(['eval', '--help']);
    assert.strictEqual(r.code, 0);
    assert.match(r.stdout, /Usage: die-inspect eval/);
    assert.match(r.stdout, /--protocol <p>/);
  });

  it('bad arguments exit with code 2 and say why', async () => {
    const root = await yoloDataset('args', '');
    for (const [args, re] of [
      [['--protocol', 'voc'], /--protocol must be one of coco, deeppcb/],
      [['--format', 'pascal'], /--format must be one of/],
      [['--conf', '1.5'], /--conf must be within \[0, 1\]/],
      [['--batch', '0'], /--batch must be a positive integer/],
      [['--task', 'segment'], /--task must be one of detect, classify/],
      [['--task', 'classify'], /is a detection format/],
    ]) {
      const r = await run(['eval', '-m', detModel, '--data', root, ...args]);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const missing = await run(['eval', '-m', detModel, '--data', path.join(tmp, 'nope')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /ERR_FILE_NOT_FOUND/);
  });
});
