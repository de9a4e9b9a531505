#!/usr/bin/env node
'use strict';
// Puts ONNX Runtime's CUDA / TensorRT provider libraries next to the core
// library that die-inspect loads (ORT loads providers from that directory).
//   npm install --no-save com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
//   node node_modules/die-inspect/scripts/install-gpu-providers.js [--from DIR]
// --from takes any folder holding libonnxruntime_providers_*.so (e.g. an official
// ORT GPU release's lib/). The providers need CUDA 12/13, cuDNN 9 and, for
// TensorRT, libnvinfer on the library path.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const WANTED = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'];

function find(dir, name, depth = 0) {
  if (depth > 8) return null;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return full;
    if (e.isDirectory()) {
      const hit = find(full, name, depth + 1);
      if (hit) return hit;
    }
  }
  return null;
}

function sourceDir() {
  const i = process.argv.indexOf('--from');
  if (i > 0) return path.resolve(process.argv[i + 1]);
  try {
    return path.dirname(require.resolve('com.github.asus4.onnxruntime.linux-x64-gpu/package.json', { paths: [root] }));
  } catch {
    return null;
  }
}

const from = sourceDir();
if (!from) {
  console.error('No provider libraries found: install com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 or pass --from DIR');
  process.exit(2);
}
// Beside the ORT core that the addon really loads: the platform package's prebuild
// folder, or onnxruntime-node's for a source build (the process's own map says which).
require('./load-addon.js').loadAddon();
const mapped = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).find((f) => f && /libonnxruntime\.so/.test(f));
if (!mapped) {
  console.error('the addon loaded no libonnxruntime.so');
  process.exit(1);
}
const dest = path.dirname(mapped);
let copied = 0;
for (const name of WANTED) {
  const src = find(from, name);
  if (!src) {
    console.warn(`not found in ${from}: ${name}`);
    continue;
  }
  fs.copyFileSync(src, path.join(dest, name));
  console.log(`${name} -> ${dest}`);
  copied++;
}
process.exit(copied > 0 ? 0 : 1);
