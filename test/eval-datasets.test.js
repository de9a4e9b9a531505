'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  readDetectionDataset, readClassificationDataset, readDeepPcbList, parseYoloLabels, yoloLabelPath, detectFormat, DEEPPCB_CLASSES,
} = require('../dist/eval/datasets');
const { parseYaml, yamlNames } = require('../dist/eval/yaml-lite');
const { imageSize } = require('../dist/eval/image-size');
const { encodeImage } = require('../dist');
const { evaluateDetections } = require('../dist/eval');

// The shared datasets sit beside the repository (../shared), in CI as here.
const DEEPPCB = path.join(__dirname, '..', '..', 'shared', 'datasets', 'deeppcb');
const solid = (w, h) => ({ data: new Uint8Array(w * h * 3).fill(40), width: w, height: h, channels: 3 });

describe('eval: dataset readers', () => {
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-ds-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('DeepPCB: list lines map to NAME_test.jpg / NAME_temp.jpg and the annotation file', async () => {
    const all = await readDeepPcbList(DEEPPCB, path.join(DEEPPCB, 'trainval.txt'));
    assert.strictEqual(all.length, 1000);
    assert.strictEqual(all[0].test, path.join(DEEPPCB, 'group20085/20085/20085000_test.jpg'));
    assert.strictEqual(all[0].template, path.join(DEEPPCB, 'group20085/20085/20085000_temp.jpg'));
    assert.strictEqual(all[0].annotation, path.join(DEEPPCB, 'group20085/20085_not/20085000.txt'));
    // With no --list, the folder's trainval.txt is used (it has no test.txt).
    assert.strictEqual((await readDeepPcbList(DEEPPCB)).length, 1000);
  });

  it('DeepPCB: boxes of a known file (group00041/00041_not/00041000.txt: 10 defects)', async () => {
    const list = path.join(tmp, 'one.txt');
    fs.writeFileSync(list, 'group00041/00041/00041000.jpg group00041/00041_not/00041000.txt\n');
    const d = await readDetectionDataset(DEEPPCB, { format: 'deeppcb', list });
    assert.deepStrictEqual(d.classNames, DEEPPCB_CLASSES);
    assert.strictEqual(d.images.length, 1);
    const img = d.images[0];
    assert.deepStrictEqual([img.width, img.height], [640, 640]);
    assert.strictEqual(img.groundTruth.length, 10);
    // First line "466 441 493 470 3": a mousebite (type 3 -> class 2).
    assert.deepStrictEqual(img.groundTruth[0], { box: [466, 441, 493, 470], classId: 2 });
    // Last line "89 469 127 497 5": copper.
    assert.deepStrictEqual(img.groundTruth[9], { box: [89, 469, 127, 497], classId: 4 });
    assert.strictEqual(await detectFormat(DEEPPCB), 'deeppcb');
  });

  it('DeepPCB as classification: template good, tested defect', async () => {
    const list = path.join(tmp, 'one.txt');
    const c = await readClassificationDataset(DEEPPCB, { format: 'deeppcb', list });
    assert.deepStrictEqual(c.classNames, ['good', 'defect']);
    assert.deepStrictEqual(c.samples.map((s) => [path.basename(s.path), s.label]), [['00041000_temp.jpg', 0], ['00041000_test.jpg', 1]]);
  });

  it('YOLO labels: normalised centre boxes and polygons in pixels; label paths mirror images/', () => {
    const gt = parseYoloLabels('0 0.5 0.5 0.25 0.5\n\n3 0.1 0.2 0.3 0.2 0.2 0.6\n', 200, 100);
    assert.deepStrictEqual(gt, [{ box: [75, 25, 125, 75], classId: 0 }, { box: [20, 20, 60, 60], classId: 3 }]);
    assert.throws(() => parseYoloLabels('x 0.5 0.5 0.1 0.1', 10, 10, 'f.txt'), (e) => e.code === 'ERR_CONFIG' && /f\.txt:1/.test(e.message));
    assert.throws(() => parseYoloLabels('0 0.5 0.5 -0.1 0.1', 10, 10), (e) => e.code === 'ERR_CONFIG' && /negative width/.test(e.message));
    assert.throws(() => parseYoloLabels('0 0.1 0.2 0.3 0.2 0.2', 10, 10), (e) => e.code === 'ERR_CONFIG' && /x y pairs/.test(e.message));
    assert.strictEqual(yoloLabelPath('/d/images/val/a.b.jpg'), '/d/labels/val/a.b.txt');
    assert.strictEqual(yoloLabelPath('/d/x/a.png'), '/d/x/a.txt');
  });

  it('data.yaml subset: names as a list, an inline list or a map; val as a list', () => {
    assert.deepStrictEqual(yamlNames(parseYaml('names:\n  - crack\n  - "chip: edge"\n').names), ['crack', 'chip: edge']);
    assert.deepStrictEqual(yamlNames(parseYaml("names: ['a', b]  # two\n").names), ['a', 'b']);
    assert.deepStrictEqual(yamlNames(parseYaml('names:\n  1: b\n  0: a\n').names), ['a', 'b']);
    assert.deepStrictEqual(yamlNames(parseYaml('names: {0: a, 2: c}').names), ['a', '1', 'c']);
    const y = parseYaml('path: ../data # root\ntrain: images/train\nval:\n  - images/val\n  - extra.txt\nnc: 2\n');
    assert.deepStrictEqual(y, { path: '../data', train: 'images/train', val: ['images/val', 'extra.txt'], nc: 2 });
  });

  it('YOLO via data.yaml with path/val; a missing label file means no objects; header sizes', async () => {
    const root = path.join(tmp, 'yolo');
    fs.mkdirSync(path.join(root, 'set', 'images', 'val'), { recursive: true });
    fs.mkdirSync(path.join(root, 'set', 'labels', 'val'), { recursive: true });
    fs.writeFileSync(path.join(root, 'set', 'images', 'val', 'a.jpg'), await encodeImage(solid(320, 240), { format: 'jpg' }));
    fs.writeFileSync(path.join(root, 'set', 'images', 'val', 'b.bmp'), await encodeImage(solid(64, 48), { format: 'bmp' }));
    fs.writeFileSync(path.join(root, 'set', 'labels', 'val', 'a.txt'), '1 0.5 0.5 0.5 0.5\n');
    fs.writeFileSync(path.join(root, 'data.yaml'), 'path: set\nval: images/val\nnames: [crack, chip]\n');
    const d = await readDetectionDataset(path.join(root, 'data.yaml'));
    assert.deepStrictEqual(d.classNames, ['crack', 'chip']);
    assert.deepStrictEqual(d.images.map((i) => [path.basename(i.path), i.width, i.height, i.groundTruth.length]), [['a.jpg', 320, 240, 1], ['b.bmp', 64, 48, 0]]);
    assert.deepStrictEqual(d.images[0].groundTruth[0].box, [80, 60, 240, 180]);
    assert.deepStrictEqual(await imageSize(path.join(root, 'set', 'images', 'val', 'b.bmp')), [64, 48]);
  });

  it('COCO JSON: xywh boxes, categories ordered by id, crowd and area carried through', async () => {
    const file = path.join(tmp, 'coco.json');
    fs.writeFileSync(file, JSON.stringify({
      images: [{ id: 7, file_name: 'x.jpg', width: 100, height: 80 }, { id: 3, file_name: 'y.jpg', width: 100, height: 80 }],
      annotations: [
        { image_id: 7, category_id: 5, bbox: [10, 20, 30, 40], area: 1000, iscrowd: 0 },
        { image_id: 7, category_id: 2, bbox: [0, 0, 50, 50], area: 2500, iscrowd: 1 },
      ],
      categories: [{ id: 5, name: 'pin-hole' }, { id: 2, name: 'open' }],
    }));
    const d = await readDetectionDataset(file);
    assert.strictEqual(d.format, 'coco');
    assert.deepStrictEqual(d.classNames, ['open', 'pin-hole']);
    assert.deepStrictEqual(d.images[0].groundTruth[0], { box: [10, 20, 40, 60], classId: 1, area: 1000, crowd: false });
    assert.strictEqual(d.images[0].groundTruth[1].crowd, true);
    assert.deepStrictEqual(d.images[1].groundTruth, []);
    // A crowd region is neither a miss nor does a detection inside it count as a false alarm.
    const m = evaluateDetections(d.images.map((i) => ({ id: Number(i.id), groundTruth: i.groundTruth,
      detections: i.groundTruth.map((g) => ({ box: g.box, classId: g.classId, score: 0.9 })) })), { classNames: d.classNames });
    assert.strictEqual(m.perClass[0].ap50, -1);
    assert.ok(Math.abs(m.perClass[1].ap50 - 1) < 1e-9, String(m.perClass[1].ap50));
    assert.deepStrictEqual([m.tp, m.fp, m.fn], [1, 0, 0]);
  });

  it('classification: class folders and a CSV with names or ids', async () => {
    const root = path.join(tmp, 'cls');
    for (const [cls, f] of [['good', 'g1.png'], ['defect', 'd1.png'], ['defect', 'd2.png']]) {
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      fs.writeFileSync(path.join(root, cls, f), 'x');
    }
    const c = await readClassificationDataset(root);
    assert.deepStrictEqual(c.classNames, ['defect', 'good']);
    assert.deepStrictEqual(c.samples.map((s) => [path.basename(s.path), s.label]), [['d1.png', 0], ['d2.png', 0], ['g1.png', 1]]);
    const csv = path.join(tmp, 'labels.csv');
    fs.writeFileSync(csv, 'path,label\ncls/good/g1.png,good\ncls/defect/d1.png,defect\n');
    const byName = await readClassificationDataset(csv);
    assert.deepStrictEqual(byName.classNames, ['defect', 'good']);
    assert.deepStrictEqual(byName.samples.map((s) => s.label), [1, 0]);
    assert.strictEqual(byName.samples[0].path, path.join(tmp, 'cls/good/g1.png'));
    fs.writeFileSync(csv, 'a.png,1\nb.png,0\n');
    const byId = await readClassificationDataset(csv);
    assert.strictEqual(byId.classNames, undefined);
    assert.deepStrictEqual(byId.samples.map((s) => s.label), [1, 0]);
  });
});
