'use strict';
// The shipped models: cards complete and true to the files, and the default
// Inspector right on synthetic parts it never saw (ground truth from synth).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { listModels, Detector, Classifier, DieGenerator, Inspector, PackageGenerator, Roi, synthesize, DEFECT_CLASSES } = require('../dist');
const { evaluateDetections, rocAuc, convexIoU, readDetectionDataset, bounds, iou: boxIoU } = require('../dist/eval');
const { apply } = require('./helpers/geometry');

const DEEPPCB = path.join(__dirname, '..', '..', 'shared', 'datasets', 'deeppcb');
// The shipped DeepPCB detector scores mAP50 0.974 on the first 40 held-out pairs (0.959 on all
// 291, see its card); a broken decode, pair composition, letterbox or class order falls below
// this, as does the tested image alone (its single-image predecessor scored 0.88 here).
const MAP50_FLOOR = 0.92;

describe('shipped models', function () {
  this.timeout(180000);
  const cards = listModels();

  it('ships a defect detector, two good/defect classifiers, the package ROI models and the DeepPCB detector, each with a complete card', async () => {
    assert.ok(cards.some((c) => c.role === 'defect-detector' && c.default));
    assert.ok(cards.filter((c) => c.role === 'good-defect-classifier' && c.default).length >= 2);
    assert.ok(cards.some((c) => c.role === 'package-detector' && c.default));
    assert.ok(cards.some((c) => c.role === 'package-segmenter' && c.default));
    assert.ok(cards.some((c) => c.role === 'pcb-defect-detector'));
    for (const c of cards) {
      for (const k of ['task', 'classes', 'input', 'output', 'training', 'metrics']) assert.ok(c[k], `${c.name}: ${k}`);
      assert.ok(c.training.command.includes('models/recipes/'), `${c.name}: training command`);
      // Speed measured at the size the card says the model runs at.
      assert.deepStrictEqual(c.speed.input, JSON.parse(c.input.match(/to (\[\d+, \d+\])/)[1]), `${c.name}: speed input`);
      assert.ok(c.speed.batch1.imagesPerSec > 0 && c.speed.batch16.batchesPerSec > 0, `${c.name}: speed`);
      const size = fs.statSync(c.file).size;
      assert.ok(size < (c.task === 'classify' || c.task.startsWith('gan-') ? 10e6 : 30e6), `${c.name}: ${size} bytes`);
      if (c.task === 'gan-dies') {
        const gen = await DieGenerator.create(c.file, { classes: DEFECT_CLASSES });
        assert.deepStrictEqual(gen.names, c.classes, c.name);
        assert.deepStrictEqual(Object.keys(c.metrics).sort(), [...gen.names].sort(), `${c.name}: FID / KID per class`);
        gen.close();
        continue;
      }
      if (c.task === 'gan-packages') {
        const gen = await PackageGenerator.create(c.file);
        assert.deepStrictEqual([gen.height, gen.width], c.speed.input, c.name);
        assert.ok(Number.isFinite(c.metrics.fid) && Number.isFinite(c.metrics.seamRatio), `${c.name}: FID and seam ratio`);
        gen.close();
        continue;
      }
      if (c.task === 'segment') {
        (await Roi.create({ strategy: 'seg', model: c.file })).close();
        continue;
      }
      const model = c.task === 'classify' ? await Classifier.create(c.file) : await Detector.create(c.file);
      assert.deepStrictEqual(model.classNames, c.classes, c.name);
      model.close();
    }
  });

  it('the default good/defect ensemble has members of different architectures', async () => {
    const arches = [];
    for (const c of cards.filter((x) => x.role === 'good-defect-classifier' && x.default)) {
      const model = await Classifier.create(c.file);
      arches.push(model.info.metadata.arch);
      model.close();
    }
    assert.ok(arches.every(Boolean) && new Set(arches).size >= 2, `recipe arch metadata: ${arches}`);
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
      assert.ok(auc >= 0.97, `ensemble AUC ${auc}`);
      // Detections come back as image quads (crop boxes through the Inspector's own
      // homography); the truth is compared the same way: its crop box through synth's
      // homography. Both as axis-aligned image boxes, so a thin diagonal crack is boxed
      // alike on both sides (its tight image box, d.box, is far smaller than either).
      const images = res.map((r, i) => ({
        id: i,
        groundTruth: meta[i].defects.map((d) => {
          const [x1, y1, x2, y2] = d.cropBox;
          const quad = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]].map((p) => apply(meta[i].crop.toImage, p));
          return { box: bounds(quad), classId: d.label === 'die_crack' ? 0 : 1 };
        }),
        detections: r.detections.map((d) => ({ box: bounds(d.quad), classId: d.classId, score: d.score })),
      }));
      const m = evaluateDetections(images);
      // measured: die_crack AP50 0.94 (21 cracks), die_rotation 1.0 (7 dies)
      m.perClass.forEach((c) => assert.ok(c.ap50 >= 0.8, JSON.stringify(m.perClass)));
    });

    it('the seg strategy with the shipped package segmenter outlines every package', async () => {
      const roi = await Roi.create({ strategy: 'seg' });
      const res = await roi.capture(meta.map((m) => path.join(dir, m.file)));
      roi.close();
      const ious = res.map((r, i) => (r.status === 'ok' ? convexIoU(r.quad, meta[i].packageQuad) : 0));
      ious.forEach((v, i) => assert.ok(v > 0.9, `${meta[i].file}: IoU ${v}`));
      assert.ok(ious.reduce((a, b) => a + b, 0) / ious.length >= 0.97, `mean IoU ${ious}`);
    });

    it('the shipped package detector boxes the package (the sam strategy\'s prompt)', async () => {
      const card = cards.find((c) => c.role === 'package-detector' && c.default);
      const det = await Detector.create(card.file);
      const res = await det.detect(meta.map((m) => path.join(dir, m.file)));
      det.close();
      res.forEach((r, i) => {
        assert.ok(r.detections.length >= 1, meta[i].file);
        const best = r.detections.reduce((a, d) => (d.score > a.score ? d : a));
        const iou = boxIoU(best.box, bounds(meta[i].packageQuad));
        assert.ok(iou > 0.85, `${meta[i].file}: box IoU ${iou}`);
      });
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
      assert.ok(m.map50 >= 0.85, `mAP50 ${m.map50}`);
    });
  });

  it('the DeepPCB detector finds the annotated defects on its held-out board group (whole 640 images)', async () => {
    // group20085 was never trained on (the converter's split by board group); the answers
    // are the dataset's own annotation files.
    const card = cards.find((c) => c.role === 'pcb-defect-detector');
    const lines = fs.readFileSync(path.join(DEEPPCB, 'trainval.txt'), 'utf8').split('\n').filter((l) => l.startsWith('group20085/'));
    const list = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'di-pcb-')), 'list.txt');
    fs.writeFileSync(list, lines.slice(0, 40).join('\n') + '\n');
    const data = await readDetectionDataset(DEEPPCB, { format: 'deeppcb', list });
    const det = await Detector.create(card.file, { conf: 0.001 });
    // It compares each tested image with the board's defect-free template.
    assert.strictEqual(det.needsReference, true);
    const res = await det.detect(data.images.map((i) => ({ image: i.path, reference: i.reference })));
    det.close();
    const m = evaluateDetections(res.map((r, i) => ({
      id: i,
      groundTruth: data.images[i].groundTruth,
      detections: r.detections.map((d) => ({ box: d.box, classId: d.classId, score: d.score })),
    })), { deeppcb: true });
    assert.strictEqual(m.perClass.length, 6);
    assert.ok(m.map50 >= MAP50_FLOOR, `mAP50 ${m.map50}`);
    assert.ok(m.deeppcb.map >= m.map50, `IoU > 0.33 is the looser rule: ${m.deeppcb.map} vs ${m.map50}`);
  });
});
