#!/usr/bin/env node
'use strict';
// Cost of the ROI stage per 1280x960 image, by stage, on synthetic parts (--strategy contour, the
// default, or seg: then the model runs too, and warpMs is its post-processing after the mask):
//   single: one image per capture() from decoded pixels (decode not counted), one at a time;
//   inspector: batches of 16 JPEG files, as the Inspector hands them over (decode included,
//     the batch spread over the cores by OpenCV's parallel_for_).
// Each prints CPU ms per image (all threads) and the per-stage means of the `timings`
// every RoiResult reports (decodeMs, locateMs, warpMs: wall time, so under `inspector`
// they overlap across cores). With --accuracy it also runs bench/roi-accuracy.js on
// --accuracy-count parts (default 200) and prints its corner and angle errors.
// --compare DIR loads the build in DIR (another checkout with dist/ and build/Release/ of the
// version to compare against) into the same process and alternates the two call by call,
// so both see the same machine; it prints the ratios (and runs the accuracy for both).
// --root DIR measures that build alone.
// Usage: node bench/roi-speed.js [--strategy contour|seg] [--count 80] [--seed 99] [--rounds 5] [--accuracy] [--accuracy-count 200]
//                                [--compare DIR] [--json]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { arg } = require('./helpers/args');

const root = path.resolve(arg('root', path.join(__dirname, '..')));
const compareRoot = arg('compare', null) && path.resolve(arg('compare', null));
const { synthesize } = require(path.join(root, 'dist'));

const count = Number(arg('count', 80));
const seed = Number(arg('seed', 99));
const rounds = Number(arg('rounds', 5));
const strategy = arg('strategy', 'contour');
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

// One pass over the inputs for every build, alternating between the builds call by
// call (a call = `batch` inputs), so that the machine's slow and fast moments fall on
// both alike. Per build: CPU and wall time per input and the mean stage timings.
async function measure(builds, inputsOf, batch) {
  const acc = builds.map(() => ({ cpuUs: 0, wallNs: 0n, n: 0, t: { decodeMs: [], locateMs: [], warpMs: [] } }));
  const total = inputsOf(builds[0]).length;
  for (let i = 0; i < total; i += batch) {
    for (let k = 0; k < builds.length; k++) {
      const b = builds[(k + i / batch) % builds.length]; // who goes first alternates too
      const a = acc[builds.indexOf(b)];
      const inputs = inputsOf(b).slice(i, i + batch);
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      const rs = await b.roi.capture(inputs);
      a.wallNs += process.hrtime.bigint() - w0;
      const c = process.cpuUsage(c0);
      a.cpuUs += c.user + c.system;
      a.n += inputs.length;
      for (const r of rs) for (const key of Object.keys(a.t)) a.t[key].push(r.timings[key]);
    }
  }
  return acc.map((a) => ({
    cpuMs: a.cpuUs / 1000 / a.n,
    wallMs: Number(a.wallNs) / 1e6 / a.n,
    decodeMs: mean(a.t.decodeMs),
    locateMs: mean(a.t.locateMs),
    warpMs: mean(a.t.warpMs),
  }));
}

// The lowest CPU time over the rounds: the least disturbed by whatever else runs.
const better = (m, best) => (!best || m.cpuMs < best.cpuMs ? m : best);

function accuracyOf(dir) {
  const n = arg('accuracy-count', '200');
  process.stderr.write(`accuracy on ${n} parts (bench/roi-accuracy.js in ${dir})\n`);
  const out = execFileSync(process.execPath, [path.join(dir, 'bench', 'roi-accuracy.js'), '--count', n, '--seed', String(seed), '--strategy', strategy, '--json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-roi-speed-'));
  process.stderr.write(`synthesising ${count} brightfield parts (seed ${seed}) in ${dir}\n`);
  await synthesize({ out: dir, count, seed, modes: ['brightfield'] });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const files = meta.map((m) => path.join(dir, m.file));
  const builds = [];
  for (const [name, r] of [['this', root], ...(compareRoot ? [['compare', compareRoot]] : [])]) {
    const lib = require(path.join(r, 'dist'));
    const raw = [];
    for (const f of files) raw.push(await lib.decodeImage(f));
    const roi = await lib.Roi.create({ strategy });
    await roi.capture(raw.slice(0, 2)); // warm-up
    builds.push({ name, root: r, roi, raw, single: null, inspector: null });
  }
  for (let r = 0; r < rounds; r++) {
    const single = await measure(builds, (b) => b.raw, 1);
    const inspector = await measure(builds, () => files, 16);
    builds.forEach((b, k) => {
      b.single = better(single[k], b.single);
      b.inspector = better(inspector[k], b.inspector);
    });
  }
  for (const b of builds) b.roi.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (process.argv.includes('--accuracy')) for (const b of builds) b.accuracy = accuracyOf(b.root);

  const summary = (b) => ({ root: b.root, strategy, parts: count, seed, rounds, cpu: os.cpus()[0].model, cores: os.cpus().length,
    single: b.single, inspector: b.inspector, accuracy: b.accuracy || null });
  const [mine, other] = builds;
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(other ? { ...summary(mine), compare: summary(other) } : summary(mine)) + '\n');
    return;
  }
  const f = (v) => v.toFixed(2).padStart(7);
  process.stdout.write(`${strategy} ROI on ${count} synthetic 1280x960 parts (seed ${seed}), ${os.cpus()[0].model}, ${os.cpus().length} cores\n`);
  process.stdout.write('  build      run          CPU ms/img  wall ms/img  decodeMs  locateMs   warpMs\n');
  for (const r of builds) {
    for (const [k, m] of [['single', r.single], ['inspector', r.inspector]]) {
      process.stdout.write(`  ${r.name.padEnd(9)}  ${k.padEnd(11)}  ${f(m.cpuMs)}     ${f(m.wallMs)}    ${f(m.decodeMs)}   ${f(m.locateMs)}  ${f(m.warpMs)}\n`);
    }
  }
  if (other) {
    for (const k of ['single', 'inspector']) {
      process.stdout.write(`  CPU time ${k}: this / compare = ${(mine[k].cpuMs / other[k].cpuMs).toFixed(3)}` +
        `, warpMs (everything after the outline) ${(mine[k].warpMs / other[k].warpMs).toFixed(3)}\n`);
    }
  }
  for (const r of builds) {
    const a = r.accuracy;
    if (!a) continue;
    process.stdout.write(`  ${r.name}: `);
    process.stdout.write(`accuracy (${a.parts} parts): corner error mean ${a.cornerErrorMean.toFixed(4)} / p95 ${a.cornerErrorP95.toFixed(4)} px, ` +
      `package angle median ${a.angleErrorMedian.toFixed(4)} / p95 ${a.angleErrorP95.toFixed(4)} deg, ` +
      `die angle median ${a.dieAngleErrorMedian.toFixed(4)} / p95 ${a.dieAngleErrorP95.toFixed(4)} deg, IoU ${a.iouMean.toFixed(5)}, ` +
      `mode ${(100 * a.modeAccuracy).toFixed(1)} %, found ${(100 * a.found).toFixed(1)} %\n`);
  }
})().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
