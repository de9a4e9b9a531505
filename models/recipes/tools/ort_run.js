#!/usr/bin/env node
// Run an ONNX model once with onnxruntime-node (CPU) for export checks.
// usage: node ort_run.js MODEL INPUT.f32 N,C,H,W OUTPUT.f32 [NAME:int64:D0,D1:PATH ...]
// The first input takes INPUT.f32; each further argument feeds another input from a raw
// little-endian file (int64 or float32).
// Writes the first output as raw float32 to OUTPUT.f32 (output k > 0 to OUTPUT.f32.k) and
// prints the output names and dims as JSON. onnxruntime-node is looked up through the normal Node resolution
// (set NODE_PATH to a node_modules folder that has it).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inPath, dimsArg, outPath, ...extra] = process.argv.slice(2);
  if (!outPath) throw new Error('usage: ort_run.js MODEL INPUT.f32 N,C,H,W OUTPUT.f32');
  const dims = dimsArg.split(',').map(Number);
  const buf = fs.readFileSync(inPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  for (const spec of extra) {
    const [name, type, shape, file] = spec.split(':');
    const raw = fs.readFileSync(file);
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    const values = type === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab);
    feeds[name] = new ort.Tensor(type, values, shape.split(',').map(Number));
  }
  const result = await session.run(feeds);
  const allDims = session.outputNames.map((name, k) => {
    const out = result[name];
    fs.writeFileSync(k ? `${outPath}.${k}` : outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
    return out.dims;
  });
  console.log(JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames, dims: allDims[0], allDims }));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
