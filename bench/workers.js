#!/usr/bin/env node
'use strict';
// Throughput of queue workers against one in-process Inspector on the same images: the
// per-part cost of the queue (Redis, BullMQ) and of recording in PostgreSQL. Needs the
// services (bash scripts/services.sh start). Configurations, each timed from the first
// enqueue to the last result, rounds alternating, medians:
//   in-process   Inspector.inspect(images), no store
//   1 worker     die-inspect worker, no --pg          (the queue's cost)
//   1, 2, 3 workers with --pg                        (queue and database)
// Default: tiny test models on 320x240 parts, where the overhead shows (a few ms a part);
// --real: the shipped models on the synth command's 1280x960 parts. Prints; asserts nothing.
//   node bench/workers.js [--count 1000] [--rounds 2] [--real] [--batch 16] [--json FILE]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { Inspector, enqueue } = require('..');
const { arg } = require('./helpers/args');
const { REDIS, freshSchema } = require('../test/helpers/services');
const { smallParts, modelFlags } = require('../test/helpers/parts');

const BIN = path.join(__dirname, '..', 'bin', 'die-inspect.js');
const count = Number(arg('count', '1000'));
const rounds = Number(arg('rounds', '2'));
const batch = Number(arg('batch', '16'));
const real = process.argv.includes('--real');
const jsonOut = arg('json', null);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function startWorker(args) {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/ on \S+ \(/.test(stderr)) resolve();
    });
    exited.then((code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
  });
  return { child, ready, exited };
}

async function viaWorkers(n, images, flags, withPg, tag) {
  const queue = `bench-${tag}-${process.pid}-${Date.now().toString(36)}`;
  const pg = withPg ? await freshSchema(`bench_${tag.replace(/\W/g, '_')}`) : null;
  const args = ['--redis', REDIS, '--queue', queue, '--batch', String(batch), ...(pg ? ['--pg', pg] : []), ...flags];
  const workers = Array.from({ length: n }, () => startWorker(args));
  await Promise.all(workers.map((w) => w.ready));
  const t0 = performance.now();
  const q = await enqueue({ redis: REDIS, queue, images });
  const enqueueS = (performance.now() - t0) / 1000;
  const outcomes = await q.results();
  const s = (performance.now() - t0) / 1000;
  await q.close();
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  const failed = outcomes.filter((o) => o.error).length;
  if (failed) throw new Error(`${failed} jobs failed`);
  const full = outcomes.filter((o) => o.result.batchSize === batch).length / outcomes.length;
  const { Queue } = require('bullmq');
  const bq = new Queue(queue, { connection: { host: '127.0.0.1', port: Number(new URL(REDIS).port) } });
  await bq.obliterate({ force: true });
  await bq.close();
  return { s, enqueueS, full };
}

async function inProcess(images, config) {
  const inspector = await Inspector.create({ ...config, batchSize: batch });
  const t0 = performance.now();
  await inspector.inspect(images);
  const s = (performance.now() - t0) / 1000;
  await inspector.close();
  return { s };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-bench-workers-'));
  let images, flags, config;
  if (real) {
    const data = path.join(__dirname, '..', 'data', `bench-records-${count}-7`);
    if (!fs.existsSync(path.join(data, 'images'))) {
      execFileSync(process.execPath, [BIN, 'synth', '--out', data, '--count', String(count), '--seed', '7'], { stdio: 'ignore' });
    }
    images = fs.readdirSync(path.join(data, 'images')).sort().map((f) => path.join(data, 'images', f));
    flags = [];
    config = {};
  } else {
    const p = await smallParts(tmp, count);
    images = p.images;
    flags = modelFlags(p).filter((x, i, a) => x !== '--threads' && a[i - 1] !== '--threads');
    config = { detector: p.detector, classifiers: [p.classifier] };
  }
  const configs = [
    ['in-process', () => inProcess(images, config)],
    ['1 worker, no pg', () => viaWorkers(1, images, flags, false, 'w1q')],
    ['1 worker', () => viaWorkers(1, images, flags, true, 'w1')],
    ['2 workers', () => viaWorkers(2, images, flags, true, 'w2')],
    ['3 workers', () => viaWorkers(3, images, flags, true, 'w3')],
  ];
  const times = new Map(configs.map(([name]) => [name, []]));
  const extra = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of configs) {
      const out = await fn();
      times.get(name).push(out.s);
      extra.set(name, out);
    }
  }
  const base = median(times.get('in-process'));
  console.log(`${images.length} parts (${real ? 'shipped models, 1280x960' : 'tiny models, 320x240'}), batch ${batch}, `
    + `${rounds} round(s), ${os.cpus().length} cores`);
  const rows = [];
  for (const [name] of configs) {
    const s = median(times.get(name));
    const row = {
      name, seconds: s, partsPerSecond: images.length / s, ratio: base / s, overheadMsPerPart: ((s - base) / images.length) * 1000,
      fullBatches: extra.get(name).full ?? null, enqueueSeconds: extra.get(name).enqueueS ?? null,
    };
    rows.push(row);
    console.log(`${name.padEnd(16)} ${s.toFixed(2).padStart(7)} s  ${row.partsPerSecond.toFixed(1).padStart(7)} parts/s  `
      + `x${row.ratio.toFixed(3)} of in-process  ${row.overheadMsPerPart >= 0 ? '+' : ''}${row.overheadMsPerPart.toFixed(2)} ms/part`
      + (row.fullBatches === null ? '' : `  ${(100 * row.fullBatches).toFixed(0)}% in full batches, enqueue ${row.enqueueSeconds.toFixed(2)} s`));
  }
  if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify({ parts: images.length, real, batch, cores: os.cpus().length, rows }, null, 2)}\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
