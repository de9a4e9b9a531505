#!/usr/bin/env node
'use strict';
// How many workers (and GPUs) a line needs, from measured costs: N cameras at R parts/s
// each, a worker's cost of a full batch, and what the queue and the database add per
// part. The batch cost comes from a benchmark JSON (bench/workers.js --json: the
// in-process row; or `die-inspect bench --json`: its per-batch time) or from --batch-ms.
//   node scripts/capacity.js --cameras 8 --rate 12 [--batch-ms 180 | --from bench.json] [--batch 16]
//     [--queue-ms 1.05] [--db-ms 0.62] [--utilisation 0.7] [--workers-per-gpu 1] [--max-wait-ms 50] [--json]
// Defaults for the queue and database are the per-part costs measured on 2 shared cores
// (docs/benchmarks.md#queue-workers). Prints the plan; exit code 2 for a usage mistake.
const fs = require('fs');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function usage(msg) {
  process.stderr.write(`capacity: ${msg}\nusage: node scripts/capacity.js --cameras N --rate R (--batch-ms MS | --from FILE) `
    + '[--batch 16] [--queue-ms MS] [--db-ms MS] [--utilisation U] [--workers-per-gpu K] [--max-wait-ms MS] [--json]\n');
  process.exit(2);
}

function number(name, fallback, { min = 0, integer = false } = {}) {
  const text = arg(name, fallback);
  if (text === undefined || text === null) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) usage(`--${name} must be a ${integer ? 'whole ' : ''}number >= ${min}, got '${text}'`);
  return v;
}

/** A full batch's cost in ms from a benchmark JSON: bench/workers.js (in-process row) or `die-inspect bench --json`. */
function batchMsFrom(file, batch) {
  let j;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`cannot read ${file}: ${err.message}`);
  }
  if (Array.isArray(j.rows)) {
    const inproc = j.rows.find((r) => r.name === 'in-process');
    if (inproc) return { batchMs: (1000 / inproc.partsPerSecond) * batch, from: `${file} (in-process, ${inproc.partsPerSecond.toFixed(1)} parts/s)` };
  }
  const perImage = j.msPerImage ?? j.perImageMs ?? (j.imagesPerSecond ? 1000 / j.imagesPerSecond : undefined);
  if (typeof perImage === 'number') return { batchMs: perImage * batch, from: `${file} (${perImage.toFixed(2)} ms an image)` };
  if (typeof j.batchMs === 'number') return { batchMs: j.batchMs, from: file };
  return usage(`${file}: no in-process row, msPerImage, imagesPerSecond or batchMs in it`);
}

const cameras = number('cameras', undefined, { min: 1, integer: true });
const rate = number('rate', undefined, { min: 0 });
if (cameras === undefined || rate === undefined) usage('--cameras and --rate are needed');
const batch = number('batch', '16', { min: 1, integer: true });
const file = arg('from', undefined);
let batchMs = number('batch-ms', undefined, { min: 0 });
let source = '--batch-ms';
if (batchMs === undefined) {
  if (!file) usage('give --batch-ms or --from');
  ({ batchMs, from: source } = batchMsFrom(file, batch));
}
const queueMs = number('queue-ms', '1.05');
const dbMs = number('db-ms', '0.62');
const utilisation = number('utilisation', '0.7', { min: 0.05 });
if (utilisation > 1) usage('--utilisation is a share of a worker, at most 1');
const perGpu = number('workers-per-gpu', '1', { min: 1, integer: true });
const maxWaitMs = number('max-wait-ms', '50');

const demand = cameras * rate;
// A worker's time per part: its share of a full batch, plus the queue's and the database's work per part.
const partMs = batchMs / batch + queueMs + dbMs;
const perWorker = 1000 / partMs;
const workers = Math.max(1, Math.ceil(demand / (perWorker * utilisation)));
const gpus = Math.ceil(workers / perGpu);
const load = demand / (workers * perWorker);
// A part waits at most for its batch to form (max-wait, or less when loaded) and for the batch ahead of it, then its own.
const latencyMs = Math.min(maxWaitMs, (batch / Math.max(demand / workers, 1e-9)) * 1000) + 2 * batchMs + queueMs + dbMs;
const plan = {
  demandPartsPerSecond: demand, batch, batchMs, batchMsFrom: source, partMs, perWorkerPartsPerSecond: perWorker,
  workers, gpus, workersPerGpu: perGpu, load, worstLatencyMs: latencyMs,
  queue: { msPerPart: queueMs, bytesWaiting: 1000, bytesCompletedKept: 4100,
    redisBytesPerHourKept: Math.round(demand * 3600 * 4100) },
  database: { msPerPart: dbMs, rowsPerPart: '1 part + 1 per detection + 1 + 1 per classifier', bytesPerPart: 1500,
    bytesPerDay: Math.round(demand * 86400 * 1500) },
};
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
} else {
  const gib = (b) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  process.stdout.write([
    `line: ${cameras} cameras x ${rate} parts/s = ${demand.toFixed(1)} parts/s`,
    `worker: ${batchMs.toFixed(1)} ms a batch of ${batch} (${source}) + queue ${queueMs} ms + database ${dbMs} ms a part `
      + `= ${partMs.toFixed(2)} ms a part, ${perWorker.toFixed(1)} parts/s`,
    `needs: ${workers} worker${workers > 1 ? 's' : ''} on ${gpus} GPU${gpus > 1 ? 's' : ''} (${perGpu} a GPU), `
      + `each ${(100 * load).toFixed(0)}% busy (target ${(100 * utilisation).toFixed(0)}%)`,
    `latency: up to ${latencyMs.toFixed(0)} ms a part from enqueue to result`,
    `queue: ${queueMs} ms of worker time a part, a few Redis round trips; ~1 KB a waiting job, ~4 KB a completed one kept `
      + `(${gib(plan.queue.redisBytesPerHourKept)} for an hour of results)`,
    `database: ${dbMs} ms a part, ~1.5 KiB a part: ${gib(plan.database.bytesPerDay)} a day`,
  ].join('\n') + '\n');
}
