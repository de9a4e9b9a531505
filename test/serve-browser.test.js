'use strict';
// The review station in a real browser (playwright-core driving Debian's chromium): an
// `inspect --watch --db` process and a `serve` process share one store; images copied into
// the watched folder appear live on the line view; a reviewer overturns a verdict with the
// keyboard on a part page; the reviewed export holds that correction. Without chromium this
// skips, except in CI, where it fails.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { run, BIN } = require('./helpers/cli');
const { readDetectionDataset, readClassificationDataset } = require('../dist/eval');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const TOKEN = 'browser-test-token-42';

/** A CLI child whose output is collected; `waitFor` resolves on a line that matches. */
function child(args) {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc, exited, output: () => out,
    async waitFor(re, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const m = re.exec(out);
        if (m) return m;
        if (proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${re} within ${ms} ms; output:\n${out}`);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

describe('review station in a browser', function () {
  this.timeout(300000);
  let tmp, watcher, server, browser;

  before(function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI installs it (scripts/install-system-deps.sh --browser)`);
      this.skip();  // no chromium here: bash scripts/install-system-deps.sh --browser installs it
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-serve-browser-'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await watcher?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('parts appear live; a keyboard overturn is stored and exported', async () => {
    const synth = path.join(tmp, 'synth'), incoming = path.join(tmp, 'incoming'), db = path.join(tmp, 'line.sqlite');
    const made = await run(['synth', '--out', synth, '--count', '4', '--seed', '5']);
    assert.strictEqual(made.code, 0, made.stderr);
    fs.mkdirSync(incoming);
    const tokenFile = path.join(tmp, 'token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`);

    watcher = child(['inspect', '--watch', incoming, '--db', db, '--out', path.join(tmp, 'out'), '--meta', 'lot=B1', '--no-annotate']);
    await watcher.waitFor(/watching/, 60000);
    // The store exists once the watcher has opened it; serve reads the same file.
    server = child(['serve', '--db', db, '--port', '0', '--token-file', tokenFile, '--reviewer', 'tess']);
    const [, url] = await server.waitFor(/review station: (http:\/\/\S+)/, 60000);

    const { chromium } = require('playwright-core');
    browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 },
    });
    const page = await browser.newPage();
    const failures = [];
    page.on('pageerror', (e) => failures.push(e.message));
    // The token travels in the fragment, which the page keeps for its reviews.
    await page.goto(`${url}#token=${TOKEN}`);
    await page.waitForSelector('#live.on', { timeout: 30000 });
    assert.strictEqual(await page.locator('.card').count(), 0);

    const images = fs.readdirSync(path.join(synth, 'images')).filter((f) => f.endsWith('.jpg')).sort();
    for (const f of images) fs.copyFileSync(path.join(synth, 'images', f), path.join(incoming, f));
    await page.waitForFunction((n) => document.querySelectorAll('.card').length === n, images.length, { timeout: 120000 });
    await page.waitForFunction((n) => document.querySelector('#kpi-parts b')?.textContent === String(n), images.length,
      { timeout: 30000 });

    // A part the machine failed, overturned with one key; one it passed, failed with a box drawn on its crop.
    const verdicts = await page.$$eval('.card', (cards) => cards.map((c) => [Number(c.dataset.partId), c.dataset.verdict]));
    const failed = verdicts.find(([, v]) => v === 'fail')?.[0], passed = verdicts.find(([, v]) => v === 'pass')?.[0];
    assert.ok(failed && passed, `seed 5 makes both verdicts: ${JSON.stringify(verdicts)}`);
    const openPart = async (id, verdict) => {
      await page.click(`.card[data-part-id="${id}"]`);
      await page.waitForSelector('#effective-verdict');
      await page.waitForFunction(() => [...document.querySelectorAll('.side img')].every((i) => i.complete && i.naturalWidth > 0));
      assert.strictEqual(await page.textContent('#effective-verdict'), verdict);
    };
    const backToLine = async (id, verdict) => {
      await page.keyboard.press('Escape');
      await page.waitForFunction(([i, v]) => document.querySelector(`.card[data-part-id="${i}"]`)?.dataset.verdict === v, [id, verdict]);
    };
    await openPart(failed, 'fail');
    await page.keyboard.press('o');
    await page.waitForFunction(() => document.querySelector('#effective-verdict')?.textContent === 'pass', null, { timeout: 15000 });
    assert.match(await page.textContent('#status'), /overturned by tess/);
    await backToLine(failed, 'pass');

    await openPart(passed, 'pass');
    await page.keyboard.press('b');
    const crop = await page.locator('.crop svg').boundingBox();
    await page.mouse.move(crop.x + crop.width * 0.3, crop.y + crop.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(crop.x + crop.width * 0.5, crop.y + crop.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#effective-verdict')?.textContent === 'fail', null, { timeout: 15000 })
      .catch(async (err) => {
        throw new Error(`${err.message}; the page says: ${await page.locator('.side').textContent()}`);
      });
    await backToLine(passed, 'fail');
    assert.deepStrictEqual(failures, []);

    await server.stop();
    server = null;
    await watcher.stop();
    watcher = null;
    const exported = path.join(tmp, 'export');
    const ex = await run(['export', '--db', db, '--reviewed', '--out', exported]);
    assert.strictEqual(ex.code, 0, ex.stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(exported, 'export.json'), 'utf8'));
    const entry = (id) => manifest.crops.find((c) => c.partId === id);
    assert.ok(entry(failed) && entry(passed), `both reviewed parts exported: ${JSON.stringify(manifest)}`);
    assert.strictEqual(entry(failed).reviewer, 'tess');
    assert.strictEqual(entry(failed).decision, 'overturn');
    const cls = await readClassificationDataset(path.join(exported, 'crops', 'good_defect.csv'));
    const labelOf = (id) => cls.classNames[cls.samples.find((s) => path.basename(s.path) === path.basename(entry(id).file)).label];
    assert.strictEqual(labelOf(failed), 'good');
    assert.strictEqual(labelOf(passed), 'defective');
    const det = await readDetectionDataset(path.join(exported, 'crops'));
    const truth = (id) => det.images.find((s) => path.basename(s.path) === path.basename(entry(id).file)).groundTruth;
    assert.deepStrictEqual(truth(failed), [], 'a false call is exported defect-free');
    assert.strictEqual(truth(passed).length, 1, 'an escape is exported with the box drawn');
  });
});
