#!/usr/bin/env node
'use strict';
// ONNX Runtime thread-pool policies, in one run, alternating rounds (ratios: these machines
// are noisy), median of the rounds:
//   shared pool (the default): one process-wide pool, one thread per CPU, no spin-waiting;
//   pool per session: what an explicit intraOpThreads gives, idle threads sleep;
//   pool per session, spinning: intraOpSpinning, idle threads spin-wait between calls.
// Measured for the Inspector (its four models at once) and for a lone Detector at each
// --imgsz on upright crop JPEGs (the case where nothing else wants the cores).
//   node bench/thread-pools.js [--images 64] [--rounds 3] [--threads N (default: CPUs)] [--imgsz 320,640] [--ep cpu]
const os = require('os');
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const { Inspector, Detector, synthesize } = require('..');
const { arg } = require('./helpers/args');

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function compare(title, configs, run, n, rounds) {
  const rates = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  for (const c of Object.values(configs)) await run(c, true); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, c] of Object.entries(configs)) {
      const t0 = performance.now();
      await run(c, false);
      rates[name].push(n / ((performance.now() - t0) / 1000));
    }
  }
  const names = Object.keys(rates);
  const base = median(rates[names[0]]);
  process.stdout.write(`${title}\n`);
  for (const k of names) {
    process.stdout.write(`  ${k.padEnd(36)} ${median(rates[k]).toFixed(1).padStart(7)} img/s  ${(median(rates[k]) / base).toFixed(2)}x` +
      `  (${rates[k].map((x) => x.toFixed(1)).join(', ')})\n`);
  }
}

(async () => {
  const n = Number(arg('images', 64));
  const rounds = Number(arg('rounds', 3));
  const threads = Number(arg('threads', os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  const sizes = arg('imgsz', '320,640').split(',').map(Number);
  const providers = [arg('ep', 'cpu')];
  const policies = {
    'shared pool (default)': {},
    [`pool per session (${threads} threads)`]: { intraOpThreads: threads },
    [`pool per session, spinning`]: { intraOpThreads: threads, intraOpSpinning: true },
  };
  process.stdout.write(`${n} images x ${rounds} rounds, ${os.cpus()[0].model} x ${os.cpus().length}\n`);

  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dir, f));
  const files = Array.from({ length: n }, (_, i) => samples[i % samples.length]);
  const inspectors = {};
  for (const [k, session] of Object.entries(policies)) inspectors[k] = await Inspector.create({ providers, session });
  try {
    await compare('Inspector (default models) on samples/images', inspectors, async (insp, warm) => {
      const out = await insp.inspect(warm ? samples.slice(0, 2) : files);
      if (out.some((x) => x.verdict === 'error')) throw new Error('an image failed');
    }, n, rounds);
  } finally {
    for (const insp of Object.values(inspectors)) insp.close();
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-pools-'));
  await synthesize({ out: tmp, count: n, seed: 31, modes: ['brightfield'], crops: true });
  const cropDir = path.join(tmp, 'crops', 'images');
  const crops = fs.readdirSync(cropDir).sort().map((f) => path.join(cropDir, f));
  for (const imgsz of sizes) {
    const dets = {};
    for (const [k, o] of Object.entries(policies)) dets[k] = await Detector.create('die-defect-yolov7tiny', { providers, imgsz, ...o });
    try {
      await compare(`Detector alone at ${imgsz} on ${crops.length} crop JPEGs`, dets, (d, warm) => d.detect(warm ? crops.slice(0, 4) : crops),
        crops.length, rounds);
    } finally {
      for (const d of Object.values(dets)) d.close();
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
