#!/usr/bin/env node
'use strict';
// `die-inspect build-addon`: builds the addon from source where no prebuilt one
// loads (another platform, an older glibc), or says what the build needs. Nothing
// to do when an addon already loads (unless --force).
const path = require('path');
const { spawnSync } = require('child_process');
const { loadAddon } = require('./load-addon.js');

const root = path.resolve(__dirname, '..');
if (!process.argv.includes('--force')) {
  try {
    const { file } = loadAddon();
    process.stdout.write(`die-inspect: the addon at ${file} loads; nothing to build (--force builds anyway)\n`);
    process.exit(0);
  } catch (err) {
    process.stdout.write(`die-inspect: no addon loads here (${err.tried.join('; ')}); building from source\n`);
  }
}

const resolvable = (name) => {
  try {
    require.resolve(`${name}/package.json`, { paths: [root] });
    return true;
  } catch {
    return false;
  }
};
const missing = [];
if (!resolvable('cmake-js')) missing.push('cmake-js@8');
// ONNX Runtime as the build itself will look for it (scripts/find-onnxruntime.js).
let ortProblem = null;
try {
  require('./find-onnxruntime.js').locate();
} catch (err) {
  if (process.env.ONNXRUNTIME_ROOT) ortProblem = err.message;
  else missing.push(...['com.github.asus4.onnxruntime@0.4.9', 'onnxruntime-node@1.29.0'].filter((p) => !resolvable(p.replace(/@[^@]*$/, ''))));
  if (!ortProblem && !missing.some((m) => /onnxruntime/.test(m))) ortProblem = err.message;
}
const tools = ['cmake', 'pkg-config', 'c++'].filter((t) => spawnSync(t, ['--version']).status !== 0);
if (missing.length || tools.length || ortProblem) {
  process.stderr.write([
    'die-inspect: the source build needs what is not here:',
    ...(tools.length ? [`  system: ${tools.join(', ')} (Debian/Ubuntu: apt-get install libopencv-dev libjpeg62-turbo-dev libpng-dev libtiff-dev cmake ninja-build g++ pkg-config)`] : []),
    ...(ortProblem ? [`  ONNX Runtime: ${ortProblem}`] : []),
    ...(missing.length ? [`  npm: ${missing.join(' ')} (npm install --no-save ${missing.join(' ')}; ONNXRUNTIME_ROOT=<an ONNX Runtime release> replaces the two ONNX Runtime packages)`] : []),
    'then run this again. See docs/building.md.',
    '',
  ].join('\n'));
  process.exit(1);
}
const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
