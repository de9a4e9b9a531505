'use strict';
// `die-inspect ensemble` on the shipped classifiers and a small synthetic split: the manifest
// it writes records the members by name and hash and loads back; `eval --ensemble` scores it
// next to its members with the same probabilities the library computes; usage errors exit 2.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { run } = require('./helpers/cli');
const { ClassifierEnsemble, synthesize } = require('../dist');
const { readClassificationDataset, rocAuc } = require('../dist/eval');

describe('die-inspect ensemble', function () {
  this.timeout(240000);
  let dir;
  let csv;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ens-cli-'));
    await synthesize({ out: dir, count: 16, seed: 5, crops: true });
    const labels = path.join(dir, 'crops', 'labels');
    const rows = fs.readdirSync(labels).map((f) => {
      const defective = fs.statSync(path.join(labels, f)).size > 0;
      return `images/${f.replace(/\.txt$/, '.jpg')},${defective ? 'defective' : 'good'}`;
    });
    csv = path.join(dir, 'crops', 'good_defect.csv');
    fs.writeFileSync(csv, ['path,label', ...rows].join('\n'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fits, writes a manifest that loads, and eval --ensemble scores it', async () => {
    const out = path.join(dir, 'ens.json');
    const r = await run(['ensemble', '-m', 'die-good-defect-vggs', '-m', 'die-good-defect-resnet18s', '--data', csv,
      '--positive', 'defective', '--folds', '2', '--out', out]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /2-fold cross-validation/);
    assert.match(r.stdout, /^(equal|weighted|logit|rank) \(chosen\)/m);
    const m = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.strictEqual(m.format, 'die-inspect-ensemble');
    // members of weight 0 are left out; the fit lists both
    const given = ['die-good-defect-vggs', 'die-good-defect-resnet18s'];
    assert.ok(m.members.length >= 1 && m.members.every((x) => given.includes(x.model)), JSON.stringify(m.members));
    assert.deepStrictEqual(m.fit.members.map((x) => x.model), given);
    assert.ok(m.members.every((x) => /^[0-9a-f]{64}$/.test(x.sha256)));
    near(m.members.reduce((s, x) => s + x.weight, 0), 1, 1e-5);
    assert.strictEqual(m.fit.candidates.length, 4);

    const e = await run(['eval', '--ensemble', out, '--data', csv, '--positive', 'defective', '--json']);
    assert.strictEqual(e.code, 0, e.stderr);
    const report = JSON.parse(e.stdout);
    assert.strictEqual((report.members || []).length, m.members.length > 1 ? m.members.length : 0);
    assert.ok(report.ece >= 0 && report.ece <= 1);
    // the same AUC as the library's ensemble gives on the same images
    const ens = await ClassifierEnsemble.create(out);
    const data = await readClassificationDataset(csv);
    const res = await ens.classify(data.samples.map((s) => s.path));
    ens.close();
    const pos = data.classNames.indexOf('defective');
    near(report.auc, rocAuc(res.map((x) => x.probabilities[1]), data.samples.map((s) => (s.label === pos ? 1 : 0))), 1e-9);
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [
      ['ensemble', '--data', csv, '--out', path.join(dir, 'x.json')],
      ['ensemble', '-m', 'die-good-defect-vggs', '--data', csv, '--out', path.join(dir, 'x.json'), '--candidates', 'median'],
      ['ensemble', '-m', 'die-good-defect-vggs', '--data', csv, '--out', path.join(dir, 'x.json'), '--calibration', 'platt'],
      ['eval', '--ensemble', path.join(dir, 'x.json'), '-m', 'die-good-defect-vggs', '--data', csv],
      ['eval', '--data', csv],
    ]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.code} ${r.stderr}`);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'x.json')));
  });
});

function near(a, b, tol) {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}
