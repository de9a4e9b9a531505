#!/usr/bin/env node
'use strict';
// The one list of native sources: every .cc under native/ but native/link/ (what
// only a static OpenCV link needs; CMakeLists.txt adds it then). CMakeLists.txt and
// binding.gyp both ask this script, so adding a file needs no build edit.
const fs = require('fs');
const path = require('path');

function collect(dir, root) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== path.join(root, 'native', 'link')) out.push(...collect(full, root));
    }
    else if (entry.name.endsWith('.cc')) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out;
}

const root = path.resolve(__dirname, '..');
const sources = collect(path.join(root, 'native'), root);
if (process.argv.includes('--cmake')) process.stdout.write(sources.map((s) => path.join(root, s)).join(';'));
else process.stdout.write(sources.join(' '));
