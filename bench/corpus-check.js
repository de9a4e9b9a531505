#!/usr/bin/env node
'use strict';
// Runs every file of the shared corpus of public test images that die-inspect once
// decoded wrongly, noisily or not at all (../shared/corpora/found, each file's finding in
// found.json) through decodeImage, Detector.detect and Inspector.inspect, each file beside
// a good image in one batch and in a process of its own (a crash stops only that file),
// and prints what is still wrong, finding by finding:
//   stderr       anything on the process's stderr
//   refused      an intact file refused as corrupt or truncated, or as no image at all
//                (a refusal that names what is not supported passes; a JPEG refused for
//                stray bytes passes when failOn 'error' decodes it: that is failOn's model)
//   codes        decodeImage, detect and inspect giving different error codes
//   warning      a warning under the default failOn
//   pixels       decoded as before, the pixels unverified here (no reference decoder):
//                files of a kind with a known answer are judged by the rules in JUDGES
//   node bench/corpus-check.js [--corpora DIR] [--only SUBSTRING] [--json FILE] [--all]
//   --all: print every finding, not only those still wrong
const { execFile } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { arg } = require('./helpers/args');

const ROOT = path.join(__dirname, '..');
const GOOD = path.join(ROOT, 'samples', 'images', '000000.jpg');
const MODEL = 'die-defect-yolov7tiny';

/** What one process reports of one file: every entry point's outcome, pixels summarised. */
async function child(file) {
  const { decodeImage, Detector, Inspector } = require('..');
  const outcome = (e) => ({ code: e.code, message: String(e.message).slice(0, 300) });
  const summary = (img) => {
    const { data, width, height, channels } = img;
    const sum = [0, 0, 0];
    let grey = 0, min = 255, max = 0;
    for (let i = 0; i < data.length; i += channels) {
      for (let c = 0; c < 3; c++) {
        sum[c] += data[i + c];
        min = Math.min(min, data[i + c]);
        max = Math.max(max, data[i + c]);
      }
      if (data[i] === data[i + 1] && data[i + 1] === data[i + 2]) grey++;
    }
    const n = width * height;
    return {
      width, height, mean: sum.map((s) => +(s / n).toFixed(1)), min, max, grey: +(grey / n).toFixed(3),
      sha1: crypto.createHash('sha1').update(data).digest('hex').slice(0, 12), warning: img.warning,
    };
  };
  const report = {};
  for (const failOn of ['warning', 'error']) {
    try {
      report[`decode_${failOn}`] = summary(await decodeImage(file, { failOn }));
    } catch (e) {
      report[`decode_${failOn}`] = outcome(e);
    }
  }
  const perImage = (r) => (r.error ? outcome(r.error) : { ok: true, warning: r.warning });
  try {
    const det = await Detector.create(MODEL);
    const [r, good] = await det.detect([file, GOOD]);
    report.detect = { ...perImage(r), good: !good.error };
    det.close();
  } catch (e) {
    report.detect = { ...outcome(e), call: true };
  }
  try {
    const insp = await Inspector.create({ classifiers: false, allModes: true });
    const [r, good] = await insp.inspect([file, GOOD]);
    report.inspect = { ...perImage(r), verdict: r.verdict, good: good.verdict !== 'error' };
    insp.close();
  } catch (e) {
    report.inspect = { ...outcome(e), call: true };
  }
  process.stdout.write(JSON.stringify(report));
}

/** Runs one file in its own process: its report, its stderr, how it ended. */
function runOne(file) {
  return new Promise((resolve) => {
    execFile(process.execPath, [__filename, '--child', file], { cwd: ROOT, timeout: 120000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        let report = null;
        try {
          report = JSON.parse(stdout);
        } catch { /* a crash: no report */ }
        resolve({ report, stderr, exit: err ? (err.signal || err.code) : 0 });
      });
  });
}

// A refusal that names no reason, or only libtiff's "Sorry": the reasons of damage the decoders name are precise.
const refusedVaguely = (o) => o && o.code && /corrupt or truncated|is not a JPEG, PNG, BMP or TIFF|Sorry|can not handle/.test(o.message);
const decoded = (o) => o && o.width > 0;
const codeOf = (o) => (o.code ? o.code : 'OK');

/**
 * Rules for files whose right decode is known from the format (no reference decoder
 * here): each returns null when the decode is right, else what is wrong.
 */
const JUDGES = [
  // OS/2 1.x BMPs: 3-byte palette entries; a colour picture, not grey.
  [/Core_\d_Bit|pal8os2/, (r) => (decoded(r.decode_warning) && r.decode_warning.grey < 0.5 ? null : 'not decoded in colour')],
  // 32-bit float samples 0..1: scaled to 0..255, not left near black.
  [/32bit_128/, (r) => (decoded(r.decode_warning) && r.decode_warning.max > 64 ? null : 'float samples not scaled')],
  // Palette indices past the palette (PNG and BMP): damage that failOn decides.
  [/invalid_palette_index|badpal|pal8badindex|mmap_error/, (r) => (r.decode_warning.code === 'ERR_IMAGE_DECODE' && decoded(r.decode_error)
    && r.decode_error.warning ? null : 'index past the palette not reported by failOn')],
];

/** Files whose one right code is known: the 65535 x 900 TIFF of 65535 samples a pixel, from its header. */
const CODES = { libtiff_segfault: 'ERR_IMAGE_TOO_LARGE' };

/** What is still wrong about one finding, or null; `kind` is the finding's category. */
function judge(name, finding, run) {
  const r = run.report;
  if (!r) return { kind: 'crash', wrong: `no report (exit ${run.exit})` };
  const d = r.decode_warning;
  if (finding.startsWith('stderr:')) return { kind: 'stderr', wrong: run.stderr.trim() ? run.stderr.trim().split('\n')[0].slice(0, 100) : null };
  if (finding.startsWith('refused')) {
    if (decoded(d)) return { kind: 'refused', wrong: null };
    if (/extraneous bytes|corrupt JPEG data/.test(d.message) && decoded(r.decode_error)) return { kind: 'refused', wrong: null, note: 'failOn' };
    return { kind: 'refused', wrong: refusedVaguely(d) ? `${d.code}: ${d.message.slice(0, 90)}` : null, note: d.message };
  }
  if (finding.startsWith('codes differ')) {
    const codes = [codeOf(d), codeOf(r.detect), codeOf(r.inspect)];
    const want = Object.entries(CODES).find(([part]) => name.includes(part));
    const wrong = new Set(codes).size > 1 || (want && codes[0] !== want[1]);
    return { kind: 'codes', wrong: wrong ? codes.join(' / ') : null, note: codes[0] };
  }
  if (finding.startsWith('decoded with warning')) return { kind: 'warning', wrong: decoded(d) && d.warning ? d.warning : null };
  if (/pixels/.test(finding)) {
    const rule = JUDGES.find(([re]) => re.test(name));
    if (rule) return { kind: 'pixels', wrong: rule[1](r) };
    return { kind: 'pixels', wrong: null, unverified: true, note: decoded(d) ? `${d.width}x${d.height} mean ${d.mean}` : `${d.code}` };
  }
  return { kind: 'other', wrong: null, unverified: true };
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const corpora = path.resolve(arg('corpora', path.join(ROOT, '..', 'shared', 'corpora')));
  const found = JSON.parse(fs.readFileSync(path.join(corpora, 'found.json'), 'utf8'));
  const only = arg('only', '');
  const names = Object.keys(found).filter((n) => n.includes(only)).sort();
  const rows = [];
  const counts = {};
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      const run = await runOne(path.join(corpora, 'found', name));
      for (const finding of found[name].findings) {
        const j = judge(name, finding, run);
        const c = (counts[j.kind] = counts[j.kind] || { findings: 0, wrong: 0, unverified: 0 });
        c.findings++;
        if (j.wrong) c.wrong++;
        if (j.unverified) c.unverified++;
        rows.push({ name, finding: finding.slice(0, 70), ...j, report: run.report, stderr: run.stderr });
      }
      process.stderr.write('.');
    }
  };
  await Promise.all([worker(), worker()]);
  process.stderr.write('\n');
  rows.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  const all = process.argv.includes('--all');
  for (const r of rows) {
    if (!all && !r.wrong) continue;
    const state = r.wrong ? 'STILL WRONG' : r.unverified ? 'unverified' : 'ok';
    console.log(`${state.padEnd(11)} ${r.kind.padEnd(7)} ${r.name.slice(0, 64).padEnd(64)} ${r.wrong || r.note || ''}`);
  }
  console.log('\nfinding kind  findings  still wrong  unverified');
  for (const [k, c] of Object.entries(counts).sort()) {
    console.log(`${k.padEnd(13)} ${String(c.findings).padStart(8)} ${String(c.wrong).padStart(12)} ${String(c.unverified).padStart(11)}`);
  }
  const json = arg('json');
  if (json) fs.writeFileSync(json, JSON.stringify(rows, null, 1));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
module.exports = { judge };
