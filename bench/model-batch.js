#!/usr/bin/env node
'use strict';
// Images per second of a detector by model-call batch size (maxBatch), the same
// 32 decoded-from-JPEG images each time: how big a batch this machine wants.
//   node bench/model-batch.js [--model models/die-defect-yolov7tiny.onnx] [--ep cpu] [--batches 1,2,4,8,16]
const { performance } = require('perf_hooks');
const fs = require('fs');
const path = require('path');
const { Detector } = require('..');
const { arg } = require('./helpers/args');

(async () => {
  const model = arg('model', path.join(__dirname, '..', 'models', 'die-defect-yolov7tiny.onnx'));
  const batches = arg('batches', '1,2,4,8,16').split(',').map(Number);
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => fs.readFileSync(path.join(dir, f)));
  const images = Array.from({ length: 32 }, (_, i) => samples[i % samples.length]);
  const det = await Detector.create(model, { providers: [arg('ep', 'cpu')] });
  try {
    await det.detect(images.slice(0, 2), {});
    const rates = [];
    for (const maxBatch of batches) {
      const d = await Detector.create(model, { providers: [arg('ep', 'cpu')], maxBatch });
      await d.detect(images.slice(0, maxBatch)); // warm-up at this shape
      const t0 = performance.now();
      await d.detect(images);
      rates.push([maxBatch, images.length / ((performance.now() - t0) / 1000)]);
      d.close();
    }
    const best = Math.max(...rates.map(([, r]) => r));
    process.stdout.write(`${path.basename(model)} on ${det.provider}, ${images.length} images a run\n`);
    for (const [b, r] of rates) process.stdout.write(`maxBatch ${String(b).padStart(2)}  ${r.toFixed(1).padStart(6)} img/s  (${(r / best).toFixed(2)} of the best)\n`);
    process.stdout.write(`default maxBatch here: ${det.defaultMaxBatch}\n`);
  } finally {
    det.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
