#!/usr/bin/env node
'use strict';
// Images per second of a detector by model-call batch size (maxBatch) and input size,
// end to end (decode -> letterbox -> run -> NMS), the same 32 JPEG images each time:
// how big a batch this machine wants. The sizes and batches alternate round by round
// and the best round counts (these machines are noisy); the table also shows the
// library's default (`defaultMaxBatch`).
//   node bench/model-batch.js [--model models/die-defect-yolov7tiny.onnx] [--ep cpu] [--batches 1,2,4,8,16]
//                             [--imgsz 320,640] [--rounds 3] [--json]
const { performance } = require('perf_hooks');
const fs = require('fs');
const path = require('path');
const { Detector } = require('..');
const { arg } = require('./helpers/args');

(async () => {
  const model = arg('model', path.join(__dirname, '..', 'models', 'die-defect-yolov7tiny.onnx'));
  const batches = arg('batches', '1,2,4,8,16').split(',').map(Number);
  const sizes = arg('imgsz', '320,640').split(',').map(Number);
  const rounds = Number(arg('rounds', 3));
  const ep = arg('ep', 'cpu');
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => fs.readFileSync(path.join(dir, f)));
  const images = Array.from({ length: 32 }, (_, i) => samples[i % samples.length]);
  const runs = [];
  for (const imgsz of sizes) {
    for (const maxBatch of batches) {
      const d = await Detector.create(model, { providers: [ep], maxBatch, imgsz });
      await d.detect(images.slice(0, maxBatch)); // warm-up at this shape
      runs.push({ imgsz, maxBatch, d, best: 0 });
    }
  }
  try {
    for (let r = 0; r < rounds; r++) {
      for (const run of runs) {
        const t0 = performance.now();
        await run.d.detect(images);
        run.best = Math.max(run.best, images.length / ((performance.now() - t0) / 1000));
      }
    }
    const provider = runs[0].d.provider;
    const rows = runs.map(({ imgsz, maxBatch, best }) => ({ imgsz, maxBatch, imagesPerSecond: best }));
    if (process.argv.includes('--json')) {
      process.stdout.write(JSON.stringify({ model: path.basename(model), provider, rounds, rows }) + '\n');
      return;
    }
    process.stdout.write(`${path.basename(model)} on ${provider}, ${images.length} images a run, best of ${rounds} rounds\n`);
    for (const imgsz of sizes) {
      const mine = rows.filter((x) => x.imgsz === imgsz);
      const top = Math.max(...mine.map((x) => x.imagesPerSecond));
      for (const x of mine) {
        process.stdout.write(`imgsz ${String(imgsz).padStart(4)}  maxBatch ${String(x.maxBatch).padStart(2)}  ${x.imagesPerSecond.toFixed(1).padStart(6)} img/s` +
          `  (${(x.imagesPerSecond / top).toFixed(2)} of the best)${x.maxBatch === runs[0].d.defaultMaxBatch ? '  <- default' : ''}\n`);
      }
    }
  } finally {
    for (const run of runs) run.d.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
