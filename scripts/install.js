#!/usr/bin/env node
'use strict';
// npm install hook: use the prebuild (or an existing build) when it loads,
// otherwise compile with cmake-js against the system OpenCV.
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch (err) {
  process.stdout.write(`die-inspect: no loadable prebuild (${String(err.message).split('\n')[0]}); building from source\n`);
}
const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
