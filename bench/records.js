#!/usr/bin/env node
'use strict';
// What recording costs: `inspect` on synthetic parts with and without `--db`, as the
// wall-time ratio of the two (runs alternate, the median of each side is taken, as
// these machines are shared and noisy), and the store's own cost per part, timed alone
// (record() of the parts' results into a fresh store, one transaction a batch of 16).
// Target: with / without < 1.05. Prints; asserts nothing.
//   node bench/records.js [--count 1000] [--rounds 2] [--seed 7] [--batch 16]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { openRecorder } = require('..');
const { arg } = require('./helpers/args');

const BIN = path.join(__dirname, '..', 'bin', 'die-inspect.js');
const count = Number(arg('count', '1000'));
const rounds = Number(arg('rounds', '2'));
const seed = Number(arg('seed', '7'));
const batch = String(arg('batch', '16'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function inspect(images, out, db) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [BIN, 'inspect', images, '--out', out, '--no-annotate', '--batch', batch, '--json',
    ...(db ? ['--db', db, '--meta', 'lot=bench,station=1'] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const data = path.join(__dirname, '..', 'data', `bench-records-${count}-${seed}`);
  if (!fs.existsSync(path.join(data, 'images'))) {
    execFileSync(process.execPath, [BIN, 'synth', '--out', data, '--count', String(count), '--seed', String(seed)], { stdio: 'ignore' });
  }
  const images = path.join(data, 'images');
  const n = fs.readdirSync(images).length;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-bench-records-'));
  try {
    const without = [], withDb = [];
    for (let r = 0; r < rounds; r++) {
      without.push(inspect(images, path.join(tmp, `out-${r}`)));
      withDb.push(inspect(images, path.join(tmp, `out-db-${r}`), path.join(tmp, `line-${r}.sqlite`)));
    }
    // The store alone: the results of the last run recorded again into a fresh store.
    const lines = fs.readFileSync(path.join(tmp, `out-db-${rounds - 1}`, 'results.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
    const store = await openRecorder(path.join(tmp, 'alone.sqlite'));
    const runId = await store.beginRun({ config: {}, models: [], provider: 'cpu' });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += 16) {
      await store.record(runId, lines.slice(i, i + 16).map((r, k) => ({
        result: { ...r, mode: r.mode ?? undefined, error: r.error ?? undefined }, imagePath: path.resolve(r.path),
        imageSha256: `bench-${i + k}`, meta: { lot: 'bench', station: '1' },
      })));
    }
    const storeMs = Number(process.hrtime.bigint() - t0) / 1e6 / lines.length;
    await store.close();
    const a = median(without), b = median(withDb);
    const size = fs.statSync(path.join(tmp, `line-${rounds - 1}.sqlite`)).size;
    console.log(`${n} images (${count} parts), ${rounds} round(s), ${os.cpus().length} cores`);
    console.log(`inspect without --db: ${without.map((s) => s.toFixed(1)).join(', ')} s (median ${a.toFixed(2)} s)`);
    console.log(`inspect with --db:    ${withDb.map((s) => s.toFixed(1)).join(', ')} s (median ${b.toFixed(2)} s)`);
    console.log(`ratio with / without: ${(b / a).toFixed(3)} (target < 1.05)`);
    console.log(`the store alone: ${storeMs.toFixed(3)} ms a part (${(storeMs / (a * 1000 / n) * 100).toFixed(2)} % of inspect's `
      + `${(a * 1000 / n).toFixed(1)} ms a part); store file ${(size / 1024).toFixed(0)} KiB, ${(size / n / 1024).toFixed(2)} KiB a part`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
