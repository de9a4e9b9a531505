#!/usr/bin/env node
'use strict';
// Builds the addon with cmake-js (Ninja when present). Used by `npm install` when
// no prebuild fits, and by `npm run build:native`.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
// An already configured build tree only recompiles what changed (cmake-js falls
// back to a full rebuild if that fails); a fresh clone configures from scratch.
const configured = fs.existsSync(path.join(root, 'build', 'CMakeCache.txt'));
const args = [configured ? 'compile' : 'rebuild', '--out', 'build'];
if (spawnSync('ninja', ['--version']).status === 0) args.push('--generator', 'Ninja');
if (process.env.DIE_INSPECT_DEBUG) args.push('--debug');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const r = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
