'use strict';
// A shipped model's name works wherever a model is taken, in the API and on every
// command, and means the same file as the path: the same detections, the same figures.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Detector, Classifier, Roi, listModels, resolveModel, synthesize } = require('../dist');
const { run } = require('./helpers/cli');

const SAMPLE = path.join(__dirname, '..', 'samples', 'images', '000000.jpg');
const card = (name) => listModels().find((c) => c.name === name);

describe('models by name', function () {
  this.timeout(180000);
  let tmp;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-names-'));
    await synthesize({ out: tmp, count: 4, seed: 77, crops: true });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('lists every model with the package that carries it; the main package has the default Inspector\'s and vggs', () => {
    const byPackage = {};
    for (const c of listModels()) (byPackage[c.package] ||= []).push(c.name);
    assert.deepStrictEqual(byPackage, {
      'die-inspect': ['die-defect-yolov7tiny', 'die-good-defect-densenets', 'die-good-defect-resnet18s', 'die-good-defect-vggs'],
      'die-inspect-models-extra': ['deeppcb-yolov7tiny', 'die-defect-gan-stylegan2', 'die-defect-yolov7tiny-nwd-coordconv', 'die-good-defect-effnets'],
      'die-inspect-models-roi': ['package-det-yolov5n', 'package-seg-yolov5n'],
    });
    for (const c of listModels()) assert.strictEqual(resolveModel(c.name), c.file);
  });

  it('models/packages.json names each model package\'s models and roles as their cards do', () => {
    const catalog = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'models', 'packages.json'), 'utf8'));
    const fromCards = {};
    for (const c of listModels().filter((x) => x.package !== 'die-inspect')) (fromCards[c.package] ||= {})[c.name] = c.role;
    assert.deepStrictEqual(catalog, fromCards);
  });

  it('Detector, Classifier and Roi take names and give what the files give', async () => {
    const byName = await Detector.create('die-defect-yolov7tiny');
    const byPath = await Detector.create(card('die-defect-yolov7tiny').file);
    assert.deepStrictEqual(await byName.detectOne(SAMPLE), await byPath.detectOne(SAMPLE));
    byName.close();
    byPath.close();
    const cls = await Classifier.create('die-good-defect-vggs');
    assert.deepStrictEqual(cls.classNames, ['good', 'defective']);
    cls.close();
    const roi = await Roi.create({ strategy: 'seg', model: 'package-seg-yolov5n' });
    const [r] = await roi.capture([SAMPLE]);
    assert.strictEqual(r.status, 'ok');
    roi.close();
  });

  it('refuses an unknown name in words, and leaves a missing path to the loader', async () => {
    await assert.rejects(Detector.create('no-such-model'), (e) => e.code === 'ERR_CONFIG' && /neither a file nor an installed model/.test(e.message));
    await assert.rejects(Detector.create('no/such/model.onnx'), (e) => e.code === 'ERR_FILE_NOT_FOUND');
  });

  it('detect -m, eval -m, bench -m and info take names', async () => {
    const det = await run(['detect', '-m', 'die-defect-yolov7tiny', SAMPLE, '--json']);
    assert.strictEqual(det.code, 0, det.stderr);
    const detPath = await run(['detect', '-m', card('die-defect-yolov7tiny').file, SAMPLE, '--json']);
    assert.deepStrictEqual(JSON.parse(det.stdout), JSON.parse(detPath.stdout));

    const ev = await run(['eval', '-m', 'die-defect-yolov7tiny', '--data', path.join(tmp, 'crops'), '--json']);
    assert.strictEqual(ev.code, 0, ev.stderr);
    const evPath = await run(['eval', '-m', card('die-defect-yolov7tiny').file, '--data', path.join(tmp, 'crops'), '--json']);
    assert.strictEqual(JSON.parse(ev.stdout).map50, JSON.parse(evPath.stdout).map50);

    const bench = await run(['bench', '-m', 'die-good-defect-vggs', '--batch', '1', '--warmup', '1', '--iters', '1', '--json']);
    assert.strictEqual(bench.code, 0, bench.stderr);
    const report = [].concat(JSON.parse(bench.stdout))[0];
    assert.strictEqual(report.model, card('die-good-defect-vggs').file);
    assert.ok(report.runs[0].imagesPerSec > 0);

    const info = await run(['info', 'deeppcb-yolov7tiny', '--json']);
    assert.strictEqual(info.code, 0, info.stderr);
    assert.strictEqual(JSON.parse(info.stdout).metadata.planes, 'image,reference,difference');
  });
});
