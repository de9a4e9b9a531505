'use strict';
// scripts/gan-metrics.js end to end on flat-colour generators made in the test: against
// real images of exactly their colour the distances are 0, against another colour they
// are not, so the script must generate each class and compare it with that class's folder.
// scripts/gan-augment.sh: its usage errors (the training itself is the documented run).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { encodeImage } = require('../dist');
const { tinyDieGenerator, tinyPackageGenerator } = require('./helpers/onnx');

const ROOT = path.join(__dirname, '..');

async function flatPngs(dir, n, width, height, rgb) {
  fs.mkdirSync(dir, { recursive: true });
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb.map((v) => Math.round(v * 255)), i * 3);
  const png = await encodeImage({ data, width, height, channels: 3, rgb: true }, { format: 'png' });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `${String(i).padStart(6, '0')}.png`), png);
}

describe('GAN scripts', function () {
  this.timeout(180000);
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-gan-scripts-'));
    const ref = path.join(dir, 'ref');
    // die_crack real = red, as the generator's crack; die_rotation real = green, unlike its blue
    for (const split of ['train-dies', 'test-dies']) {
      await flatPngs(path.join(ref, split, 'die_crack'), 6, 16, 16, [1, 0, 0]);
      await flatPngs(path.join(ref, split, 'die_rotation'), 6, 16, 16, [0, 1, 0]);
    }
    await flatPngs(path.join(ref, 'train-boards'), 4, 32, 24, [1, 0, 1]);
    await flatPngs(path.join(ref, 'test-boards'), 4, 32, 24, [1, 0, 1]);
    fs.writeFileSync(path.join(dir, 'dies.onnx'), tinyDieGenerator({ size: 16, zGreen: 0 }));
    fs.writeFileSync(path.join(dir, 'boards.onnx'), tinyPackageGenerator({ height: 24, width: 32, zGreen: 0 }));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gan-metrics.js: FID and KID 0 against the generator\'s own colour, above 0 against another; seams and pictures', () => {
    const json = path.join(dir, 'report.json');
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'gan-metrics.js'), '--ref', path.join(dir, 'ref'),
      '--dies', path.join(dir, 'dies.onnx'), '--boards', `flat=${path.join(dir, 'boards.onnx')}`, '--kid-subsets', '3',
      '--pictures', path.join(dir, 'pics'), '--json', json], { cwd: ROOT, encoding: 'utf8' });
    assert.match(out, /\| die_crack \| GAN vs real \(held-out\) \| 6 \/ 6 \|/);
    const r = JSON.parse(fs.readFileSync(json, 'utf8'));
    const byClass = Object.fromEntries(r.dies.map((d) => [d.class, d]));
    assert.ok(byClass.die_crack.gan.fid < 1e-6, `crack FID ${byClass.die_crack.gan.fid}`);
    assert.ok(Math.abs(byClass.die_crack.gan.kid) < 1e-6);
    assert.ok(byClass.die_rotation.gan.fid > 1e-3, `rotation FID ${byClass.die_rotation.gan.fid}`);
    assert.ok(byClass.die_rotation.gan.kid > 1e-4);
    assert.ok(byClass.die_crack.floor.fid < 1e-6 && r.betweenClasses.fid > 1e-3);
    const flat = r.boards.find((b) => b.name === 'flat');
    assert.ok(flat.fid < 1e-6 && flat.seamRatio === 1, JSON.stringify(flat));
    for (const f of ['gan-dies.jpg', 'gan-pasted.jpg', 'gan-boards.jpg']) assert.ok(fs.statSync(path.join(dir, 'pics', f)).size > 1000, f);
  });

  it('gan-metrics.js and gan-augment.sh exit with code 2 on usage errors', () => {
    const metrics = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gan-metrics.js'), '--dies', 'x.onnx'], { encoding: 'utf8' });
    assert.strictEqual(metrics.status, 2);
    assert.match(metrics.stderr, /--ref is required/);
    const augment = spawnSync('bash', [path.join(ROOT, 'scripts', 'gan-augment.sh'), '--n', '10'], { encoding: 'utf8' });
    assert.strictEqual(augment.status, 2);
    assert.match(augment.stderr, /usage: bash scripts\/gan-augment.sh --generator/);
  });
});
