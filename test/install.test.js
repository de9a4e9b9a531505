'use strict';
// The package as a user gets it. The repository is packed (the main package, the
// platform package with the prebuilt addon, the two model packages) and installed
// into a new project inside a Debian 12 minbase root entered with chroot: no
// compiler, cmake, python, OpenCV or -dev package, and no library but a base
// system's. There the CLI inspects the samples and a CommonJS and an ES module
// script use the API by model name. The root is made once by
// test/install/make-root.sh (debootstrap from Debian's mirror, about a minute;
// .ci/run makes it first, else this suite does). Needs root (chroot, mount): for
// another user the suite is skipped, and in CI that fails.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repo = path.join(__dirname, '..');
const ROOT = process.env.DIE_INSPECT_TEST_ROOT || '/var/cache/die-inspect/minbase-bookworm';
const MAX_MAIN_PACKAGE = 40e6;
const meta = JSON.parse(fs.readFileSync(path.join(repo, 'samples', 'meta.json'), 'utf8'));

/** The verdict a sample must get: darkfield views are skipped, a part with a defect fails. */
function expectedVerdict(m) {
  if (m.mode !== 'brightfield') return 'skipped';
  return m.defects.length > 0 ? 'fail' : 'pass';
}

const CJS = `'use strict';
const { Inspector, Detector, Classifier } = require('die-inspect');
(async () => {
  const out = {};
  const inspector = await Inspector.create();
  const res = await inspector.inspect(['../samples/images/000000.jpg', '../samples/images/000007.jpg']);
  out.inspector = res.map((r) => r.verdict);
  inspector.close();
  const det = await Detector.create('die-defect-yolov7tiny');
  out.classNames = det.classNames;
  out.detections = (await det.detectOne('../samples/images/000001.jpg')).detections.map((d) => [d.label, d.score]);
  det.close();
  const cls = await Classifier.create('die-good-defect-resnet18s');
  out.classified = (await cls.classify(['../samples/images/000000.jpg'])).map((r) => r.probabilities);
  cls.close();
  try {
    await Detector.create('deeppcb-yolov7tiny');
    out.extra = 'loaded';
  } catch (err) {
    out.extra = { code: err.code, message: err.message };
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

const ESM = `import { Inspector, Detector, Classifier, Roi } from 'die-inspect';
const out = {};
const inspector = await Inspector.create();
out.inspector = (await inspector.inspect(['../samples/images/000001.jpg'])).map((r) => r.verdict);
inspector.close();
const det = await Detector.create('die-defect-yolov7tiny');
out.classNames = det.classNames;
det.close();
const cls = await Classifier.create('die-good-defect-vggs');
out.classNames2 = cls.classNames;
cls.close();
const extra = await Detector.create('die-defect-yolov7tiny-nwd-coordconv').then((d) => { d.close(); return 'loaded'; }, (err) => err.code);
out.extra = extra;
const roi = await Roi.create({ strategy: 'seg' });
out.seg = (await roi.capture(['../samples/images/000003.jpg'])).map((r) => r.status);
roi.close();
process.stdout.write(JSON.stringify(out));
`;

describe('npm install die-inspect in a bare Debian 12 root', function () {
  this.timeout(20 * 60 * 1000);
  const work = `/work-${process.pid}`;
  const W = path.join(ROOT, work);
  const mounts = [];
  const out = {};

  /** Runs a shell command inside the root, as a user's shell would: a clean environment. */
  function inRoot(cmd) {
    const r = spawnSync('chroot', [ROOT, '/usr/bin/env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', '/bin/sh', '-c', `cd ${work}/app && ${cmd}`],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function mount(args, target) {
    fs.mkdirSync(target, { recursive: true });
    execFileSync('mount', [...args, target]);
    mounts.push(target);
  }

  let host;
  before(async function () {
    if (process.getuid?.() !== 0) {
      if (process.env.CI) throw new Error('the install test needs root (chroot, mount)');
      this.skip();
    }
    if (!fs.existsSync(path.join(ROOT, '.complete'))) {
      const made = spawnSync('bash', [path.join(__dirname, 'install', 'make-root.sh'), ROOT], { encoding: 'utf8' });
      assert.strictEqual(made.status, 0, `could not make the minbase root:\n${made.stderr}`);
    }
    // What this checkout computes, to compare the installed package with.
    const { Detector, Classifier } = require('..');
    const det = await Detector.create('die-defect-yolov7tiny');
    const cls = await Classifier.create('die-good-defect-resnet18s');
    host = {
      detections: (await det.detectOne(path.join(repo, 'samples/images/000001.jpg'))).detections.map((d) => [d.label, d.score]),
      classified: (await cls.classify([path.join(repo, 'samples/images/000000.jpg')])).map((c) => c.probabilities),
    };
    det.close();
    cls.close();
    // The prebuild from the build the suite just made (pretest), then the four tarballs.
    const pb = spawnSync(process.execPath, [path.join(repo, 'scripts', 'prebuild.js')], { cwd: repo, encoding: 'utf8' });
    assert.strictEqual(pb.status, 0, `prebuild failed:\n${pb.stdout}\n${pb.stderr}`);
    out.prebuildDeps = pb.stdout;
    const pkgs = path.join(W, 'pkgs');
    fs.mkdirSync(pkgs, { recursive: true });
    const pack = (extra) => JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', pkgs, ...extra],
      { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    out.packs = [...pack([]), ...pack(['-w', 'die-inspect-linux-x64', '-w', 'die-inspect-models-extra', '-w', 'die-inspect-models-roi'])];

    fs.mkdirSync(path.join(W, 'app'), { recursive: true });
    fs.writeFileSync(path.join(W, 'app', 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    fs.writeFileSync(path.join(W, 'app', 'check.cjs'), CJS);
    fs.writeFileSync(path.join(W, 'app', 'check.mjs'), ESM);
    fs.cpSync(path.join(repo, 'samples'), path.join(W, 'samples'), { recursive: true });
    // Node and npm as a user has them; this machine's npm settings, CA file and cache
    // (npm takes the dependencies from the cache when it has them, else the registry).
    const npmDir = path.dirname(path.dirname(require.resolve('npm/package.json', { paths: [path.dirname(path.dirname(process.execPath)) + '/lib'] })));
    fs.mkdirSync(path.join(ROOT, 'usr/local/bin'), { recursive: true });
    fs.copyFileSync(process.execPath, path.join(ROOT, 'usr/local/bin/node'));
    fs.chmodSync(path.join(ROOT, 'usr/local/bin/node'), 0o755);
    fs.rmSync(path.join(ROOT, 'usr/local/lib/node_modules/npm'), { recursive: true, force: true });
    fs.cpSync(path.join(npmDir, 'npm'), path.join(ROOT, 'usr/local/lib/node_modules/npm'), { recursive: true });
    for (const [bin, target] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']]) {
      fs.rmSync(path.join(ROOT, 'usr/local/bin', bin), { force: true });
      fs.symlinkSync(`../lib/node_modules/npm/bin/${target}`, path.join(ROOT, 'usr/local/bin', bin));
    }
    for (const f of [path.join(os.homedir(), '.npmrc'), '/etc/resolv.conf', '/etc/ssl/certs/ca-certificates.crt']) {
      const dest = path.join(ROOT, f.startsWith(os.homedir()) ? f.replace(os.homedir(), '/root') : f);
      if (fs.existsSync(f)) {
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(f, dest);
      }
    }
    mount(['-t', 'proc', 'proc'], path.join(ROOT, 'proc'));
    mount(['--bind', '/dev'], path.join(ROOT, 'dev'));
    fs.mkdirSync(path.join(os.homedir(), '.npm'), { recursive: true });
    mount(['--bind', path.join(os.homedir(), '.npm')], path.join(ROOT, 'root/.npm'));

    out.tools = inRoot('for t in cc gcc g++ cmake python3 make pkg-config; do command -v $t; done; ls /usr/lib/x86_64-linux-gnu /usr/lib 2>/dev/null | grep -E "opencv|libtiff|libpng|libjpeg|liblapack|libtbb" ; true').stdout;
    out.install = inRoot('npm install --prefer-offline --no-audit --no-fund ../pkgs/die-inspect-0.1.0.tgz ../pkgs/die-inspect-linux-x64-0.1.0.tgz');
    out.lddInRoot = inRoot('ldd node_modules/die-inspect-linux-x64/prebuilds/linux-x64/die-inspect.node');
    out.inspect = inRoot('npx die-inspect inspect ../samples/images --out ../out');
    out.results = fs.existsSync(path.join(W, 'out', 'results.jsonl'))
      ? fs.readFileSync(path.join(W, 'out', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
    out.cjs = inRoot('node check.cjs');
    out.infoMissing = inRoot('npx die-inspect info deeppcb-yolov7tiny');
    out.buildAddon = inRoot('npx die-inspect build-addon --force');
    out.installExtra = inRoot('npm install --prefer-offline --no-audit --no-fund ../pkgs/die-inspect-models-extra-0.1.0.tgz ../pkgs/die-inspect-models-roi-0.1.0.tgz');
    out.esm = inRoot('node check.mjs');
    out.infoExtra = inRoot('npx die-inspect info deeppcb-yolov7tiny --json');
  });

  after(() => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(W, { recursive: true, force: true });
  });

  it('the root has no compiler, cmake, python, OpenCV or codec library', () => {
    assert.strictEqual(out.tools.trim(), '', `found in the root:\n${out.tools}`);
  });

  it(`packs the main package under ${MAX_MAIN_PACKAGE / 1e6} MB, with the default models and die-good-defect-vggs only`, () => {
    const main = out.packs.find((p) => p.name === 'die-inspect');
    assert.ok(main.size <= MAX_MAIN_PACKAGE, `${main.size} bytes`);
    const onnx = main.files.map((f) => f.path).filter((f) => f.endsWith('.onnx')).sort();
    assert.deepStrictEqual(onnx, ['models/die-defect-yolov7tiny.onnx', 'models/die-good-defect-densenets.onnx',
      'models/die-good-defect-resnet18s.onnx', 'models/die-good-defect-vggs.onnx']);
    assert.ok(main.files.some((f) => f.path === 'models/ensembles/default.json'));
    const platform = out.packs.find((p) => p.name === 'die-inspect-linux-x64');
    assert.ok(platform.files.some((f) => f.path === 'prebuilds/linux-x64/die-inspect.node'));
    assert.ok(platform.files.some((f) => f.path === 'prebuilds/linux-x64/libonnxruntime.so.1'));
  });

  it('every library the installed addon loads resolves inside the root, shipped beside it or the root\'s own; docs/building.md lists them', () => {
    assert.strictEqual(out.lddInRoot.status, 0, out.lddInRoot.stderr);
    const lines = out.lddInRoot.stdout.trim().split('\n').map((l) => l.trim());
    assert.doesNotMatch(out.lddInRoot.stdout, /not found/);
    const { markdown, report } = require('../scripts/prebuild-deps.js');
    const rows = report();
    for (const l of lines) {
      const soname = path.basename(l.split(/\s/)[0]);
      const row = rows.find((r) => r.soname === soname);
      assert.ok(row, `${soname} is loaded in the root but not by the addon here`);
      if (row.provided === 'shipped') assert.match(l, /die-inspect-linux-x64\/prebuilds\/linux-x64\//, l);
      else assert.doesNotMatch(l, /die-inspect-linux-x64/, l);
    }
    assert.strictEqual(lines.length, rows.length);
    const doc = fs.readFileSync(path.join(repo, 'docs', 'building.md'), 'utf8');
    assert.ok(doc.includes(markdown(rows)), 'docs/building.md does not show `node scripts/prebuild-deps.js --markdown`');
  });

  it('installs quietly from the tarballs: no build, no install script, no warning', () => {
    assert.strictEqual(out.install.status, 0, out.install.stderr);
    assert.doesNotMatch(out.install.stdout + out.install.stderr, /warn|install script|gyp|cmake/i, out.install.stdout + out.install.stderr);
  });

  it('npx die-inspect inspect gives every sample the verdict samples/meta.json implies', () => {
    assert.strictEqual(out.inspect.status, 0, out.inspect.stderr);
    assert.strictEqual(out.results.length, meta.length);
    for (const m of meta) {
      const r = out.results.find((x) => x.path.endsWith(m.file));
      assert.ok(r, `no result for ${m.file}`);
      assert.strictEqual(r.verdict, expectedVerdict(m), `${m.file}: ${r.reasons}`);
    }
  });

  it('a CommonJS script loads the default models by name; a model of an uninstalled package says which package to install', () => {
    assert.strictEqual(out.cjs.status, 0, out.cjs.stderr);
    const r = JSON.parse(out.cjs.stdout);
    assert.deepStrictEqual(r.inspector, ['fail', expectedVerdict(meta.find((m) => m.file === 'images/000007.jpg'))]);
    assert.deepStrictEqual(r.classNames, ['die_crack', 'die_rotation']);
    // The prebuilt addon in the root computes what this checkout's build computes.
    assert.strictEqual(r.detections.length, host.detections.length, JSON.stringify(r.detections));
    r.detections.forEach(([label, score], i) => {
      assert.strictEqual(label, host.detections[i][0]);
      assert.ok(Math.abs(score - host.detections[i][1]) < 1e-4, `${score} vs ${host.detections[i][1]}`);
    });
    assert.ok(Math.abs(r.classified[0][1] - host.classified[0][1]) < 1e-4, `${r.classified} vs ${host.classified}`);
    assert.strictEqual(r.extra.code, 'ERR_CONFIG');
    assert.match(r.extra.message, /die-inspect-models-extra/);
    assert.match(out.infoMissing.stderr, /npm install die-inspect-models-extra/);
  });

  it('build-addon there names what a source build lacks instead of failing midway', () => {
    assert.strictEqual(out.buildAddon.status, 1, out.buildAddon.stdout + out.buildAddon.stderr);
    assert.match(out.buildAddon.stderr, /system: cmake, pkg-config, c\+\+ \(Debian\/Ubuntu: apt-get install libopencv-dev/);
    assert.match(out.buildAddon.stderr, /npm: cmake-js@8 com\.github\.asus4\.onnxruntime@0\.4\.9 onnxruntime-node@1\.29\.0/);
  });

  it('an ES module script runs the same API; the model packages\' models load by name (and as defaults) once installed', () => {
    assert.strictEqual(out.installExtra.status, 0, out.installExtra.stderr);
    assert.strictEqual(out.esm.status, 0, out.esm.stderr);
    const r = JSON.parse(out.esm.stdout);
    assert.deepStrictEqual(r.inspector, ['fail']);
    assert.deepStrictEqual(r.classNames, ['die_crack', 'die_rotation']);
    assert.deepStrictEqual(r.classNames2, ['good', 'defective']);
    assert.strictEqual(r.extra, 'loaded');
    assert.deepStrictEqual(r.seg, ['ok'], 'the seg strategy finds its default model in die-inspect-models-roi');
    assert.strictEqual(out.infoExtra.status, 0, out.infoExtra.stderr);
    assert.strictEqual(JSON.parse(out.infoExtra.stdout).metadata.planes, 'image,reference,difference');
  });
});
