#!/usr/bin/env node
'use strict';
// Makes the platform package's prebuild: packages/linux-x64/prebuilds/linux-x64/
// holds die-inspect.node (built by prebuildify through cmake-js, stripped) and every
// library it loads that a base system lacks (the ONNX Runtime core, TBB, LAPACK/BLAS,
// the image codecs), each found through $ORIGIN, with their licences beside them.
//   node scripts/prebuild.js        (after npm ci; reuses build/ when it is configured)
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ldd, report, BASE, PREBUILD_DIR, ADDON } = require('./prebuild-deps.js');

const root = path.resolve(__dirname, '..');
const pkgDir = path.join(root, 'packages', 'linux-x64');

function prebuildify() {
  fs.rmSync(path.join(pkgDir, 'prebuilds'), { recursive: true, force: true });
  const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
  const r = spawnSync(process.execPath, [bin, '--napi', '--strip', '--out', pkgDir, '--node-gyp', path.join(__dirname, 'prebuildify-cmake.js')],
    { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`prebuildify failed (${r.status})`);
  if (!fs.existsSync(ADDON)) throw new Error(`prebuildify left no ${ADDON}`);
}

/** Copies the addon's non-base libraries beside it; those that load others of them look in $ORIGIN. */
function bundle() {
  const copied = [];
  // The ORT core is where the build took it from (the addon's RUNPATH expects it
  // beside the main package, not beside the platform package).
  const ortDir = path.dirname(require('./find-onnxruntime.js').locate().lib);
  for (const d of ldd(ADDON, { LD_LIBRARY_PATH: ortDir })) {
    if (BASE.has(d.soname)) continue;
    if (!d.path) throw new Error(`${d.soname}: not found on this machine`);
    if (path.dirname(d.path) === PREBUILD_DIR) continue;
    fs.copyFileSync(fs.realpathSync(d.path), path.join(PREBUILD_DIR, d.soname));
    copied.push({ soname: d.soname, from: fs.realpathSync(d.path) });
  }
  for (const c of copied) {
    const file = path.join(PREBUILD_DIR, c.soname);
    const needed = execFileSync('patchelf', ['--print-needed', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (needed.some((n) => copied.some((o) => o.soname === n))) execFileSync('patchelf', ['--set-rpath', '$ORIGIN', file]);
  }
  return copied;
}

/** THIRD-PARTY.md and licenses/: the Debian package, version and copyright file of each shipped library. */
function notices(copied) {
  const lic = path.join(pkgDir, 'licenses');
  fs.rmSync(lic, { recursive: true, force: true });
  fs.mkdirSync(lic);
  const lines = ['# Libraries shipped beside the addon', '',
    'Each is the unmodified library from the Debian 12 package named (RUNPATH set to `$ORIGIN` where it loads another of them);',
    'its copyright and licence are in `licenses/<package>.copyright`.', '', '| library | package | version |', '|---|---|---|'];
  for (const c of copied) {
    let pkg;
    let version;
    if (c.soname === 'libonnxruntime.so.1') {
      const ort = path.dirname(require.resolve('onnxruntime-node/package.json', { paths: [root] }));
      pkg = 'onnxruntime-node (npm)';
      version = JSON.parse(fs.readFileSync(path.join(ort, 'package.json'), 'utf8')).version;
      const license = ['LICENSE', 'LICENSE.txt'].map((f) => path.join(ort, f)).find((f) => fs.existsSync(f));
      if (license) fs.copyFileSync(license, path.join(lic, 'onnxruntime.copyright'));
    } else {
      pkg = execFileSync('dpkg-query', ['-S', c.from], { encoding: 'utf8' }).split(':')[0];
      version = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
      const copyright = `/usr/share/doc/${pkg}/copyright`;
      if (fs.existsSync(copyright)) fs.copyFileSync(copyright, path.join(lic, `${pkg}.copyright`));
    }
    lines.push(`| ${c.soname} | ${pkg} | ${version} |`);
  }
  lines.push('', 'OpenCV 4.6 (core, imgproc, video; Apache-2.0) is linked statically from Debian\'s libopencv-*-dev archives.', '');
  const ocv = '/usr/share/doc/libopencv-core-dev/copyright';
  if (fs.existsSync(ocv)) fs.copyFileSync(ocv, path.join(lic, 'libopencv-core-dev.copyright'));
  fs.writeFileSync(path.join(pkgDir, 'THIRD-PARTY.md'), lines.join('\n'));
}

prebuildify();
const copied = bundle();
notices(copied);
const rows = report();
for (const r of rows) process.stdout.write(`${r.soname.padEnd(24)} ${r.provided}\n`);
if (rows.some((r) => r.provided === 'missing')) {
  process.stderr.write('prebuild: a library is neither shipped nor part of a base system\n');
  process.exit(1);
}
