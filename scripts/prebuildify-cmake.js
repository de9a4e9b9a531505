#!/usr/bin/env node
'use strict';
// prebuildify runs `<node-gyp> rebuild ...`; it has no cmake-js backend, so this
// stand-in builds with cmake-js instead and leaves build/Release/die_inspect.node
// where prebuildify collects it. Node-API builds are ABI-stable: target flags are moot.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// prebuildify moves this file and strips it in place (strip keeps the inode): hand it
// a copy, so a process that has the local build loaded (a test run) keeps intact pages.
const built = path.join(__dirname, '..', 'build', 'Release', 'die_inspect.node');
fs.copyFileSync(built, `${built}.tmp`);
fs.renameSync(`${built}.tmp`, built);
