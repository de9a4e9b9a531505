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

// --rows REGEX: only the rows whose label matches (to rerun some).
const only = arg('rows') ? new RegExp(arg('rows')) : null;

async function row(label, open, options, n) {
  if (only && !only.test(label)) return null;
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
  rows.push(await row('default ensemble rise 500', () => ClassifierEnsemble.create('default'), { method: 'rise' }, slow));
  rows.push(await row('die-defect-yolov7tiny occlusion 8x8', () => Detector.create('die-defect-yolov7tiny'), {}, slowDetector));

  const scored = rows.filter(Boolean);
  const f = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');
  const classes = [...new Set(scored.flatMap((r) => Object.keys(r.byClass)))].sort();
  process.stdout.write(`| maps | scored | pointing game | ${classes.map((c) => `${c}`).join(' | ')} | energy inside | ms / part |\n`);
  process.stdout.write(`|---|---|---|${classes.map(() => '---').join('|')}|---|---|\n`);
  for (const r of scored) {
    process.stdout.write(`| ${r.label} | ${r.count} | ${f(r.pointingGame)} | ${classes.map((c) => f(r.byClass[c]?.pointingGame)).join(' | ')}`
      + ` | ${f(r.energyInside)} | ${r.msPerImage.toFixed(0)} |\n`);
  }
  const json = arg('json');
  if (json) fs.writeFileSync(json, JSON.stringify(scored, null, 1) + '\n');

  const pictures = arg('pictures');
  if (pictures) {
    // For each class, the first part of the split with a map of it: the default ensemble's
    // (its defect map) and the detector's (its best detection of that class).
    const ds = await readDetectionDataset(data);
    const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'saliency-'));
    const ensemble = await ClassifierEnsemble.create('default');
    const detector = await Detector.create('die-defect-yolov7tiny');
    const models = [['ensemble', ensemble, { target: 'defective' }], ['detector', detector, {}]];
    for (const [tag, model, options] of models) {
      for (const [cls, name] of ds.classNames.entries()) {
        const parts = ds.images.filter((s) => s.groundTruth.length > 0 && s.groundTruth.every((g) => g.classId === cls)).slice(0, 20);
        for (const [k, part] of parts.entries()) {
          const [e] = await model.explain([part.path], options);
          const m = e.maps.findIndex((x) => !x.box || x.classId === cls);
          if (e.error || m < 0) continue;
          const rec = await writeExplanation(tmp, k, part.path, { ...e, maps: [e.maps[m]] });
          const to = path.join(pictures, `saliency-${tag}-${name}.jpg`);
          fs.copyFileSync(path.join(tmp, rec.maps[0].overlay), to);
          process.stderr.write(`${to} (${part.path})\n`);
          break;
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
