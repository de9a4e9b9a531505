#!/usr/bin/env node
'use strict';
// Screenshots of the review station for docs/review-station.md, at 1280x800: the line view and
// a part page. Makes its own line: synthetic parts inspected into a fresh store, a few reviewed,
// then `serve` on a free port, driven by playwright-core with Debian's chromium.
//   node scripts/review-screenshots.js [--out docs/images] [--count 24] [--chromium /usr/bin/chromium]
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'die-inspect.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const out = path.resolve(opt('--out', path.join(ROOT, 'docs', 'images')));
const count = Number(opt('--count', '24'));
const chromium = opt('--chromium', '/usr/bin/chromium');

/** Chromium's flags for a headless run that reaches nothing but the station. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Starts `serve` and resolves to its URL (the line it prints) and the child. */
function serve(db, extra = []) {
  const child = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/review station: (http:\/\/\S+)/);
      if (m) resolve({ url: m[1], child });
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

async function main() {
  const { chromium: browserType } = require('playwright-core');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'review-shots-'));
  const db = path.join(work, 'line.sqlite');
  execFileSync(process.execPath, [CLI, 'synth', '--out', path.join(work, 'synth'), '--count', String(count), '--seed', '11'], { stdio: 'ignore' });
  execFileSync(process.execPath, [CLI, 'inspect', path.join(work, 'synth', 'images'), '--out', path.join(work, 'out'), '--db', db,
    '--meta', 'lot=L42,station=3', '--no-annotate'], { stdio: 'ignore' });
  const { openRecorder } = require(path.join(ROOT, 'dist'));
  const recorder = await openRecorder(db);
  const parts = await recorder.parts();
  const fails = parts.filter((p) => p.verdict === 'fail');
  // A few reviews, so that the rates have something to say.
  if (fails[0]) await recorder.review(fails[0].id, { reviewer: 'ann', decision: 'confirm' });
  if (fails[1]) await recorder.review(fails[1].id, { reviewer: 'ann', decision: 'overturn', comment: 'dust on the lens' });
  await recorder.close();
  const { url, child } = await serve(db, ['--reviewer', 'ann']);
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const browser = await browserType.launchPersistentContext(path.join(work, 'chromium'), {
    executablePath: chromium, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 },
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('.card img');
    await page.waitForFunction(() => [...document.querySelectorAll('.card img')].every((i) => i.complete));
    await page.waitForSelector('.chart svg');
    fs.mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, 'review-line.jpg'), type: 'jpeg', quality: 80 });
    const part = fails[2] ?? fails[0] ?? parts[0];
    await page.goto(`${url}part/${part.id}`);
    await page.waitForSelector('#annotated');
    await page.waitForFunction(() => [...document.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth > 0));
    await page.screenshot({ path: path.join(out, 'review-part.jpg'), type: 'jpeg', quality: 80 });
    for (const f of ['review-line.jpg', 'review-part.jpg']) {
      console.log(`${path.relative(process.cwd(), path.join(out, f))} (${(fs.statSync(path.join(out, f)).size / 1024).toFixed(0)} KiB)`);
    }
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
