#!/usr/bin/env node
'use strict';
// What the prebuilt addon links, as the loader resolves it: each library either
// ships beside the addon in the platform package or belongs to a minimal
// Debian/Ubuntu base system (BASE). Prints one line a library;
//   node scripts/prebuild-deps.js [--json | --markdown] [--check]
// (--markdown: the table docs/building.md shows, which test/install.test.js compares)
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

/** The Debian package a library comes from ('onnxruntime-node' for the ORT core, which npm brings). */
function origin(r) {
  if (r.soname === 'libonnxruntime.so.1') return 'onnxruntime-node (npm)';
  if (r.soname === 'linux-vdso.so.1') return 'the kernel';
  // the shipped copy is the system's file; ask dpkg about the system's path
  const file = r.provided === 'shipped' ? `/usr/lib/x86_64-linux-gnu/${r.soname}` : r.path;
  // dpkg knows a file by the path its package installed (/lib or /usr/lib, link or target)
  const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
  for (const f of [file, real, real.replace(/^\/usr\/lib\//, '/lib/'), file.replace(/^\/lib\//, '/usr/lib/')]) {
    try {
      return execFileSync('dpkg-query', ['-S', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0];
    } catch {
      // the next spelling
    }
  }
  return '?';
}

/** The newest GLIBC_ and GLIBCXX_ symbol versions the addon and the shipped libraries ask for. */
function symbolVersions(dir = PREBUILD_DIR) {
  const newest = { GLIBC: '0', GLIBCXX: '0' };
  const newer = (a, b) => (a.split('.').map(Number).reduce((d, x, i) => d || x - (b.split('.').map(Number)[i] ?? 0), 0) > 0 ? a : b);
  for (const f of fs.readdirSync(dir)) {
    const syms = execFileSync('objdump', ['-T', path.join(dir, f)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const m of syms.matchAll(/\b(GLIBC|GLIBCXX)_([0-9.]+)\b/g)) newest[m[1]] = newer(m[2], newest[m[1]]);
  }
  return newest;
}

/** The table of docs/building.md: one row a library, shipped ones first. */
function markdown(rows) {
  const order = (r) => (r.provided === 'shipped' ? 0 : 1);
  const sorted = [...rows].sort((a, b) => order(a) - order(b) || a.soname.localeCompare(b.soname));
  const v = symbolVersions();
  const where = { shipped: 'shipped in die-inspect-linux-x64', base: 'the base system', missing: 'MISSING' };
  return ['| library | from | provided by |', '|---|---|---|',
    ...sorted.map((r) => `| ${r.soname} | ${origin(r)} | ${where[r.provided]} |`),
    '', `Symbol versions asked for, at most (the addon and the shipped libraries): GLIBC_${v.GLIBC}, GLIBCXX_${v.GLIBCXX}.`].join('\n') + '\n';
}

if (require.main === module) {
  if (!fs.existsSync(ADDON)) {
    process.stderr.write(`no prebuild at ${ADDON}: run node scripts/prebuild.js first\n`);
    process.exit(1);
  }
  const rows = report();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (process.argv.includes('--markdown')) process.stdout.write(markdown(rows));
  else for (const r of rows) process.stdout.write(`${r.soname.padEnd(24)} ${r.provided}\n`);
  if (process.argv.includes('--check') && rows.some((r) => r.provided === 'missing')) process.exit(1);
}

module.exports = { report, markdown, ldd, BASE, PREBUILD_DIR, ADDON };
