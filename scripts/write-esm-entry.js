#!/usr/bin/env node
'use strict';
// Writes an ES module entry beside each CommonJS entry point (dist/index.mjs,
// dist/eval/index.mjs), re-exporting it by name, so `import { Detector } from
// 'die-inspect'` and `import { rocAuc } from 'die-inspect/eval'` work alongside require().
const fs = require('fs');
const path = require('path');

const dist = path.resolve(__dirname, '..', 'dist');
for (const entry of ['index', 'eval/index']) {
  const cjs = path.join(dist, `${entry}.js`);
  const names = Object.keys(require(cjs)).filter((n) => n !== 'default' && n !== '__esModule');
  const lines = [
    "import cjs from './index.js';",
    ...names.map((n) => `export const ${n} = cjs.${n};`),
    'export default cjs;',
    '',
  ];
  fs.writeFileSync(path.join(dist, `${entry}.mjs`), lines.join('\n'));
  fs.writeFileSync(path.join(dist, `${entry}.d.mts`), "export * from './index.js';\n");
}
