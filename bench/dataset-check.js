#!/usr/bin/env node
'use strict';
// How long `dataset check` takes on a large folder: synthetic upright crops (made once
// into --dir, or an existing YOLO folder there), checked as one split; prints the images,
// the seconds and the rate, and the findings (none on clean synthetic data). With --model
// (a classifier, detector or ensemble manifest, as `dataset check -m` takes), the model
// pass too, on the CPU.
//   node bench/dataset-check.js [--count 10000] [--dir runs/bench-dataset] [--model default]
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const { synthesize } = require('..');
const { checkDataset, datasetSplits } = require('../dist/eval');
const { arg } = require('./helpers/args');

(async () => {
  const count = Number(arg('count', 10000));
  const dir = arg('dir', path.join('runs', 'bench-dataset'));
  const crops = path.join(dir, 'crops');
  if (!fs.existsSync(path.join(crops, 'images'))) {
    const t = performance.now();
    await synthesize({ out: dir, count, seed: 77, crops: true });
    process.stdout.write(`made ${count} parts in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  const { splits, classNames } = await datasetSplits([`all=${crops}`]);
  const t0 = performance.now();
  const model = arg('model', undefined);
  const r = await checkDataset(splits, { classNames, model });
  const s = (performance.now() - t0) / 1000;
  const n = splits[0].images.length;
  const sizes = splits[0].images.slice(0, 200).reduce((a, f) => a + fs.statSync(f).size, 0) / Math.min(200, n);
  process.stdout.write(`dataset check: ${n} images (about ${(sizes / 1024).toFixed(0)} KiB each) in ${s.toFixed(1)} s, `
    + `${(n / s).toFixed(0)} images/s; ${r.findings.length} findings${model ? ` (model ${model})` : ''}\n`);
})().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
