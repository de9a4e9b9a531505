#!/usr/bin/env node
'use strict';
// The main job on what ships in the repository: detection with a generated
// YOLO model on the DeepPCB sample pair. (Replaced by `inspect` over the
// bundled die samples once the shipped models land.)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { constantDetector } = require('../test/helpers/onnx');

const root = path.resolve(__dirname, '..');
const model = path.join(os.tmpdir(), 'die-inspect-demo.onnx');
fs.writeFileSync(model, constantDetector({ rows: [[320, 320, 100, 50, 0.9, 0.1, 0.9]], metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}" } }));
const samples = path.join(root, '..', 'shared', 'datasets', 'deeppcb', 'group00041', '00041');
const r = spawnSync(process.execPath, [path.join(root, 'bin', 'die-inspect.js'), 'detect', '-m', model, samples], { stdio: 'inherit' });
process.exit(r.status ?? 1);
