#!/usr/bin/env node
'use strict';
// What an ensemble costs the Inspector: the default Inspector with one classifier ensemble
// against another (by default: the shipped ensemble manifest against the two classifiers
// it replaced, averaged), rounds alternating in one process, on the samples' brightfield
// parts; with --crops, each member of --a alone on 16 upright crop JPEGs.
//   node bench/ensemble-speed.js [--a default] [--b die-good-defect-vggs,die-good-defect-resnet18s]
//       [--images 64] [--rounds 3] [--ep cpu] [--crops DIR/crops/images]
// --a/--b: a manifest (name or path) or a comma-separated list of classifiers (averaged).
const { performance } = require('perf_hooks');
const fs = require('fs');
const path = require('path');
const { ClassifierEnsemble, Inspector } = require('..');
const { arg } = require('./helpers/args');

const spec = (s) => (s.includes(',') || s.endsWith('.onnx') ? s.split(',') : s);

async function imagesPerSec(inspector, files) {
  const t0 = performance.now();
  const res = await inspector.inspect(files);
  const bad = res.find((r) => r.verdict === 'error');
  if (bad) throw new Error(`${bad.path}: ${bad.error.message}`);
  return files.length / ((performance.now() - t0) / 1000);
}

(async () => {
  const a = arg('a', 'default');
  const b = arg('b', 'die-good-defect-vggs,die-good-defect-resnet18s');
  const n = Number(arg('images', 64));
  const rounds = Number(arg('rounds', 3));
  const providers = [arg('ep', 'cpu')];
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg') && !f.includes('darkfield')).map((f) => path.join(dir, f));
  const files = Array.from({ length: n }, (_, i) => samples[i % samples.length]);
  const inspectors = [await Inspector.create({ providers, classifiers: spec(a) }), await Inspector.create({ providers, classifiers: spec(b) })];
  try {
    for (const insp of inspectors) await insp.inspect(files.slice(0, 4)); // warm-up
    const best = [0, 0];
    const stage = [Infinity, Infinity];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < 2; k++) {
        best[k] = Math.max(best[k], await imagesPerSec(inspectors[k], files));
        const ms = (await inspectors[k].inspect(files)).reduce((s, x) => s + x.timings.classifyMs, 0) / files.length;
        stage[k] = Math.min(stage[k], ms);
      }
    }
    process.stdout.write(`${n} parts, ${rounds} rounds alternating, best of each, provider ${providers[0]}\n`);
    inspectors.forEach((insp, k) => {
      process.stdout.write(`${k ? 'b' : 'a'}: ${[a, b][k]}: ${insp.memberNames.length} members (${insp.memberNames.join(', ')}), `
        + `rule ${insp.ensemble.combination.rule}: Inspector ${best[k].toFixed(1)} img/s, classify stage ${stage[k].toFixed(2)} ms an image\n`);
    });
    process.stdout.write(`a / b Inspector throughput: ${(best[0] / best[1]).toFixed(2)}x\n`);
  } finally {
    for (const i of inspectors) i.close();
  }
  // the members alone, each on the same 16 upright crops (JPEG files, as `synth --crops` writes them)
  const cropDir = arg('crops', '');
  if (!cropDir) return;
  const crops = fs.readdirSync(cropDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 16).map((f) => path.join(cropDir, f));
  const ens = await ClassifierEnsemble.create(typeof spec(a) === 'string' ? spec(a) : spec(a).map((model) => ({ model })), { providers });
  try {
    for (const [m, clf] of ens.members.entries()) {
      await clf.classify(crops);
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) await clf.classify(crops);
      process.stdout.write(`  ${ens.memberNames[m]}: ${((performance.now() - t0) / rounds / crops.length).toFixed(2)} ms an image (16 crop JPEGs a call)\n`);
    }
  } finally {
    ens.close();
  }
})().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
