#!/usr/bin/env node
'use strict';
// The Inspector's four models on one process-wide ORT thread pool (the default) against
// a pool per session of the same size (what an explicit intraOpThreads gives), in one
// run, alternating rounds (ratios: these machines are noisy). On a host with many cores
// the per-session pools put several threads on each core while the models' calls overlap.
//   node bench/thread-pools.js [--images 64] [--rounds 3] [--threads N (default: CPUs)] [--ep cpu]
const os = require('os');
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const { Inspector } = require('..');
const { arg } = require('./helpers/args');

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

(async () => {
  const n = Number(arg('images', 64));
  const rounds = Number(arg('rounds', 3));
  const threads = Number(arg('threads', os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dir, f));
  const files = Array.from({ length: n }, (_, i) => samples[i % samples.length]);
  const providers = [arg('ep', 'cpu')];
  const configs = {
    'shared pool (default)': await Inspector.create({ providers }),
    [`pool per session (${threads} threads each)`]: await Inspector.create({ providers, session: { intraOpThreads: threads } }),
  };
  const rates = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  try {
    for (const insp of Object.values(configs)) await insp.inspect(samples.slice(0, 2)); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const [name, insp] of Object.entries(configs)) {
        const t0 = performance.now();
        const out = await insp.inspect(files);
        const s = (performance.now() - t0) / 1000;
        if (out.some((x) => x.verdict === 'error')) throw new Error(`${name}: an image failed`);
        rates[name].push(n / s);
      }
    }
    const names = Object.keys(rates);
    process.stdout.write(`${n} images x ${rounds} rounds, ${os.cpus().length} CPUs, ${configs[names[0]].detector.provider}\n`);
    for (const k of names) process.stdout.write(`${k.padEnd(40)} ${median(rates[k]).toFixed(1).padStart(7)} img/s (median; ${rates[k].map((x) => x.toFixed(1)).join(', ')})\n`);
    process.stdout.write(`shared / per-session: ${(median(rates[names[0]]) / median(rates[names[1]])).toFixed(2)}x\n`);
  } finally {
    for (const insp of Object.values(configs)) insp.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
