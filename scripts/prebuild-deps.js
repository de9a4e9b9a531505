#!/usr/bin/env node
'use strict';
// What the prebuilt addon links, as the loader resolves it: each library either
// ships beside the addon in the platform package or belongs to a minimal
// Debian/Ubuntu base system (BASE). Prints one line a library;
//   node scripts/prebuild-deps.js [--json] [--check]
// --check exits 1 when a library is neither shipped nor base (or is not found).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PREBUILD_DIR = path.join(root, 'packages', 'linux-x64', 'prebuilds', 'linux-x64');
const ADDON = path.join(PREBUILD_DIR, 'die-inspect.node');

// glibc, the GCC runtime, and the compression libraries dpkg itself needs: present in
// every Debian 12 / Ubuntu 22.04+ base system (debootstrap --variant=minbase).
const BASE = new Set(['linux-vdso.so.1', 'ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6', 'libdl.so.2', 'librt.so.1',
  'libpthread.so.0', 'libgcc_s.so.1', 'libstdc++.so.6', 'libz.so.1', 'liblzma.so.5', 'libzstd.so.1']);

/** [{ soname, path }] for every library `ldd` resolves for `file` (its whole closure). */
function ldd(file, env = {}) {
  const out = execFileSync('ldd', [file], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = l.match(/^(\S+)(?: => (not found|\S+))?/);
    const soname = path.basename(m[1]);
    const where = m[2] ?? (m[1].startsWith('/') ? m[1] : null);
    return { soname, path: where === 'not found' ? null : where };
  });
}

/** Each library with how it is provided: 'shipped' (beside the addon), 'base', or 'missing'. */
function report(addon = ADDON) {
  const dir = path.dirname(addon);
  return ldd(addon).map((d) => ({
    ...d,
    // the vDSO is the kernel's, mapped into every process: it has no file
    provided: d.path && path.dirname(d.path) === dir ? 'shipped' : BASE.has(d.soname) && (d.path || d.soname === 'linux-vdso.so.1') ? 'base' : 'missing',
  }));
}

if (require.main === module) {
  if (!fs.existsSync(ADDON)) {
    process.stderr.write(`no prebuild at ${ADDON}: run node scripts/prebuild.js first\n`);
    process.exit(1);
  }
  const rows = report();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else for (const r of rows) process.stdout.write(`${r.soname.padEnd(24)} ${r.provided}\n`);
  if (process.argv.includes('--check') && rows.some((r) => r.provided === 'missing')) process.exit(1);
}

module.exports = { report, ldd, BASE, PREBUILD_DIR, ADDON };
