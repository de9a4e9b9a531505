'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { constantDetector, constantClassifier } = require('./helpers/onnx');

const { run } = require('./helpers/cli');

describe('CLI synth, inspect, models', function () {
  this.timeout(120000);
  let tmp;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-cli2-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('synth writes the dataset, reports its rate, and repeats byte for byte with the same seed', async () => {
    const a = await run(['synth', '--out', path.join(tmp, 's1'), '--count', '4', '--seed', '7', '--crops', '--modes', 'brightfield,darkfield-blue', '--json']);
    assert.strictEqual(a.code, 0, a.stderr);
    const summary = JSON.parse(a.stdout);
    assert.strictEqual(summary.images, 8);
    assert.ok(summary.imagesPerSec > 0);
    const b = await run(['synth', '--out', path.join(tmp, 's2'), '--count', '4', '--seed', '7', '--crops', '--modes', 'brightfield,darkfield-blue']);
    assert.strictEqual(b.code, 0, b.stderr);
    assert.match(b.stdout, /wrote 8 images \(4 parts\)/);
    for (const f of ['meta.json', 'coco.json', 'crops/labels/000003.txt']) {
      assert.ok(fs.readFileSync(path.join(tmp, 's1', f)).equals(fs.readFileSync(path.join(tmp, 's2', f))), f);
    }
    const bad = await run(['synth', '--out', path.join(tmp, 's3'), '--count', '2', '--modes', 'ultraviolet']);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /unknown mode 'ultraviolet'/);
  });

  it('inspect writes results.jsonl, annotated images and a summary', async () => {
    const det = path.join(tmp, 'det.onnx');
    const cls = path.join(tmp, 'cls.onnx');
    fs.writeFileSync(det, constantDetector({ rows: [[160, 160, 40, 30, 0.9, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}", imgsz: '[320, 320]' } }));
    fs.writeFileSync(cls, constantClassifier([2, -2], { names: "{0: 'good', 1: 'defective'}" }));
    const images = path.join(tmp, 's1', 'images');
    fs.writeFileSync(path.join(images, 'broken.jpg'), 'not a jpeg');
    const out = path.join(tmp, 'out');
    const r = await run(['inspect', images, '--out', out, '--detector', det, '--classifier', cls]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /verdict fail\s+4/);
    assert.match(r.stdout, /verdict skipped\s+4/);
    assert.match(r.stdout, /verdict error\s+1/);
    const lines = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.strictEqual(lines.length, 9);
    for (const l of lines) {
      for (const k of ['path', 'mode', 'roi', 'dieAngle', 'detections', 'classification', 'verdict', 'reasons', 'timings']) assert.ok(k in l, k);
    }
    const failed = lines.filter((l) => l.verdict === 'fail');
    for (const l of failed) {
      assert.strictEqual(l.roi.status, 'ok');
      assert.strictEqual(l.roi.quad.length, 4);
      assert.strictEqual(l.detections[0].label, 'die_crack');
      assert.strictEqual(l.detections[0].quad.length, 4);
      assert.ok(Math.abs(l.classification.defectProbability - 1 / (1 + Math.exp(4))) < 1e-5);
    }
    const broken = lines.find((l) => l.path.endsWith('broken.jpg'));
    assert.strictEqual(broken.error.code, 'ERR_IMAGE_DECODE');
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.strictEqual(summary.images, 9);
    assert.strictEqual(summary.verdicts.fail, 4);
    assert.strictEqual(summary.detections.die_crack, 4);
    // Everything decodable is drawn.
    assert.strictEqual(fs.readdirSync(path.join(out, 'annotated')).length, 8);
  });

  it('inspect\'s summary lists the parts that failed or could not be inspected: the first 20, then how many more', async () => {
    const det = path.join(tmp, 'det-list.onnx');
    fs.writeFileSync(det, constantDetector({ rows: [[160, 160, 40, 30, 0.9, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}", imgsz: '[320, 320]' } }));
    const dir = path.join(tmp, 'many');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'broken.jpg'), 'not a jpeg');
    for (let i = 0; i < 22; i++) fs.copyFileSync(path.join(__dirname, '..', 'samples', 'images', '000000.jpg'), path.join(dir, `p${String(i).padStart(2, '0')}.jpg`));
    // A darkfield view is skipped, not failed: not listed.
    fs.copyFileSync(path.join(__dirname, '..', 'samples', 'images', '000000-darkfield-white.jpg'), path.join(dir, 'q-dark.jpg'));
    const out = path.join(tmp, 'many-out');
    const r = await run(['inspect', dir, '--out', out, '--detector', det, '--no-classifiers', '--no-annotate']);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l === '23 parts failed or could not be inspected:');
    assert.ok(head > 0, r.stdout);
    // After the counts.
    assert.ok(lines.findIndex((l) => /^verdict fail\s+22$/.test(l)) < head, r.stdout);
    const listed = lines.slice(head + 1, head + 21);
    assert.match(listed[0], new RegExp(`^  error   ${path.join(dir, 'broken.jpg')}  ERR_IMAGE_DECODE: `));
    listed.slice(1).forEach((l, i) => {
      assert.strictEqual(l, `  fail    ${path.join(dir, `p${String(i).padStart(2, '0')}.jpg`)}  die_crack 0.81 (threshold 0.5)`);
    });
    assert.strictEqual(lines[head + 21], `  ... and 3 more (every part: ${path.join(out, 'results.jsonl')})`);
    assert.ok(!r.stdout.includes('q-dark.jpg'), r.stdout);
  });

  it('inspect --imgsz runs the detector at that input size', async () => {
    // The constant detector reports the same input-pixel box at any size: at 640 instead of
    // its recorded 320 the letterbox scale doubles, so the box on the crop is half as wide.
    const det = path.join(tmp, 'det320.onnx');
    fs.writeFileSync(det, constantDetector({ rows: [[160, 160, 40, 30, 0.9, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: "{0: 'die_crack', 1: 'die_rotation'}", imgsz: '[320, 320]' } }));
    const image = path.join(tmp, 's1', 'images', '000000.jpg');
    const widths = [];
    for (const extra of [[], ['--imgsz', '640']]) {
      const out = path.join(tmp, `imgsz${extra.length}`);
      const r = await run(['inspect', image, '--out', out, '--detector', det, '--no-classifiers', '--no-annotate', ...extra]);
      assert.strictEqual(r.code, 0, r.stderr);
      const [l] = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x));
      widths.push(l.detections[0].cropBox[2] - l.detections[0].cropBox[0]);
    }
    assert.ok(Math.abs(widths[1] - widths[0] / 2) < 0.5, `${widths}`);
    for (const bad of ['0', '-5', '512.5', 'big']) {
      const r = await run(['inspect', image, '--out', path.join(tmp, 'imgszbad'), '--detector', det, '--no-classifiers', '--imgsz', bad]);
      assert.strictEqual(r.code, 2, bad);
      assert.match(r.stderr, /--imgsz must be a (positive integer|number)/);
    }
  });

  it('inspect --roi seg runs the shipped package segmenter', async () => {
    const dir = path.join(tmp, 's2');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    const out = path.join(tmp, 'seg');
    const r = await run(['inspect', path.join(dir, 'images'), '--out', out, '--roi', 'seg', '--no-detector', '--no-classifiers', '--no-annotate']);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const { convexIoU } = require('../dist/eval');
    for (const m of meta.filter((x) => x.mode === 'brightfield')) {
      const l = lines.find((x) => x.path.endsWith(path.basename(m.file)));
      assert.strictEqual(l.roi.status, 'ok', m.file);
      assert.ok(convexIoU(l.roi.quad, m.packageQuad) > 0.97, m.file);
    }
  });

  it('inspect rejects an unknown ROI strategy or a missing model with exit code 2', async () => {
    const images = path.join(tmp, 's1', 'images');
    const a = await run(['inspect', images, '--out', path.join(tmp, 'o2'), '--roi', 'psychic', '--no-detector', '--no-classifiers']);
    assert.strictEqual(a.code, 2);
    const b = await run(['inspect', images, '--out', path.join(tmp, 'o3'), '--roi', 'sam', '--no-detector', '--no-classifiers']);
    assert.strictEqual(b.code, 2);
    assert.match(b.stderr, /--roi sam needs --sam-encoder/);
    const c = await run(['inspect', images, '--out', path.join(tmp, 'o4'), '--detector', 'no-such-model', '--no-classifiers']);
    assert.strictEqual(c.code, 2);
    assert.match(c.stderr, /neither a file nor an installed model/);
  });

  it('inspect --watch takes what is there, then each image as it lands (never half-written), until SIGINT; a restart carries on', async () => {
    const { spawn } = require('child_process');
    const { BIN } = require('./helpers/cli');
    const src = path.join(tmp, 's1', 'images');
    const [first, second, third] = fs.readdirSync(src).filter((f) => f.endsWith('.jpg')).sort();
    const inbox = path.join(tmp, 'inbox');
    const out = path.join(tmp, 'watched');
    fs.mkdirSync(path.join(inbox, 'line2'), { recursive: true });
    fs.copyFileSync(path.join(src, first), path.join(inbox, first));
    const watcher = (folder) => {
      const child = spawn(process.execPath, [BIN, 'inspect', folder, '--out', out, '--watch', '--settle', '1500',
        '--no-detector', '--no-classifiers', '--all-modes']);
      let stdout = '', stderr = '';
      const waiters = [];
      child.stdout.on('data', (d) => {
        stdout += d;
        waiters.forEach((w) => w());
      });
      child.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      return {
        lines: (n) => new Promise((resolve) => {
          const check = () => { if (stdout.split('\n').filter(Boolean).length >= n) resolve(); };
          waiters.push(check);
          check();
        }),
        stop: async () => {
          child.kill('SIGINT');
          return { code: await exited, stderr };
        },
      };
    };
    const a = watcher(inbox);
    await a.lines(1);
    // The second part arrives in a subfolder, in two writes 200 ms apart, well inside
    // the 1.5 s settling time: it must be read whole (with --settle 0 it is not).
    const bytes = fs.readFileSync(path.join(src, second));
    const target = path.join(inbox, 'line2', second);
    fs.writeFileSync(target, bytes.subarray(0, bytes.length >> 1));
    await new Promise((r) => setTimeout(r, 200));
    fs.appendFileSync(target, bytes.subarray(bytes.length >> 1));
    await a.lines(2);
    const stopped = await a.stop();
    assert.strictEqual(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /watching .*inbox/);
    assert.match(stopped.stderr, /stopping/);
    const read = () => fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepStrictEqual(read().map((r) => r.path), [path.join(inbox, first), target]);
    for (const r of read()) assert.strictEqual(r.error, undefined, JSON.stringify(r));
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).images, 2);
    assert.ok(fs.existsSync(path.join(out, 'annotated', `00001-${second}`)));
    // A part that lands while nobody watches is taken up by the next watcher (named
    // another way), which keeps the earlier records and does not redo their images. A
    // record cut short by a killed run is dropped (and its image done again), and a
    // picture that cannot be written (a folder in its place) costs a warning only.
    fs.appendFileSync(path.join(out, 'results.jsonl'), '{"path":"cut-short.jpg","ind');
    fs.copyFileSync(path.join(src, third), path.join(inbox, third));
    fs.mkdirSync(path.join(out, 'annotated', `00002-${third}`));
    const b = watcher(`${inbox}/`);
    await b.lines(1);
    const restarted = await b.stop();
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stderr, new RegExp(`annotate .*${third}`));
    const all = read();
    assert.deepStrictEqual(all.map((r) => [path.resolve(r.path), r.index]),
      [[path.join(inbox, first), 0], [target, 1], [path.join(inbox, third), 2]]);
  });

  it('inspect (and --watch) with --out inside the input folder does not inspect its own annotated pictures', async () => {
    const { spawn } = require('child_process');
    const { BIN } = require('./helpers/cli');
    const src = path.join(tmp, 's1', 'images');
    const first = fs.readdirSync(src).filter((f) => f.endsWith('.jpg')).sort()[0];
    const inbox = path.join(tmp, 'inbox-self');
    const out = path.join(inbox, 'results');
    fs.mkdirSync(inbox, { recursive: true });
    fs.copyFileSync(path.join(src, first), path.join(inbox, first));
    const child = spawn(process.execPath, [BIN, 'inspect', inbox, '--out', out, '--watch', '--settle', '100',
      '--no-detector', '--no-classifiers', '--all-modes']);
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    while (!stdout.includes(first)) await new Promise((r) => setTimeout(r, 50));
    // Its annotated picture lands in the watched tree; taken up, it would show within
    // a few hundred ms (settling 100 ms). Two seconds is ample.
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(fs.readdirSync(path.join(out, 'annotated')).length === 1);
    child.kill('SIGINT');
    assert.strictEqual(await exited, 0);
    assert.strictEqual(fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').length, 1, stdout);
    // The same for a plain run: the earlier run's annotated picture is not a part.
    const again = await run(['inspect', inbox, '--out', out, '--json', '--no-detector', '--no-classifiers', '--all-modes']);
    assert.strictEqual(again.code, 0, again.stderr);
    assert.strictEqual(JSON.parse(again.stdout).images, 1);
  });

  it('inspect --watch inspects an image written again under the same name, and passes over a chmod', async () => {
    const { spawn } = require('child_process');
    const { BIN } = require('./helpers/cli');
    const samples = path.join(__dirname, '..', 'samples', 'images');
    const inbox = path.join(tmp, 'inbox-reuse');
    const out = path.join(tmp, 'watched-reuse');
    fs.mkdirSync(inbox, { recursive: true });
    const current = path.join(inbox, 'current.jpg');
    // samples/meta.json: 000000 is brightfield, 000000-darkfield-white is not, so only the
    // first goes on past the mode filter (the default: brightfield only).
    fs.copyFileSync(path.join(samples, '000000.jpg'), current);
    const child = spawn(process.execPath, [BIN, 'inspect', inbox, '--out', out, '--watch', '--settle', '100',
      '--no-detector', '--no-classifiers']);
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const records = () => {
      const file = path.join(out, 'results.jsonl');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    };
    const until = async (n) => { while (records().length < n) await new Promise((r) => setTimeout(r, 50)); };
    await until(1);
    // A chmod fires a change event but leaves size and mtime: nothing new to inspect.
    fs.chmodSync(current, 0o600);
    await new Promise((r) => setTimeout(r, 1500));
    assert.strictEqual(records().length, 1, stdout);
    // A new picture under the same name (written to the side and renamed in, as cameras do).
    fs.copyFileSync(path.join(samples, '000000-darkfield-white.jpg'), path.join(inbox, '.next.tmp'));
    fs.renameSync(path.join(inbox, '.next.tmp'), current);
    await until(2);
    child.kill('SIGINT');
    assert.strictEqual(await exited, 0);
    const [a, b] = records();
    assert.deepStrictEqual([a.path, b.path], [current, current]);
    assert.deepStrictEqual([a.mode, b.mode], ['brightfield', 'darkfield-white']);
    assert.deepStrictEqual([a.verdict === 'skipped', b.verdict], [false, 'skipped']);
  });

  it('models lists the shipped cards', async () => {
    const r = await run(['models', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const cards = JSON.parse(r.stdout);
    assert.ok(Array.isArray(cards));
    for (const c of cards) {
      for (const k of ['name', 'task', 'classes', 'input', 'output', 'training', 'metrics']) assert.ok(k in c, `${c.name}: ${k}`);
      assert.ok(fs.existsSync(c.file), c.file);
    }
  });
});
