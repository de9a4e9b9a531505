'use strict';
// What `npm install die-inspect` runs and what npm says in this repository: no
// install script anywhere in the runtime dependency tree, no build implied by a
// binding.gyp, and no warning from a project config npm does not know.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.join(__dirname, '..');
const manifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall'];

/** Where node finds package `name` from `from` (node_modules upwards; exports may hide package.json from require). */
function packageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const hit = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(hit, 'package.json'))) return hit;
    if (path.dirname(dir) === dir) throw new Error(`${name} not found from ${from}`);
  }
}

describe('package', () => {
  it('die-inspect and every runtime dependency (transitively) have no install script', () => {
    const root = manifest(repo);
    assert.strictEqual(root.gypfile, false, 'a binding.gyp would make npm run node-gyp rebuild');
    const seen = new Map();
    const visit = (name, from) => {
      if (seen.has(name)) return;
      const dir = packageDir(name, from);
      const pkg = manifest(dir);
      seen.set(name, INSTALL_HOOKS.filter((h) => pkg.scripts?.[h]));
      for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, dir);
    };
    assert.deepStrictEqual(INSTALL_HOOKS.filter((h) => root.scripts?.[h]), []);
    for (const dep of Object.keys({ ...root.dependencies, ...root.optionalDependencies })) visit(dep, repo);
    assert.ok(seen.has('die-inspect-linux-x64') && seen.has('protobufjs'), [...seen.keys()].join(', '));
    const withScripts = [...seen].filter(([, hooks]) => hooks.length);
    assert.deepStrictEqual(withScripts, []);
  });

  it('npm in this repository warns about no unknown config', () => {
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: repo, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout.trim(), '"die-inspect"');
    assert.doesNotMatch(r.stderr, /Unknown (project|user|env) config/);
  });

  it('the packages built from this repository share one version, which the main package pins', () => {
    const root = manifest(repo);
    for (const d of fs.readdirSync(path.join(repo, 'packages'))) {
      assert.strictEqual(manifest(path.join(repo, 'packages', d)).version, root.version, d);
    }
    assert.strictEqual(root.optionalDependencies['die-inspect-linux-x64'], root.version);
  });

  it('packs the review station\'s front end: every asset it serves is in the package or a runtime dependency', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.strictEqual(r.status, 0, r.stderr);
    const files = new Set(JSON.parse(r.stdout)[0].files.map((f) => f.path));
    const { ASSET_NAMES, WEB_DIR } = require('../dist/serve/assets');
    for (const name of ASSET_NAMES.filter((n) => n !== 'preact-htm.js')) {
      assert.ok(fs.existsSync(path.join(WEB_DIR, name)), name);
      assert.ok(files.has(`web/review/${name}`), `web/review/${name} is packed`);
    }
    // Preact and htm come from htm's bundle, a runtime dependency (no CDN, no build step).
    assert.ok(manifest(repo).dependencies.htm, 'htm is a runtime dependency');
    assert.ok(fs.existsSync(path.join(packageDir('htm', repo), 'preact', 'standalone.module.js')));
  });
});
