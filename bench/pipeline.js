#!/usr/bin/env node
'use strict';
// Where the time goes in detection, measured in one run on one model, one
// thread count and one batch size (ratios, because these machines are noisy):
//   bare     ORT session on a ready tensor (the native benchmark, random input)
//   ours     Detector.detect on JPEG files: decode -> letterbox -> run -> NMS
//   baseline what a Node user would write instead: onnxruntime-node's JS API,
//            letterbox + normalisation in JS on decoded pixels, decoding + NMS in JS
// Targets: ours / bare >= 0.90, ours / baseline >= 1.5.
//   node bench/pipeline.js [--model M.onnx] [--imgsz 320] [--batch 16] [--images 64] [--threads 2]
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');
const { Detector, decodeImage, listModels } = require('..');
const { yoloLikeModel } = require('./helpers/yolo-like-model');
const { arg } = require('./helpers/args');


// ---- the baseline's JS stages ---------------------------------------------
function letterboxJs(img, size) {
  const { data, width, height } = img;
  const s = Math.min(size / width, size / height);
  const nw = Math.round(width * s);
  const nh = Math.round(height * s);
  const px = Math.floor((size - nw) / 2);
  const py = Math.floor((size - nh) / 2);
  const plane = size * size;
  const out = new Float32Array(3 * plane).fill(114 / 255);
  for (let y = 0; y < nh; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y + 0.5) / s - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < nw; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x + 0.5) / s - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const o = (y + py) * size + x + px;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * width + x0) * 3 + c] * (1 - fx) + data[(y0 * width + x1) * 3 + c] * fx;
        const b = data[(y1 * width + x0) * 3 + c] * (1 - fx) + data[(y1 * width + x1) * 3 + c] * fx;
        out[(2 - c) * plane + o] = (a * (1 - fy) + b * fy) / 255; // BGR -> RGB planes
      }
    }
  }
  return { tensor: out, s, px, py };
}

function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const i = w * h;
  return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
}

function decodeNmsJs(out, n, d, conf, iouTh, lb) {
  const cands = [];
  for (let k = 0; k < n; k++) {
    const r = k * d;
    const obj = out[r + 4];
    if (obj <= conf) continue;
    let best = 0;
    let cls = 0;
    for (let c = 5; c < d; c++) if (out[r + c] > best) { best = out[r + c]; cls = c - 5; }
    const score = obj * best;
    if (score <= conf) continue;
    const [cx, cy, w, h] = [out[r], out[r + 1], out[r + 2], out[r + 3]];
    cands.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, cls });
  }
  cands.sort((a, b) => b.score - a.score);
  const kept = [];
  for (const c of cands) {
    if (kept.every((k) => k.cls !== c.cls || iou(k.box, c.box) <= iouTh)) kept.push(c);
    if (kept.length >= 300) break;
  }
  return kept.map((k) => ({ ...k, box: [(k.box[0] - lb.px) / lb.s, (k.box[1] - lb.py) / lb.s, (k.box[2] - lb.px) / lb.s, (k.box[3] - lb.py) / lb.s] }));
}

// ---------------------------------------------------------------------------
async function main() {
  const size = Number(arg('imgsz', 320));
  const batch = Number(arg('batch', 16));
  const threads = Number(arg('threads', os.cpus().length));
  const count = Number(arg('images', 64));
  const shipped = listModels().find((c) => c.role === 'defect-detector' && fs.existsSync(c.file));
  const modelArg = arg('model', shipped && shipped.file);
  const model = modelArg ? fs.readFileSync(modelArg) : yoloLikeModel({ classes: 2 });
  const modelName = modelArg ? path.basename(modelArg) : 'random-weight YOLO-shaped model';
  const sampleDir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(sampleDir).filter((f) => !f.includes('darkfield')).map((f) => path.join(sampleDir, f));
  const files = Array.from({ length: count }, (_, i) => samples[i % samples.length]);

  const det = await Detector.create(model, { intraOpThreads: threads, imgsz: size, conf: 0.25, iou: 0.45, maxBatch: batch });
  const bench = await det.benchmark({ batch, warmup: 2, iters: Math.max(2, Math.ceil(count / batch)), height: size, width: size });
  const ms = [...bench.ms].sort((a, b) => a - b);
  const bare = { imagesPerSec: batch / (ms.reduce((a, b) => a + b, 0) / ms.length / 1000) };

  await det.detect(files.slice(0, batch));
  let t0 = performance.now();
  // One call: the detector splits it into batches and prepares batch k+1 while k runs.
  await det.detect(files);
  const oursIps = files.length / ((performance.now() - t0) / 1000);

  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = sess.inputNames[0];
  const runBaseline = async (list) => {
    const decoded = await Promise.all(list.map((f) => decodeImage(f)));
    const lbs = decoded.map((img) => letterboxJs(img, size));
    const data = new Float32Array(list.length * 3 * size * size);
    lbs.forEach((lb, k) => data.set(lb.tensor, k * 3 * size * size));
    const outs = await sess.run({ [input]: new ort.Tensor('float32', data, [list.length, 3, size, size]) });
    const o = outs[sess.outputNames[0]];
    const [, n, d] = o.dims;
    const values = o.data;
    return lbs.map((lb, k) => decodeNmsJs(values.subarray(k * n * d, (k + 1) * n * d), n, d, 0.25, 0.45, lb));
  };
  await runBaseline(files.slice(0, batch));
  t0 = performance.now();
  for (let i = 0; i < files.length; i += batch) await runBaseline(files.slice(i, i + batch));
  const baseIps = files.length / ((performance.now() - t0) / 1000);

  const rows = [
    ['bare ORT session (ready tensor, no NMS)', bare.imagesPerSec],
    ['die-inspect Detector (decode, letterbox, run, NMS)', oursIps],
    ['onnxruntime-node + JS letterbox + JS NMS', baseIps],
  ];
  process.stdout.write(`${modelName}, input ${size}x${size}, batch ${batch}, ${threads} intra-op threads, ${count} JPEGs of 1280x960\n`);
  process.stdout.write(`${os.cpus()[0].model} x ${os.cpus().length}, ONNX Runtime ${require('..').runtimeInfo().ortVersion}\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(52)} ${v.toFixed(1).padStart(8)} images/s\n`);
  process.stdout.write(`  end-to-end / bare ORT:            ${(oursIps / bare.imagesPerSec).toFixed(3)}   (target >= 0.90)\n`);
  process.stdout.write(`  end-to-end / onnxruntime-node JS: ${(oursIps / baseIps).toFixed(2)}x   (target >= 1.5x)\n`);
  det.close();
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
