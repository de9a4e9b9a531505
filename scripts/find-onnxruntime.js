#!/usr/bin/env node
'use strict';
// Locates ONNX Runtime for the native build.
//   ONNXRUNTIME_ROOT=/opt/onnxruntime-linux-x64-gpu-1.29.0  -> an official release (include/ + lib/)
//   otherwise: C/C++ headers from the com.github.asus4.onnxruntime package and the
//   GPU-capable core library that onnxruntime-node ships.
// Prints KEY=VALUE lines (--cmake) or gyp fragments (--gyp-include, --gyp-lib, --gyp-rpath).
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ORT_NODE_LIB_DIR = ['bin', 'napi-v6', 'linux', 'x64'];

function resolvePackageDir(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
  } catch {
    return null;
  }
}

function fromRoot(ortRoot) {
  const include = fs.existsSync(path.join(ortRoot, 'include', 'onnxruntime_cxx_api.h'))
    ? path.join(ortRoot, 'include')
    : path.join(ortRoot, 'include', 'onnxruntime');
  const lib = path.join(ortRoot, 'lib', 'libonnxruntime.so');
  return { include, lib, runpath: [path.join(ortRoot, 'lib')] };
}

function fromNpm() {
  const headersPkg = resolvePackageDir('com.github.asus4.onnxruntime');
  const corePkg = resolvePackageDir('onnxruntime-node');
  if (!headersPkg || !corePkg) return null;
  const include = path.join(headersPkg, 'Plugins', 'iOS~', 'onnxruntime.xcframework', 'ios-arm64',
    'onnxruntime.framework', 'Headers');
  const lib = path.join(corePkg, ...ORT_NODE_LIB_DIR, 'libonnxruntime.so.1');
  // The addon lives in build/Release or prebuilds/linux-x64 (two levels down).
  // onnxruntime-node is either in our own node_modules or hoisted beside us.
  const rel = ORT_NODE_LIB_DIR.join('/');
  const runpath = [
    `$ORIGIN/../../node_modules/onnxruntime-node/${rel}`,
    `$ORIGIN/../../../onnxruntime-node/${rel}`,
  ];
  return { include, lib, runpath };
}

function locate() {
  const ortRoot = process.env.ONNXRUNTIME_ROOT;
  const found = ortRoot ? fromRoot(path.resolve(ortRoot)) : fromNpm();
  if (!found) throw new Error('ONNX Runtime not found: set ONNXRUNTIME_ROOT or install the npm dev dependencies');
  for (const p of [path.join(found.include, 'onnxruntime_cxx_api.h'), found.lib]) {
    if (!fs.existsSync(p)) throw new Error(`ONNX Runtime file missing: ${p}`);
  }
  return found;
}

if (require.main === module) {
  try {
    const ort = locate();
    const arg = process.argv[2];
    if (arg === '--cmake') {
      process.stdout.write(`ORT_INCLUDE_DIR=${ort.include}\nORT_LIBRARY=${ort.lib}\nORT_RUNPATH=${ort.runpath.join(':')}\n`);
    } else if (arg === '--gyp-include') process.stdout.write(ort.include);
    else if (arg === '--gyp-lib') process.stdout.write(ort.lib);
    else if (arg === '--gyp-rpath') {
      // gyp splits this output like a shell (outer quotes go), make turns $$ into $,
      // and the inner single quotes keep the shell from expanding $ORIGIN.
      process.stdout.write(ort.runpath.map((r) => `"-Wl,-rpath,'${r.replace('$ORIGIN', '$$$$ORIGIN')}'"`).join(' '));
    }
    else process.stdout.write(JSON.stringify(ort, null, 2) + '\n');
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

module.exports = { locate };
