'use strict';
// bench/http-load.js: its window arithmetic, its usage errors, and a short run whose
// counts (not its timings) are checked.
const assert = require('assert');
const path = require('path');
const { execFile } = require('child_process');
const { parseArgs, percentile, rssWindows, rssGrowth } = require('../bench/http-load.js');

const ROOT = path.join(__dirname, '..');
const SCRIPT = path.join(ROOT, 'bench', 'http-load.js');

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

describe('bench/http-load.js', function () {
  this.timeout(60000);

  it('averages RSS by full 10-second window and reports the growth from the 2nd to the 6th', () => {
    const samples = Array.from({ length: 61 }, (_, t) => ({ t: t + 0.01, rssMiB: t < 10 ? 100 : 200 + Math.floor(t / 10) }));
    const w = rssWindows(samples, 60);
    assert.deepStrictEqual(w.map((x) => x.window), [1, 2, 3, 4, 5, 6]);
    assert.deepStrictEqual(w.map((x) => x.meanMiB), [100, 201, 202, 203, 204, 205]);
    assert.deepStrictEqual(w.map((x) => x.samples), [10, 10, 10, 10, 10, 10]);
    const g = rssGrowth(w);
    assert.strictEqual(g.from, 2);
    assert.strictEqual(g.to, 6);
    assert.ok(Math.abs(g.pct - (4 / 201) * 100) < 1e-9);
    assert.strictEqual(g.verdict, 'PASS');
    assert.strictEqual(rssGrowth([{ window: 2, meanMiB: 100 }, { window: 6, meanMiB: 105 }]).verdict, 'FAIL');
    // a shorter run: the last full window; one window: nothing to compare
    assert.strictEqual(rssGrowth(rssWindows(samples.slice(0, 41), 40)).to, 4);
    assert.strictEqual(rssGrowth(rssWindows(samples.slice(0, 16), 15)).verdict, 'n/a');
    assert.strictEqual(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.strictEqual(percentile([5, 1, 4, 2, 3], 99), 5);
    assert.strictEqual(percentile([], 50), null);
  });

  it('takes its flags and exits 2 on a usage error', async () => {
    assert.deepStrictEqual(parseArgs(['--duration', '3', '--connections', '4', '--unreadable-share', '0.25', '--json']),
      { duration: 3, connections: 4, unreadableShare: 0.25, timeout: 60, ep: 'cpu', json: true });
    for (const bad of [['--connections', '0'], ['--unreadable-share', '2'], ['--duration', 'x'], ['--what']]) {
      const r = await run(bad);
      assert.strictEqual(r.code, 2, bad.join(' '));
      assert.match(r.stderr, /usage: node bench\/http-load\.js/);
    }
  });

  it('a 3-second run with 4 connections: every unreadable request gets 400, every good one 200, no errors', async function () {
    try {
      require.resolve('autocannon');
    } catch {
      this.skip(); // a devDependency: `npm ci` installs it
    }
    const r = await run(['--duration', '3', '--connections', '4', '--unreadable-share', '0.25', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const { good, unreadable } = report.kinds;
    assert.ok(good.answered > 0 && unreadable.answered > 0, r.stdout);
    assert.deepStrictEqual(Object.keys(unreadable.byStatus), ['400']);
    assert.deepStrictEqual(Object.keys(good.byStatus), ['200']);
    assert.strictEqual(report.requests.status400, unreadable.answered);
    assert.strictEqual(report.requests.errors, 0);
    assert.strictEqual(report.requests.timeouts, 0);
    assert.strictEqual(report.requests.otherNon2xx, 0);
    assert.ok(report.rss.samples >= 1);
  });
});
