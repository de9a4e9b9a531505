#!/usr/bin/env node
'use strict';
// Writes dist/index.mjs: an ESM entry re-exporting the CommonJS build by name,
// so `import { Detector } from 'die-inspect'` works alongside require().
const fs = require('fs');
const path = require('path');

const dist = path.resolve(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import cjs from './index.js';",
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\n");
