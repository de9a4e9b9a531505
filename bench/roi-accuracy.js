#!/usr/bin/env node
'use strict';
// ROI stage against synthetic ground truth (issue targets in brackets):
//   mode filter accuracy [100%], package IoU [>= 0.98], mean corner error [<= 2 px],
//   package angle error over full-circle poses [<= 0.3 deg], die angle error
//   [median <= 0.25, p95 <= 0.5 deg], contour ROI time per 1280x960 image on one core [<= 10 ms].
// Usage: node bench/roi-accuracy.js [--count 200] [--seed 99] [--strategy contour|seg] [--model FILE]
// (`seg` without --model runs the shipped package segmenter; --json prints one object.)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Roi, synthesize, decodeImage } = require('../dist');
const { convexIoU, angleDifference } = require('../dist/eval');
const { arg } = require('./helpers/args');

const count = Number(arg('count', 200));
const seed = Number(arg('seed', 99));
const q = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-roi-bench-'));
  process.stderr.write(`synthesising ${count} parts x 3 modes (seed ${seed}) in ${dir}\n`);
  await synthesize({ out: dir, count, seed, modes: ['brightfield', 'darkfield-white', 'darkfield-blue'] });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const strategy = arg('strategy', 'contour');
  const roiOptions = strategy === 'seg' ? { strategy, model: arg('model', undefined) } : { strategy };
  const roi = await Roi.create(roiOptions);

  const all = await roi.capture(meta.map((m) => path.join(dir, m.file)));
  const modeOk = all.filter((r, i) => r.mode === meta[i].mode).length;

  const bf = meta.filter((m) => m.mode === 'brightfield');
  const res = [];
  for (let i = 0; i < bf.length; i += 16) res.push(...(await roi.capture(bf.slice(i, i + 16).map((m) => path.join(dir, m.file)))));
  const ious = [];
  const corners = [];
  const angles = [];
  const dies = [];
  let found = 0;
  let rotationAgree = 0;
  res.forEach((r, i) => {
    const m = bf[i];
    if (r.status !== 'ok') {
      ious.push(0);
      return;
    }
    found++;
    ious.push(convexIoU(r.quad, m.packageQuad));
    corners.push(mean(r.quad.map((p, k) => Math.hypot(p[0] - m.packageQuad[k][0], p[1] - m.packageQuad[k][1]))));
    angles.push(angleDifference(r.angle, m.packageAngle));
    if (r.die) {
      dies.push(Math.abs(r.die.angle - m.dieAngle));
      if (r.die.rotated === m.defects.some((d) => d.label === 'die_rotation')) rotationAgree++;
    }
  });

  // One core: images one at a time from decoded pixels, so decode is not counted.
  const raw = [];
  for (const m of bf.slice(0, 40)) raw.push(await decodeImage(path.join(dir, m.file)));
  const timer = await Roi.create({ ...roiOptions, crops: true, measureDie: true });
  await timer.capture(raw[0]);
  // CPU time (all threads) per image is what one core would spend; wall time
  // is printed too but depends on whatever else the machine is doing.
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (const img of raw) await timer.capture(img);
  const cpu = process.cpuUsage(c0);
  const msPerImage = (cpu.user + cpu.system) / 1000 / raw.length;
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6 / raw.length;

  const rows = [
    ['mode filter accuracy', `${((100 * modeOk) / meta.length).toFixed(2)} % of ${meta.length}`, '100 %'],
    ['package found', `${found}/${bf.length}`, ''],
    ['package IoU mean / p5', `${mean(ious).toFixed(4)} / ${q(ious, 0.05).toFixed(4)}`, '>= 0.98'],
    ['corner error mean / median / p95', `${mean(corners).toFixed(2)} / ${q(corners, 0.5).toFixed(2)} / ${q(corners, 0.95).toFixed(2)} px`, '<= 2 px'],
    ['package angle error median / p95', `${q(angles, 0.5).toFixed(3)} / ${q(angles, 0.95).toFixed(3)} deg`, '<= 0.3 deg'],
    ['die angle error median / p95', `${q(dies, 0.5).toFixed(3)} / ${q(dies, 0.95).toFixed(3)} deg`, '<= 0.25 / 0.5 deg'],
    ['die_rotation flag agreement', `${rotationAgree}/${dies.length}`, ''],
    [`${strategy} ROI CPU time per 1280x960 image (one core)`, `${msPerImage.toFixed(2)} ms (wall ${wallMs.toFixed(2)} ms)`, strategy === 'contour' ? '<= 10 ms' : ''],
  ];
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify({
      strategy, parts: bf.length, seed, modeAccuracy: modeOk / meta.length, found: found / bf.length,
      iouMean: mean(ious), iouP5: q(ious, 0.05), cornerErrorMean: mean(corners), cornerErrorP95: q(corners, 0.95),
      angleErrorMedian: q(angles, 0.5), angleErrorP95: q(angles, 0.95),
      dieAngleErrorMedian: q(dies, 0.5), dieAngleErrorP95: q(dies, 0.95), cpuMsPerImage: msPerImage,
    }) + '\n');
  } else {
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`ROI strategy ${roi.strategy} on ${bf.length} synthetic 1280x960 parts (seed ${seed}), ${os.cpus()[0].model}\n`);
    for (const [k, v, t] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padEnd(28)} ${t ? `target ${t}` : ''}\n`);
  }
  roi.close();
  timer.close();
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
