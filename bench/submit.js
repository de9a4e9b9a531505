#!/usr/bin/env node
'use strict';
// A service's view: N requests of one image each arrive at once. Compares
// inspect([image]) per request (N concurrent batches of 1) with submit(image)
// (requests coalesced into batches), on the shipped models and samples/.
//   node bench/submit.js [--requests 64] [--ep cpu]
const { performance } = require('perf_hooks');
const fs = require('fs');
const path = require('path');
const { Inspector } = require('..');
const { arg, pct } = require('./helpers/args');

async function timeRequests(files, one) {
  const t0 = performance.now();
  const latencies = await Promise.all(files.map(async (f) => {
    const s = performance.now();
    const r = await one(f);
    if (r.verdict === 'error') throw new Error(`${f}: ${r.error.message}`);
    return performance.now() - s;
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { imagesPerSec: files.length / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

(async () => {
  const n = Number(arg('requests', 64));
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg') && !f.includes('darkfield')).map((f) => path.join(dir, f));
  const files = Array.from({ length: n }, (_, i) => samples[i % samples.length]);
  const inspector = await Inspector.create({ providers: [arg('ep', 'cpu')] });
  try {
    await inspector.inspect(samples.slice(0, 2)); // warm-up
    const single = await timeRequests(files, async (f) => (await inspector.inspect([f]))[0]);
    const batched = await timeRequests(files, (f) => inspector.submit(f));
    const row = (name, r) => `${name.padEnd(22)} ${r.imagesPerSec.toFixed(1).padStart(7)} img/s   latency p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`;
    process.stdout.write(`${n} concurrent one-image requests, provider ${inspector.detector.provider}\n`);
    process.stdout.write(`${row('inspect([image]) each', single)}\n${row('submit(image)', batched)}\n`);
    process.stdout.write(`submit / inspect throughput: ${(batched.imagesPerSec / single.imagesPerSec).toFixed(2)}x\n`);
  } finally {
    inspector.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
