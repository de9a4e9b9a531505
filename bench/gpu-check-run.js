#!/usr/bin/env node
'use strict';
// One provider configuration of bench/gpu-check.js, in a process of its own (a provider
// that crashes takes only this process down): loads the default detector and the two
// classifiers with the providers given, runs them on the samples and writes what they
// found, with each load's time, as one JSON file.
//   node bench/gpu-check-run.js --providers cuda[,cpu] [--fp16] [--trt-cache DIR] --out FILE
// With TensorRT in use, the first load (engine build) and a second load from the engine
// cache are both timed. A list without 'cpu' is strict: ERR_PROVIDER_UNAVAILABLE is
// written as { error: { code, message } } and the exit status is 2.
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const { Detector, Classifier } = require('..');
const { arg } = require('./helpers/args');

const DETECTOR = 'die-defect-yolov7tiny';
const CLASSIFIERS = ['die-good-defect-resnet18s', 'die-good-defect-vggs'];

function sampleFiles() {
  const dir = path.join(__dirname, '..', 'samples', 'images');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jpg') && !f.includes('darkfield')).sort().map((f) => path.join(dir, f));
}

async function timedCreate(Kind, model, options) {
  const t0 = performance.now();
  const session = await Kind.create(model, options);
  return { session, loadSeconds: (performance.now() - t0) / 1000 };
}

/** Loads, and for TensorRT loads again from the engine cache; returns the session of the second load. */
async function load(Kind, model, options, record) {
  let { session, loadSeconds } = await timedCreate(Kind, model, options);
  record.provider = session.provider;
  record.providerAttempts = session.info.providerAttempts;
  record.loadSeconds = loadSeconds;
  if (session.provider === 'tensorrt') {
    record.engineBuildSeconds = loadSeconds;
    session.close();
    ({ session, loadSeconds } = await timedCreate(Kind, model, options));
    record.cachedLoadSeconds = loadSeconds;
  }
  return session;
}

async function main() {
  const out = arg('out');
  if (!out) throw new Error('--out FILE is required');
  const providers = arg('providers', 'cpu').split(',').filter(Boolean);
  const fp16 = process.argv.includes('--fp16');
  const options = { providers, fp16 };
  const cache = arg('trt-cache'); // a fresh folder: the first TensorRT load really builds the engines
  const withCache = (model) => (cache ? { ...options, trtEngineCacheDir: path.join(cache, model) } : options);
  const files = sampleFiles();
  const result = { providers, fp16, samples: files.map((f) => path.basename(f)), models: {} };
  // One model at a time: loaded (timed in `load`), run once on the samples (timed), closed.
  const measure = async (Kind, name, call, describe) => {
    const rec = { model: name };
    const model = await load(Kind, name, withCache(name), rec);
    try {
      const t0 = performance.now();
      const res = await call(model);
      rec.runSeconds = (performance.now() - t0) / 1000;
      rec.images = res.map((r, i) => ({ file: result.samples[i], error: r.error ? r.error.message : undefined, ...describe(r) }));
    } finally {
      model.close();
    }
    result.models[name] = rec;
  };
  try {
    await measure(Detector, DETECTOR, (det) => det.detect(files),
      (r) => ({ detections: (r.detections || []).map((d) => ({ box: d.box, score: d.score, classId: d.classId })) }));
    for (const name of CLASSIFIERS) {
      await measure(Classifier, name, (cls) => cls.classify(files),
        (r) => ({ probabilities: r.probabilities ? Array.from(r.probabilities) : null }));
    }
  } catch (err) {
    result.error = { code: err.code || 'ERR_UNKNOWN', message: String(err.message || err) };
    fs.writeFileSync(out, JSON.stringify(result));
    process.exitCode = 2;
    return;
  }
  fs.writeFileSync(out, JSON.stringify(result));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
