'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { constantDetector } = require('./helpers/onnx');
const { encodeImage, decodeImage } = require('../dist');

const { run } = require('./helpers/cli');

describe('CLI', () => {
  let tmp, model;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-cli-'));
    model = path.join(tmp, 'det.onnx');
    fs.writeFileSync(model, constantDetector({ rows: [[320, 320, 100, 50, 0.9, 0.1, 0.9]], metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}" } }));
    const img = { data: new Uint8Array(1280 * 960 * 3).fill(90), width: 1280, height: 960, channels: 3 };
    fs.mkdirSync(path.join(tmp, 'imgs'));
    fs.writeFileSync(path.join(tmp, 'imgs', 'a.jpg'), await encodeImage(img, { format: 'jpg' }));
    fs.writeFileSync(path.join(tmp, 'imgs', 'b.png'), await encodeImage(img, { format: 'png' }));
    fs.writeFileSync(path.join(tmp, 'imgs', 'broken.jpg'), Buffer.from('no jpeg here'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('detect --json prints one line per image with original-image boxes and per-image errors', async () => {
    const r = await run(['detect', '-m', model, path.join(tmp, 'imgs'), '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepStrictEqual(lines.map((l) => path.basename(l.path)), ['a.jpg', 'b.png', 'broken.jpg']);
    assert.deepStrictEqual(lines[0].detections[0].box, [540, 430, 740, 530]);
    assert.strictEqual(lines[1].detections[0].label, 'die_rotation');
    assert.strictEqual(lines[2].error.code, 'ERR_IMAGE_DECODE');
  });

  it('detect --reference pairs each image with its reference for a pair model (file, folder or FROM=TO)', async () => {
    // obj = 0.1 + mean of the planes (image, reference, |difference|): 2 * max(image, reference) / 3 / 255 for flat images.
    const pairModel = path.join(tmp, 'pair.onnx');
    fs.writeFileSync(pairModel, constantDetector({ rows: [[32, 32, 16, 16, 0.1, 1, 0]], height: 64, width: 64,
      brightnessMask: [[0, 0, 0, 0, 1, 0, 0]], metadata: { planes: 'image,reference,difference' } }));
    const dir = path.join(tmp, 'pairs');
    fs.mkdirSync(path.join(dir, 'refs'), { recursive: true });
    const flat = (v) => encodeImage({ data: new Uint8Array(64 * 64 * 3).fill(v), width: 64, height: 64, channels: 3 }, { format: 'png' });
    fs.writeFileSync(path.join(dir, 'x_test.png'), await flat(60));
    fs.writeFileSync(path.join(dir, 'x_temp.png'), await flat(210));
    fs.writeFileSync(path.join(dir, 'refs', 'x_test.png'), await flat(150));
    const score = async (...args) => {
      const r = await run(['detect', '-m', pairModel, '--conf', '0.05', '--json', ...args]);
      assert.strictEqual(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.strictEqual(lines.length, 1, r.stdout);
      return lines[0].detections[0].score;
    };
    const near = (got, max) => assert.ok(Math.abs(got - (0.1 + (2 * max) / 3 / 255)) < 2e-3, `${got} vs max ${max}`);
    near(await score(path.join(dir, 'x_test.png'), '--reference', '_test=_temp'), 210);  // x_temp.png itself is skipped
    near(await score(path.join(dir, 'x_test.png'), '--reference', path.join(dir, 'refs')), 150);
    near(await score(path.join(dir, 'x_test.png'), '--reference', path.join(dir, 'x_temp.png')), 210);
    // A whole folder: x_temp.png is skipped (a reference), refs/x_test.png has no refs/x_temp.png (its own error).
    const rule = await run(['detect', '-m', pairModel, dir, '--reference', '_test=_temp', '--json']);
    assert.strictEqual(rule.code, 0, rule.stderr);
    const lines = rule.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepStrictEqual(lines.map((l) => [path.relative(dir, l.path), l.error && l.error.code]),
      [[path.join('refs', 'x_test.png'), 'ERR_FILE_NOT_FOUND'], ['x_test.png', undefined]]);
    assert.match(rule.stderr, /1 image without a reference skipped/);
    // --align: a reference of another size is registered into the image's frame (flat, so still 210).
    const bigRef = path.join(tmp, 'big_ref.png');
    fs.writeFileSync(bigRef, await encodeImage({ data: new Uint8Array(80 * 72 * 3).fill(210), width: 80, height: 72, channels: 3 }, { format: 'png' }));
    near(await score(path.join(dir, 'x_test.png'), '--reference', bigRef, '--align'), 210);
    const registered = await run(['detect', '-m', pairModel, path.join(dir, 'x_test.png'), '--reference', bigRef, '--align', '--json']);
    assert.deepStrictEqual(JSON.parse(registered.stdout).registration, { dx: 0, dy: 0, angle: 0, correlation: 1 }); // featureless
    const unaligned = await run(['detect', '-m', pairModel, path.join(dir, 'x_test.png'), '--reference', bigRef, '--json']);
    assert.strictEqual(JSON.parse(unaligned.stdout).error.code, 'ERR_INVALID_ARG');
    const alignAlone = await run(['detect', '-m', pairModel, path.join(dir, 'x_test.png'), '--align']);
    assert.match(alignAlone.stderr, /--align needs --reference/);
    const missing = await run(['detect', '-m', pairModel, path.join(dir, 'x_test.png')]);
    assert.notStrictEqual(missing.code, 0);
    assert.match(missing.stderr, /pass --reference/);
    const plain = await run(['detect', '-m', model, path.join(dir, 'x_test.png'), '--reference', '_test=_temp']);
    assert.notStrictEqual(plain.code, 0);
    assert.match(plain.stderr, /takes single images/);
  });

  it('detect --annotate draws each readable image\'s boxes at full size', async () => {
    const out = path.join(tmp, 'drawn');
    const r = await run(['detect', '-m', model, path.join(tmp, 'imgs'), '--annotate', out]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(fs.readdirSync(out).sort(), ['00000-a.jpg', '00001-b.jpg']);  // nothing for the broken file
    const img = await decodeImage(path.join(out, '00000-a.jpg'));
    assert.deepStrictEqual([img.width, img.height], [1280, 960]);
    const px = (x, y) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
    // The box [540, 430, 740, 530]: its left edge is drawn in die_rotation orange, its inside stays grey.
    const [blue, green, red] = px(540, 480);  // decoded pixels are BGR
    assert.ok(red > 200 && green > 120 && green < 210 && blue < 60, `edge ${px(540, 480)}`);
    px(640, 480).forEach((v) => assert.ok(Math.abs(v - 90) < 8, `inside ${px(640, 480)}`));
  });

  it('bench --json reports the study protocol figures', async () => {
    const r = await run(['bench', '-m', model, '--batch', '1,2', '--iters', '5', '--warmup', '1', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const k of ['params', 'gflops', 'provider', 'runs']) assert.ok(k in j, k);
    assert.strictEqual(j.provider, 'cpu');
    assert.deepStrictEqual(j.runs.map((x) => x.batch), [1, 2]);
    for (const run of j.runs) {
      for (const k of ['batchesPerSec', 'imagesPerSec', 'p50Ms', 'p95Ms', 'p99Ms', 'endToEndImagesPerSec']) assert.ok(Number.isFinite(run[k]), k);
      assert.ok(Math.abs(run.imagesPerSec - run.batchesPerSec * run.batch) < 1e-6 * run.imagesPerSec);
      assert.ok(run.p50Ms <= run.p95Ms && run.p95Ms <= run.p99Ms);
    }
    assert.deepStrictEqual(j.inputSize, [640, 640]);  // no size in the model: 640
  });

  it('bench, not on a terminal, prints a line per model and batch size as each finishes (stderr; --json stays parseable)', async () => {
    const { spawn } = require('child_process');
    const { BIN } = require('./helpers/cli');
    const second = path.join(tmp, 'det-b.onnx');
    fs.copyFileSync(model, second);
    const child = spawn(process.execPath, [BIN, 'bench', '-m', model, '-m', second, '--batch', '1,2', '--iters', '3', '--warmup', '1', '--json']);
    let stdout = '';
    let stderr = '';
    let stdoutAtFirstLine;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stdoutAtFirstLine === undefined && stderr.includes('\n')) stdoutAtFirstLine = stdout;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.strictEqual(code, 0, stderr);
    // The first line came while the report (written at the end) had not.
    assert.strictEqual(stdoutAtFirstLine, '');
    const lines = stderr.trim().split('\n');
    assert.deepStrictEqual(lines.map((l) => l.replace(/: .*/, '')),
      ['bench det.onnx cpu batch 1', 'bench det.onnx cpu batch 2', 'bench det-b.onnx cpu batch 1', 'bench det-b.onnx cpu batch 2']);
    for (const l of lines) assert.match(l, /: [\d.]+ images\/s \([\d.]+ batches\/s\), p50 [\d.]+ ms, end to end [\d.]+ images\/s$/);
    assert.strictEqual(JSON.parse(stdout).length, 2);
  });

  it('bench runs a dynamic model at its trained size (metadata imgsz) unless --imgsz says otherwise', async () => {
    const sized = path.join(tmp, 'det320.onnx');
    fs.writeFileSync(sized, constantDetector({ rows: [[160, 160, 50, 50, 0.9, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: "{0: 'a', 1: 'b'}", imgsz: '[320, 256]' } }));
    const bench = async (...extra) => JSON.parse((await run(['bench', '-m', sized, '--batch', '1', '--iters', '2', '--warmup', '1', '--json', ...extra])).stdout);
    assert.deepStrictEqual((await bench()).inputSize, [320, 256]);
    assert.deepStrictEqual((await bench('--imgsz', '416')).inputSize, [416, 416]);
  });

  it('exits non-zero with a clear message on bad input', async () => {
    const missing = await run(['detect', '-m', path.join(tmp, 'nope.onnx'), path.join(tmp, 'imgs')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /ERR_FILE_NOT_FOUND/);
    const badArg = await run(['detect', '-m', model, path.join(tmp, 'imgs'), '--conf', 'abc']);
    assert.strictEqual(badArg.code, 2);
    assert.match(badArg.stderr, /--conf must be a number/);
  });

  it('usage mistakes exit 2 with the command\'s usage line; failures exit 1', async () => {
    const imgs = path.join(tmp, 'imgs');
    for (const [args, said, usage] of [
      [['inspect', imgs], /required option '-o, --out <dir>' not specified/, 'die-inspect inspect [options] <images...>'],
      [['detect', imgs], /required option '-m, --model <file>' not specified/, 'die-inspect detect [options] <images...>'],
      [['eval', '-m', model], /required option '-d, --data <path>' not specified/, 'die-inspect eval [options]'],
      [['detect', '-m', model, imgs, '--bogus'], /unknown option '--bogus'/, 'die-inspect detect [options] <images...>'],
      [['info'], /missing required argument 'model'/, 'die-inspect info [options] <model>'],
      [['detect', '-m', model, imgs, '--conf', 'abc'], /--conf must be a number/, 'die-inspect detect [options] <images...>'],
    ]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, said);
      assert.ok(r.stderr.includes(`Usage: ${usage}\n`), `${args.join(' ')}: ${r.stderr}`);
      // The usage line, not the whole help.
      assert.ok(!r.stderr.includes('Options:'), r.stderr);
    }
    // No command, or an unknown one: the program's help, which lists the commands.
    for (const args of [['frobnicate'], []]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: die-inspect \[options\] \[command\]/);
      assert.match(r.stderr, /inspect \[options\] <images\.\.\.>/);
    }
    assert.match((await run(['frobnicate'])).stderr, /unknown command 'frobnicate'/);
    // A model that cannot be loaded is a failure, not a usage mistake.
    const broken = path.join(tmp, 'broken.onnx');
    fs.writeFileSync(broken, 'not an onnx model');
    const load = await run(['info', broken]);
    assert.strictEqual(load.code, 1, load.stderr);
    assert.match(load.stderr, /ERR_MODEL_LOAD/);
    assert.ok(!load.stderr.includes('Usage:'), load.stderr);
    assert.strictEqual((await run(['--version'])).code, 0);
  });

  it('every command that runs a model takes its execution providers as --ep', async () => {
    for (const cmd of ['inspect', 'detect', 'bench', 'eval', 'info']) {
      const help = (await run([cmd, '--help'])).stdout;
      assert.match(help, /--ep <providers>/, cmd);
      assert.doesNotMatch(help, /--provider\b/, cmd);
    }
    // eval reads --ep, and its old --provider still (hidden).
    const csv = path.join(tmp, 'labels.csv');
    fs.writeFileSync(csv, 'path,label\nimgs/a.jpg,good\n');
    for (const flag of ['--ep', '--provider']) {
      const bad = await run(['eval', '-m', model, '--data', csv, flag, 'gpu']);
      assert.strictEqual(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /unknown execution provider 'gpu'/);
    }
  });

  it('providers reports every provider, and --ep without cpu refuses to fall back', async () => {
    const r = await run(['providers', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.strictEqual(report.tensorrtCache, path.join(process.env.DIE_INSPECT_CACHE_DIR, 'tensorrt'));
    const got = report.providers;
    assert.deepStrictEqual(got.map((p) => p.provider), ['tensorrt', 'cuda', 'cpu']);
    assert.deepStrictEqual(got[2], { provider: 'cpu', available: true, reason: '' });
    for (const p of got) assert.ok(p.available || p.reason.length > 10, `${p.provider}: a reason when unavailable`);
    const strict = await run(['info', model, '--ep', 'cuda,tensorrt']);
    if (got[1].available) {
      assert.strictEqual(strict.code, 0, strict.stderr);
      assert.match(strict.stdout, /^provider: (cuda|tensorrt)$/m);
    } else {
      assert.strictEqual(strict.code, 1);
      assert.match(strict.stderr, /ERR_PROVIDER_UNAVAILABLE/);
    }
    const chain = await run(['info', model, '--ep', 'cuda']);
    assert.strictEqual(chain.code, 0, chain.stderr);
    assert.match(chain.stdout, got[1].available ? /^provider: cuda$/m : /^provider: cpu$/m);
  });

  it('cache lists the TensorRT engine folders with their size; --clear removes those no live process is using', async () => {
    const root = path.join(tmp, 'cache-root');
    const env = { ...process.env, DIE_INSPECT_CACHE_DIR: root };
    const base = path.join(root, 'tensorrt', 'ort-1.29.0');
    const engines = path.join(base, 'abc');
    fs.mkdirSync(path.join(engines, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(engines, 'x.engine'), Buffer.alloc(1500000));
    fs.writeFileSync(path.join(engines, 'sub', 'x.profile'), Buffer.alloc(500000));
    fs.mkdirSync(path.join(base, 'def'));
    // This test process holds ghi's lock, as a process building its engines would.
    fs.mkdirSync(path.join(base, 'ghi'));
    fs.writeFileSync(path.join(base, 'ghi', '.lock'), `${process.pid} ${os.hostname()}`);
    const list = JSON.parse((await run(['cache', '--json'], { env })).stdout);
    assert.deepStrictEqual(list.folders.map((f) => [path.relative(base, f.folder), f.inUse]), [['abc', false], ['def', false], ['ghi', true]]);
    assert.strictEqual(list.folders[0].bytes, 2000000);
    const text = await run(['cache'], { env });
    assert.match(text.stdout, /ort-1\.29\.0\/abc\s+2\.0\n/);
    assert.match(text.stdout, /ort-1\.29\.0\/ghi\s+0\.0\s+yes\n/);
    const cleared = await run(['cache', '--clear'], { env });
    assert.strictEqual(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /removed: 2 folders, 2\.0 MB from .*; kept 1 in use/);
    assert.deepStrictEqual(fs.readdirSync(base), ['ghi']);
  });

  it('warns before a TensorRT engine build, on a terminal only', () => {
    const { noteEngineBuild } = require('../dist/cli/progress');
    const lines = [];
    const tty = { isTTY: true, write: (t) => lines.push(t) };
    noteEngineBuild(['cuda', 'cpu'], tty);
    noteEngineBuild(['tensorrt', 'cuda', 'cpu'], { isTTY: false, write: (t) => lines.push(t) });
    assert.deepStrictEqual(lines, []);
    noteEngineBuild(['tensorrt', 'cuda', 'cpu'], tty);
    assert.strictEqual(lines.length, 1);
    assert.ok(lines[0].includes(path.join(process.env.DIE_INSPECT_CACHE_DIR, 'tensorrt')), lines[0]);
  });

  it('tables put words on the left and numbers on the right', () => {
    const { formatTable } = require('../dist/cli/table');
    const t = formatTable(['name', 'task', 'size'], [['long-model', 'detect', '24.1 MB'], ['m', 'classify', '2.8 MB']]);
    assert.strictEqual(t, [
      'name        task         size',
      '----------  --------  -------',
      'long-model  detect    24.1 MB',
      'm           classify   2.8 MB',
    ].join('\n') + '\n');
  });

  it('prints help for every command', async () => {
    for (const cmd of ['detect', 'bench', 'info']) {
      const r = await run([cmd, '--help']);
      assert.strictEqual(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: die-inspect ${cmd}`));
    }
  });
});
