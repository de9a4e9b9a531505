#!/usr/bin/env node
'use strict';
// Cost of the contour ROI stage per 1280x960 image, by stage, on synthetic parts:
//   single: one image per capture() from decoded pixels (decode not counted), one at a time;
//   inspector: batches of 16 JPEG files, as the Inspector hands them over (decode included,
//     the batch spread over the cores by OpenCV's parallel_for_).
// Each prints CPU ms per image (all threads) and the per-stage means of the `timings`
// every RoiResult reports (decodeMs, locateMs, warpMs: wall time, so under `inspector`
// they overlap across cores). With --accuracy it also runs bench/roi-accuracy.js on
// --accuracy-count parts (default 200) and prints its corner and angle errors.
// --compare DIR runs the same measurement (and accuracy) with the build in DIR (another
// checkout with dist/ and build/Release/ of the version to compare against), one after
// the other in this run, and prints the ratios. --root DIR measures that build alone.
// Usage: node bench/roi-speed.js [--count 80] [--seed 99] [--rounds 3] [--accuracy] [--accuracy-count 200]
//                                [--compare DIR] [--json]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { arg } = require('./helpers/args');

const root = path.resolve(arg('root', path.join(__dirname, '..')));
const { Roi, synthesize, decodeImage } = require(path.join(root, 'dist'));

const count = Number(arg('count', 80));
const seed = Number(arg('seed', 99));
const rounds = Number(arg('rounds', 3));
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

async function measure(roi, inputs, batch) {
  const t = { decodeMs: [], locateMs: [], warpMs: [] };
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i += batch) {
    const rs = await roi.capture(inputs.slice(i, i + batch));
    for (const r of rs) for (const k of Object.keys(t)) t[k].push(r.timings[k]);
  }
  const cpu = process.cpuUsage(c0);
  return {
    cpuMs: (cpu.user + cpu.system) / 1000 / inputs.length,
    wallMs: Number(process.hrtime.bigint() - w0) / 1e6 / inputs.length,
    decodeMs: mean(t.decodeMs),
    locateMs: mean(t.locateMs),
    warpMs: mean(t.warpMs),
  };
}

// The lowest CPU time over the rounds: the least disturbed by whatever else runs.
async function best(roi, inputs, batch) {
  let out = null;
  for (let r = 0; r < rounds; r++) {
    const m = await measure(roi, inputs, batch);
    if (!out || m.cpuMs < out.cpuMs) out = m;
  }
  return out;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-roi-speed-'));
  process.stderr.write(`synthesising ${count} brightfield parts (seed ${seed}) in ${dir}\n`);
  await synthesize({ out: dir, count, seed, modes: ['brightfield'] });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const files = meta.map((m) => path.join(dir, m.file));
  const raw = [];
  for (const f of files) raw.push(await decodeImage(f));
  const roi = await Roi.create({ strategy: 'contour' });
  await roi.capture(raw.slice(0, 2)); // warm-up
  const single = await best(roi, raw, 1);
  const inspector = await best(roi, files, 16);
  roi.close();
  fs.rmSync(dir, { recursive: true, force: true });

  let accuracy = null;
  if (process.argv.includes('--accuracy')) {
    const n = arg('accuracy-count', '200');
    process.stderr.write(`accuracy on ${n} parts (bench/roi-accuracy.js)\n`);
    const out = execFileSync(process.execPath, [path.join(root, 'bench', 'roi-accuracy.js'), '--count', n, '--seed', String(seed), '--json'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    accuracy = JSON.parse(out.trim().split('\n').pop());
  }

  const mine = { root, parts: count, seed, cpu: os.cpus()[0].model, cores: os.cpus().length, single, inspector, accuracy };
  const compare = arg('compare', null);
  let other = null;
  if (compare) {
    const args = [__filename, '--root', path.resolve(compare), '--count', String(count), '--seed', String(seed), '--rounds', String(rounds), '--json'];
    if (accuracy) args.push('--accuracy', '--accuracy-count', arg('accuracy-count', '200'));
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    other = JSON.parse(out.trim().split('\n').pop());
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(other ? { ...mine, compare: other } : mine) + '\n');
    return;
  }
  const f = (v) => v.toFixed(2).padStart(7);
  process.stdout.write(`contour ROI on ${count} synthetic 1280x960 parts (seed ${seed}), ${os.cpus()[0].model}, ${os.cpus().length} cores\n`);
  process.stdout.write('  build      run          CPU ms/img  wall ms/img  decodeMs  locateMs   warpMs\n');
  const builds = other ? [['this', mine], ['compare', other]] : [['this', mine]];
  for (const [b, r] of builds) {
    for (const [k, m] of [['single', r.single], ['inspector', r.inspector]]) {
      process.stdout.write(`  ${b.padEnd(9)}  ${k.padEnd(11)}  ${f(m.cpuMs)}     ${f(m.wallMs)}    ${f(m.decodeMs)}   ${f(m.locateMs)}  ${f(m.warpMs)}\n`);
    }
  }
  if (other) {
    for (const k of ['single', 'inspector']) {
      process.stdout.write(`  CPU time ${k}: this / compare = ${(mine[k].cpuMs / other[k].cpuMs).toFixed(3)}\n`);
    }
  }
  for (const [b, r] of builds) {
    const a = r.accuracy;
    if (!a) continue;
    process.stdout.write(`  ${b}: `);
    process.stdout.write(`accuracy (${a.parts} parts): corner error mean ${a.cornerErrorMean.toFixed(4)} / p95 ${a.cornerErrorP95.toFixed(4)} px, ` +
      `package angle median ${a.angleErrorMedian.toFixed(4)} / p95 ${a.angleErrorP95.toFixed(4)} deg, ` +
      `die angle median ${a.dieAngleErrorMedian.toFixed(4)} / p95 ${a.dieAngleErrorP95.toFixed(4)} deg, IoU ${a.iouMean.toFixed(5)}, ` +
      `mode ${(100 * a.modeAccuracy).toFixed(1)} %, found ${(100 * a.found).toFixed(1)} %\n`);
  }
})().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
