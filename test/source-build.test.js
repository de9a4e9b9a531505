'use strict';
// The fallback where no prebuild fits: the packed main package installed without
// its optional platform package, next to the build's npm packages, and built in
// place by `npx die-inspect build-addon` with this machine's compiler and Debian
// packages. The addon it makes is the one that loads, and it runs the models.
// A full native build: a minute or two on two cores.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repo = path.join(__dirname, '..');

describe('building the addon from source in a user\'s project', function () {
  this.timeout(25 * 60 * 1000);
  let dir;
  const out = {};

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-source-build-'));
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir],
      { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
    const devDeps = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).devDependencies;
    const build = ['cmake-js', 'com.github.asus4.onnxruntime', 'onnxruntime-node'].map((n) => `${n}@${devDeps[n]}`);
    out.install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional',
      path.join(dir, packed.filename), ...build], { cwd: dir, env, encoding: 'utf8' });
    out.build = spawnSync('npx', ['die-inspect', 'build-addon'], { cwd: dir, env, encoding: 'utf8' });
    const script = `const { Detector } = require('die-inspect');
      (async () => {
        const det = await Detector.create('die-defect-yolov7tiny');
        const r = await det.detectOne(${JSON.stringify(path.join(repo, 'samples', 'images', '000001.jpg'))});
        det.close();
        const loaded = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5])
          .find((f) => f && f.endsWith('.node') && f.includes('die-inspect'));
        process.stdout.write(JSON.stringify({ loaded, detections: r.detections.map((d) => [d.label, d.score]) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    out.run = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs without the platform package', () => {
    assert.strictEqual(out.install.status, 0, out.install.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules', 'die-inspect-linux-x64')));
  });

  it('build-addon builds node_modules/die-inspect/build/Release, and that addon runs the models', async () => {
    assert.strictEqual(out.build.status, 0, out.build.stdout + out.build.stderr);
    assert.match(out.build.stdout, /no addon loads here .*building from source/);
    assert.strictEqual(out.run.status, 0, out.run.stderr);
    const r = JSON.parse(out.run.stdout);
    assert.strictEqual(r.loaded, path.join(fs.realpathSync(dir), 'node_modules', 'die-inspect', 'build', 'Release', 'die_inspect.node'));
    // The same detections as this checkout's own build.
    const { Detector } = require('..');
    const det = await Detector.create('die-defect-yolov7tiny');
    const mine = (await det.detectOne(path.join(repo, 'samples', 'images', '000001.jpg'))).detections;
    det.close();
    assert.strictEqual(r.detections.length, mine.length);
    r.detections.forEach(([label, score], i) => {
      assert.strictEqual(label, mine[i].label);
      assert.ok(Math.abs(score - mine[i].score) < 1e-4, `${score} vs ${mine[i].score}`);
    });
  });
});
