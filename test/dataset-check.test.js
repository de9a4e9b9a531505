'use strict';
// `dataset check` on generated splits with one of each problem planted: it finds exactly
// those and nothing else; a clean dataset has no findings.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize, decodeImage, encodeImage } = require('../dist');
const { run } = require('./helpers/cli');

describe('die-inspect dataset check', function () {
  this.timeout(120000);
  let dir;
  let train;
  let val;
  const img = (split, name) => path.join(split, 'images', name);
  const lbl = (split, name) => path.join(split, 'labels', name.replace(/\.jpg$/, '.txt'));
  const check = async (...args) => {
    const r = await run(['dataset', 'check', ...args, '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-check-'));
    await synthesize({ out: path.join(dir, 't'), count: 10, seed: 31, crops: true });
    await synthesize({ out: path.join(dir, 'v'), count: 6, seed: 32, crops: true });
    train = path.join(dir, 't', 'crops');
    val = path.join(dir, 'v', 'crops');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong in clean synthetic splits, and counts their balance', async () => {
    const r = await check(`train=${train}`, `val=${val}`);
    assert.deepStrictEqual(r.findings, []);
    assert.deepStrictEqual(r.splits.map((s) => [s.split, s.images]), [['train', 10], ['val', 6]]);
    assert.deepStrictEqual(r.classNames, ['die_crack', 'die_rotation']);
    const labelled = fs.readdirSync(path.join(train, 'labels')).filter((f) => fs.statSync(path.join(train, 'labels', f)).size > 0).length;
    assert.strictEqual(r.splits[0].defectFree, 10 - labelled);
  });

  it('finds exactly the planted problems', async () => {
    const names = fs.readdirSync(path.join(train, 'images')).sort();
    const [a, b, c, d, e, f, g, h] = names;
    fs.copyFileSync(img(train, a), img(train, 'dup.jpg'));
    fs.copyFileSync(lbl(train, a), lbl(train, 'dup.jpg'));
    fs.copyFileSync(img(train, b), img(val, 'leak.jpg'));
    fs.copyFileSync(lbl(train, b), lbl(val, 'leak.jpg'));
    fs.writeFileSync(img(val, 'near.jpg'), await encodeImage(await decodeImage(img(train, c)), { format: 'jpeg', quality: 60 }));
    fs.copyFileSync(lbl(train, c), lbl(val, 'near.jpg'));
    fs.rmSync(lbl(train, d));
    fs.writeFileSync(lbl(val, 'ghost.jpg'), '0 0.5 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, e), '0 0.98 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, f), '7 0.5 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, g), '1 0.5 0.5\n');
    fs.appendFileSync(lbl(train, h), '0 0.5 0.5 0 0.1\n');
    fs.writeFileSync(img(train, 'broken.jpg'), Buffer.from('not a jpeg'));
    fs.writeFileSync(lbl(train, 'broken.jpg'), '');
    const r = await check(`train=${train}`, `val=${val}`);
    const got = r.findings.map((x) => [x.kind, x.split, path.basename(x.path), x.of ? path.basename(x.of.path) : null, !!x.leak]).sort();
    const txt = (n) => n.replace(/\.jpg$/, '.txt');
    const expected = [
      ['duplicate', 'train', 'dup.jpg', a, false],
      ['duplicate', 'val', 'leak.jpg', b, true],
      ['near-duplicate', 'val', 'near.jpg', c, true],
      ['missing-label', 'train', d, null, false],
      ['orphan-label', 'val', 'ghost.txt', null, false],
      ['box-outside', 'train', txt(e), null, false],
      ['unknown-class', 'train', txt(f), null, false],
      ['bad-label', 'train', txt(g), null, false],
      ['zero-area', 'train', txt(h), null, false],
      ['corrupt-image', 'train', 'broken.jpg', null, false],
    ].sort();
    assert.deepStrictEqual(got, expected);
    // the labels' findings name their line: the appended one
    const box = r.findings.find((x) => x.kind === 'box-outside');
    assert.strictEqual(box.line, fs.readFileSync(lbl(train, e), 'utf8').trim().split('\n').length);
  });

  it('reads the splits of a data.yaml, and says what is wrong with its arguments', async () => {
    fs.writeFileSync(path.join(dir, 'data.yaml'), `path: ${dir}\ntrain: t/crops/images\nval: v/crops/images\nnames: [die_crack, die_rotation]\n`);
    const r = await check(path.join(dir, 'data.yaml'));
    assert.deepStrictEqual(r.splits.map((s) => s.split), ['train', 'val']);
    assert.ok(r.findings.some((x) => x.kind === 'duplicate' && x.leak));
    const missing = await run(['dataset', 'check', path.join(dir, 'nowhere')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /no such folder/);
    const usage = await run(['dataset', 'check', train, '--near', 'x']);
    assert.strictEqual(usage.code, 2);
  });
});
