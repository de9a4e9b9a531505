'use strict';
// bench/gpu-check.sh --dry-run on this (CPU) machine: every step is there with a status,
// the CPU-against-CPU comparisons pass exactly, the CUDA and TensorRT steps are
// attempted and say unavailable with a reason, and the report's two files are written.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');

const ROOT = path.join(__dirname, '..');

describe('bench/gpu-check.sh --dry-run', function () {
  this.timeout(240000);
  let out;
  let report;
  let stdout;

  before(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'di-gpu-check-'));
    // an empty stage folder: the unpack step must say there is nothing to unpack
    const env = { ...process.env, DIE_INSPECT_STAGE: path.join(out, 'no-stage'), DIE_INSPECT_STAGE_KEEP: path.join(out, 'no-keep') };
    stdout = await new Promise((resolve, reject) => {
      execFile('bash', ['bench/gpu-check.sh', '--dry-run', '--out', path.join(out, 'r')], { cwd: ROOT, env, maxBuffer: 16 << 20 }, (err, so, se) => {
        if (err) reject(new Error(`${err.message}\n${so}\n${se}`));
        else resolve(so);
      });
    });
    report = JSON.parse(fs.readFileSync(path.join(out, 'r', 'report.json'), 'utf8'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  const byId = (id) => report.steps.find((s) => s.id === id);

  it('has every step, in order, each with a status and a time', () => {
    const expected = ['unpack', 'providers', 'info:cpu', 'info:cuda', 'info:tensorrt', 'info:tensorrt-chain'];
    const configs = ['cpu', 'cpu-repeat', 'cuda-fp32', 'cuda-fp16', 'tensorrt-fp16'];
    const candidates = configs.slice(1);
    expected.push(...configs.map((c) => `outputs:${c}`), ...candidates.map((c) => `compare:outputs:${c}`), 'synth',
      ...configs.map((c) => `eval:${c}`), ...candidates.map((c) => `compare:eval:${c}`),
      ...configs.filter((c) => c !== 'cpu-repeat').map((c) => `bench:${c}`), ...configs.filter((c) => c !== 'cpu-repeat').map((c) => `inspect:${c}`),
      'submit:cpu', 'lag:cpu', 'submit:cuda-fp32', 'lag:cuda-fp32');
    assert.deepStrictEqual(report.steps.map((s) => s.id), expected);
    for (const s of report.steps) {
      assert.ok(['ok', 'pass', 'fail', 'unavailable', 'skipped'].includes(s.status), `${s.id}: ${s.status}`);
      assert.strictEqual(typeof s.seconds, 'number', s.id);
    }
    assert.strictEqual(report.dryRun, true);
    assert.strictEqual(byId('unpack').status, 'skipped');
    assert.match(byId('unpack').reason, /nothing staged/);
  });

  it('runs every CPU step', () => {
    for (const s of report.steps.filter((x) => (/:cpu(-repeat)?$/.test(x.id) && !x.id.startsWith('compare:')) || ['providers', 'synth'].includes(x.id))) {
      assert.strictEqual(s.status, 'ok', `${s.id}: ${s.reason}`);
    }
    assert.deepStrictEqual(byId('bench:cpu').result.runs.map((r) => r.batch), [1, 16, 32]);
    for (const r of byId('bench:cpu').result.runs) assert.ok(r.imagesPerSec > 0 && r.endToEndImagesPerSec > 0 && r.p99Ms >= r.p50Ms);
    assert.ok(byId('eval:cpu').result.map50_95 > 0);
    assert.ok(byId('submit:cpu').result.submit.imagesPerSec > 0);
    assert.ok(byId('lag:cpu').result.p99Ms >= 0);
  });

  it('compares CPU with CPU: identical outputs and mAP', () => {
    const o = byId('compare:outputs:cpu-repeat');
    assert.strictEqual(o.status, 'pass', JSON.stringify(o.result));
    assert.strictEqual(o.result.exact, true);
    assert.ok(o.result.detector.matched > 0);
    const e = byId('compare:eval:cpu-repeat');
    assert.strictEqual(e.status, 'pass');
    assert.strictEqual(e.result.mapDiff, 0);
  });

  it('attempts CUDA and TensorRT with strict lists and records why they are unavailable', () => {
    for (const id of ['info:cuda', 'info:tensorrt', 'outputs:cuda-fp32', 'outputs:tensorrt-fp16', 'eval:cuda-fp32', 'eval:tensorrt-fp16',
      'bench:cuda-fp32', 'bench:tensorrt-fp16', 'inspect:cuda-fp32', 'inspect:tensorrt-fp16', 'submit:cuda-fp32', 'lag:cuda-fp32']) {
      const s = byId(id);
      assert.strictEqual(s.status, 'unavailable', `${id}: ${s.status} ${s.reason}`);
      assert.strictEqual(s.code, 'ERR_PROVIDER_UNAVAILABLE', id);
      assert.match(s.reason, /none of the requested execution providers/, id);
      assert.match(s.reason, /(cuda|tensorrt): \S/, id);
    }
    for (const id of ['outputs:cuda-fp16', 'eval:cuda-fp16', 'bench:cuda-fp16', 'inspect:cuda-fp16']) {
      assert.strictEqual(byId(id).status, 'skipped');
      assert.match(byId(id).reason, /fp16/);
    }
    for (const id of ['compare:outputs:cuda-fp32', 'compare:eval:tensorrt-fp16']) assert.strictEqual(byId(id).status, 'skipped');
    // the fallback chain lands on the CPU and says why TensorRT and CUDA were not used
    const chain = byId('info:tensorrt-chain');
    assert.strictEqual(chain.status, 'ok');
    assert.strictEqual(chain.provider, 'cpu');
    assert.deepStrictEqual(chain.result.providerAttempts.filter((a) => !a.ok).map((a) => a.provider), ['tensorrt', 'cuda']);
    const providers = byId('providers').result.providers;
    assert.ok(providers.find((p) => p.provider === 'cuda' && !p.available && p.reason));
  });

  it('writes the Markdown table', () => {
    const md = fs.readFileSync(path.join(out, 'r', 'report.md'), 'utf8');
    assert.match(md, /^# gpu-check .*dry run/);
    assert.match(md, /\| step \| config \| provider \| status \| seconds \| result \|/);
    for (const s of report.steps) assert.ok(md.includes(`| ${s.id} |`), s.id);
    assert.match(md, /\| bench \| provider \| batch \|/);
    assert.match(stdout, /37 steps in/);
  });
});
