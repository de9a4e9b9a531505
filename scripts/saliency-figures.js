#!/usr/bin/env node
'use strict';
// How well each shipped model's saliency maps find known defects on synthetic parts, and
// pictures of them, for docs/evaluation.md#saliency-maps:
//   node scripts/saliency-figures.js --data data/synth-sal-test/crops [--limit N] [--slow-limit 100]
//       [--detector-limit N] [--pictures docs/images] [--json FILE]
// --data: a YOLO crops folder (`die-inspect synth --crops`); every part with a defect box is scored.
// Classifier maps are of the defect class; the detector's, of each detection matching a box (IoU >= 0.5).
// RISE and classifier occlusion (tens to hundreds of model calls per part) score the first --slow-limit
// parts, the detector the first --detector-limit (default: --slow-limit).
// Prints a Markdown table: pointing game (peak within 15 px of a box) and energy inside the boxes.
const fs = require('fs');
const path = require('path');
const { Classifier } = require('../dist/stages/classifier');
const { ClassifierEnsemble } = require('../dist/stages/ensemble');
const { Detector } = require('../dist/stages/detector');
const { listModels } = require('../dist/runtime/models');
const { scoreSaliency } = require('../dist/eval/run-saliency');
const { readDetectionDataset } = require('../dist/eval/datasets');
const { writeExplanation } = require('../dist/pipeline/explain-files');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const data = arg('data');
if (!data) {
  process.stderr.write('usage: node scripts/saliency-figures.js --data CROPS [--limit N] [--slow-limit N] [--pictures DIR] [--json FILE]\n');
  process.exit(2);
}
const limit = Number(arg('limit', Infinity));
const slow = Number(arg('slow-limit', 100));
const slowDetector = Number(arg('detector-limit', slow));

const installed = new Set(listModels().map((c) => c.name));
const CLASSIFIERS = ['die-good-defect-resnet18s', 'die-good-defect-densenets', 'die-good-defect-vggs', 'die-good-defect-effnets']
  .filter((n) => installed.has(n));

async function row(label, open, options, n) {
  const model = await open();
  try {
    const t = Date.now();
    const r = await scoreSaliency(model, data, { ...options, limit: n, onProgress: (d, all) => process.stderr.write(`\r${label}: ${d}/${all}`) });
    process.stderr.write(` (${((Date.now() - t) / 1000).toFixed(0)} s)\n`);
    return { label, ...r };
  } finally {
    model.close();
  }
}

async function main() {
  const rows = [];
  for (const name of CLASSIFIERS) rows.push(await row(`${name} cam`, () => Classifier.create(name), {}, limit));
  rows.push(await row('default ensemble cam', () => ClassifierEnsemble.create('default'), {}, limit));
  if (CLASSIFIERS.length > 2) {
    rows.push(await row(`${CLASSIFIERS.length} shipped classifiers, equal weights, cam`,
      () => ClassifierEnsemble.create(CLASSIFIERS.map((model) => ({ model }))), {}, limit));
  }
  rows.push(await row('die-good-defect-densenets cam, shifts 1', () => Classifier.create('die-good-defect-densenets'), { shifts: 1 }, limit));
  rows.push(await row('die-good-defect-densenets occlusion 8x8', () => Classifier.create('die-good-defect-densenets'),
    { method: 'occlusion' }, slow));
  rows.push(await row('die-good-defect-densenets rise 500', () => Classifier.create('die-good-defect-densenets'), { method: 'rise' }, slow));
  rows.push(await row('die-defect-yolov7tiny occlusion 8x8', () => Detector.create('die-defect-yolov7tiny'), {}, slowDetector));

  const f = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');
  const classes = [...new Set(rows.flatMap((r) => Object.keys(r.byClass)))].sort();
  process.stdout.write(`| maps | scored | pointing game | ${classes.map((c) => `${c}`).join(' | ')} | energy inside | ms / part |\n`);
  process.stdout.write(`|---|---|---|${classes.map(() => '---').join('|')}|---|---|\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.label} | ${r.count} | ${f(r.pointingGame)} | ${classes.map((c) => f(r.byClass[c]?.pointingGame)).join(' | ')}`
      + ` | ${f(r.energyInside)} | ${r.msPerImage.toFixed(0)} |\n`);
  }
  const json = arg('json');
  if (json) fs.writeFileSync(json, JSON.stringify(rows, null, 1) + '\n');

  const pictures = arg('pictures');
  if (pictures) {
    // The first crack and the first rotation of the split, each as the default ensemble and the detector explain it.
    const ds = await readDetectionDataset(data);
    const pick = (cls) => ds.images.find((s) => s.groundTruth.some((g) => g.classId === cls));
    const parts = [0, 1].map(pick).filter(Boolean);
    fs.mkdirSync(pictures, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'saliency-'));
    const ensemble = await ClassifierEnsemble.create('default');
    const detector = await Detector.create('die-defect-yolov7tiny');
    const models = [['ensemble', ensemble, {}], ['detector', detector, { maxMaps: 1 }]];
    for (const [tag, model, options] of models) {
      const explained = await model.explain(parts.map((p) => p.path), options);
      for (const [k, e] of explained.entries()) {
        const rec = await writeExplanation(tmp, k, parts[k].path, e);
        for (const m of rec.maps) {
          const to = path.join(pictures, `saliency-${tag}-${ds.classNames[parts[k].groundTruth[0].classId]}.jpg`);
          fs.copyFileSync(path.join(tmp, m.overlay), to);
          process.stderr.write(`${to}\n`);
        }
      }
    }
    ensemble.close();
    detector.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
