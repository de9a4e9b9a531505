'use strict';
// scripts/capacity.js: a plan from flags or a benchmark JSON; usage mistakes exit 2.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const SCRIPT = path.join(__dirname, '..', 'scripts', 'capacity.js');
const run = (args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('scripts/capacity.js', () => {
  it('sizes a line from a batch cost, or from bench/workers.js --json', () => {
    const plan = JSON.parse(run(['--cameras', '8', '--rate', '12', '--batch-ms', '180', '--json']).stdout);
    assert.strictEqual(plan.demandPartsPerSecond, 96);
    assert.strictEqual(plan.workers, 2);
    assert.ok(plan.load <= 0.7);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'di-cap-')), 'bench.json');
    fs.writeFileSync(file, JSON.stringify({ rows: [{ name: 'in-process', partsPerSecond: 5 }] }));
    const r = run(['--cameras', '4', '--rate', '5', '--from', file, '--json']);
    const fromBench = JSON.parse(r.stdout);
    assert.ok(Math.abs(fromBench.batchMs - 3200) < 1e-9);
    // 20 parts/s at 5.2 parts/s a worker, 70 % busy at most: 6 workers.
    assert.strictEqual(fromBench.workers, 6);
  });

  it('exits 2 for a usage mistake', () => {
    for (const args of [[], ['--cameras', '2'], ['--cameras', 'x', '--rate', '1', '--batch-ms', '1'], ['--cameras', '2', '--rate', '1'],
      ['--cameras', '2', '--rate', '1', '--batch-ms', '10', '--utilisation', '2']]) {
      assert.strictEqual(run(args).status, 2, args.join(' '));
    }
  });
});
