#!/usr/bin/env node
'use strict';
// While a batch of images is being detected, how late does a 1 ms timer on the
// main thread fire? Prints the lag percentiles; a native pipeline that stays
// off the JS thread keeps p99 near the timer's own jitter.
//   node bench/event-loop-lag.js [--model M.onnx] [--images 64] [--size 1280x960]
//   node bench/event-loop-lag.js --inspect [--images 64] [--ep cpu]   (the whole Inspector on samples/, shipped models;
//   --ep: one provider, strict)
const { performance } = require('perf_hooks');
const fs = require('fs');
const path = require('path');
const { Detector, Inspector } = require('..');
const { constantDetector } = require('../test/helpers/onnx');
const { arg, pct } = require('./helpers/args');

function measureLag() {
  const lags = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(now - last - 1);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    return lags.map((v) => Math.max(0, v)).sort((a, b) => a - b);
  };
}

async function inspectLag() {
  const count = Number(arg('images', 64));
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).map((f) => path.join(dir, f));
  const files = Array.from({ length: count }, (_, i) => samples[i % samples.length]);
  const inspector = await Inspector.create({ providers: [arg('ep', 'cpu')] });
  await inspector.inspect(files.slice(0, 4)); // warm-up
  const stop = measureLag();
  const t0 = performance.now();
  const res = await inspector.inspect(files);
  const elapsed = performance.now() - t0;
  const sorted = stop();
  inspector.close();
  console.log(`inspected ${count} images (samples/, shipped models) in ${elapsed.toFixed(0)} ms (${(count / (elapsed / 1000)).toFixed(1)} img/s), ${res.filter((r) => r.verdict === 'error').length} errors`);
  console.log(`event-loop lag ms: p50 ${pct(sorted, 50).toFixed(2)}  p95 ${pct(sorted, 95).toFixed(2)}  p99 ${pct(sorted, 99).toFixed(2)}  max ${sorted[sorted.length - 1].toFixed(2)}  (target p99 <= 5)`);
}

async function main() {
  if (process.argv.includes('--inspect')) return inspectLag();
  const count = Number(arg('images', 64));
  const [w, h] = arg('size', '1280x960').split('x').map(Number);
  const modelPath = arg('model');
  // Without a model, a generated one whose cost is all preprocessing and decoding.
  const model = modelPath ?? constantDetector({ rows: Array.from({ length: 25200 }, (_, i) => [i % 640, (i * 7) % 640, 20, 20, 0.3, 0.9, 0.1]) });
  const det = await Detector.create(model, { conf: 0.25 });
  const images = Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(w * h * 3);
    for (let k = 0; k < data.length; k += 97) data[k] = (k * 31 + i) & 255;
    return { data, width: w, height: h, channels: 3 };
  });
  await det.detect(images.slice(0, 2)); // warm-up

  const stop = measureLag();
  const t0 = performance.now();
  const res = await det.detect(images);
  const elapsed = performance.now() - t0;
  const sorted = stop();
  det.close();

  const failed = res.filter((r) => r.error).length;
  console.log(`detected ${count} images ${w}x${h} in ${elapsed.toFixed(0)} ms (${(count / (elapsed / 1000)).toFixed(1)} img/s), ${failed} failed`);
  console.log(`model: ${modelPath ?? 'generated constant detector (25,200 candidates)'}; timer ticks: ${sorted.length}`);
  console.log(`event-loop lag ms: p50 ${pct(sorted, 50).toFixed(2)}  p95 ${pct(sorted, 95).toFixed(2)}  p99 ${pct(sorted, 99).toFixed(2)}  max ${sorted[sorted.length - 1].toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
