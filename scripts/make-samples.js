#!/usr/bin/env node
'use strict';
// Regenerates samples/: ten synthetic parts (seed 2026), brightfield, plus the
// darkfield views of the first two so the mode filter has something to skip.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize } = require('../dist');

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-samples-'));
  await synthesize({ out: tmp, count: 10, seed: 2026, modes: ['brightfield', 'darkfield-white', 'darkfield-blue'] });
  const meta = JSON.parse(fs.readFileSync(path.join(tmp, 'meta.json'), 'utf8'));
  const keep = meta.filter((m) => m.mode === 'brightfield' || (m.part === 0 && m.mode === 'darkfield-white') || (m.part === 1 && m.mode === 'darkfield-blue'));
  const out = path.resolve(__dirname, '..', 'samples');
  fs.rmSync(path.join(out, 'images'), { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'images'), { recursive: true });
  for (const m of keep) fs.copyFileSync(path.join(tmp, m.file), path.join(out, m.file));
  fs.writeFileSync(path.join(out, 'meta.json'), `[\n${keep.map((m) => JSON.stringify(m)).join(',\n')}\n]\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(`wrote ${keep.length} sample images to ${out}\n`);
})();
