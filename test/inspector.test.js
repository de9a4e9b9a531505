'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Inspector, synthesize, encodeImage, DieInspectError } = require('../dist');
const { constantDetector, constantClassifier } = require('./helpers/onnx');

const NAMES = "{0: 'die_crack', 1: 'die_rotation'}";
// Model-input pixels at 320x320: cx cy w h obj cls0 cls1.
const ROWS = [
  [160, 160, 40, 30, 0.9, 0.9, 0.1], // die_crack 0.81 at the crop centre: fails the part
  [60, 160, 20, 20, 0.6, 0.1, 0.5], // die_rotation 0.30: reported, below the 0.5 threshold
];
const sigmoid = (x) => 1 / (1 + Math.exp(-x));

describe('Inspector', function () {
  this.timeout(120000);
  let dir;
  let meta;
  let inspector;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-insp-'));
    await synthesize({ out: dir, count: 8, seed: 5, modes: ['brightfield', 'darkfield-white'] });
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    inspector = await Inspector.create({
      detector: constantDetector({ rows: ROWS, height: 'h', width: 'w', metadata: { names: NAMES, imgsz: '[320, 320]' } }),
      classifiers: [constantClassifier([2, -2], { names: "{0: 'good', 1: 'defective'}" }), constantClassifier([1, -1], { names: "{0: 'good', 1: 'defective'}" })],
      batchSize: 4,
    });
  });
  after(() => inspector.close());

  it('runs every stage and gives verdicts with reasons', async () => {
    const results = await inspector.inspect(meta.map((m) => path.join(dir, m.file)));
    assert.strictEqual(results.length, meta.length);
    const pDefect = (sigmoid(-4) + sigmoid(-2)) / 2;
    results.forEach((r, i) => {
      const m = meta[i];
      assert.strictEqual(r.index, i);
      assert.strictEqual(r.path, path.join(dir, m.file));
      assert.strictEqual(r.mode, m.mode);
      if (m.mode !== 'brightfield') {
        assert.strictEqual(r.verdict, 'skipped', m.file);
        return;
      }
      assert.strictEqual(r.roi.status, 'ok');
      assert.strictEqual(r.verdict, 'fail');
      assert.ok(r.reasons.some((x) => x.startsWith('die_crack 0.81')), r.reasons.join('; '));
      assert.ok(!r.reasons.some((x) => x.startsWith('die_rotation 0.30')), r.reasons.join('; '));
      assert.deepStrictEqual(r.detections.map((d) => d.label), ['die_crack', 'die_rotation']);
      assert.ok(Math.abs(r.classification.defectProbability - pDefect) < 1e-5);
      assert.deepStrictEqual(r.classification.members.map((x) => Math.round(x.defectProbability * 1e5) / 1e5),
        [sigmoid(-4), sigmoid(-2)].map((v) => Math.round(v * 1e5) / 1e5));
      // Die rotation is judged by the measured angle against the tolerance.
      const rotated = m.defects.some((d) => d.label === 'die_rotation');
      assert.strictEqual(r.reasons.some((x) => x.startsWith('die rotated')), rotated, `${m.file}: ${r.dieAngle} vs ${m.dieAngle}`);
      assert.ok(Math.abs(r.dieAngle - m.dieAngle) < 0.5);
    });
  });

  it('frees each batch\'s crops once the batch is through the models, not when the collector gets to them', async () => {
    const seen = [];
    const capture = inspector.roi.capture;
    inspector.roi.capture = async (images) => {
      const rois = await capture.call(inspector.roi, images);
      seen.push(...rois.filter((r) => r.crop).map((r) => ({ bytes: r.crop.data.byteLength, crop: r.crop })));
      return rois;
    };
    try {
      const results = await inspector.inspect(meta.map((m) => path.join(dir, m.file)));
      assert.ok(results.some((r) => r.verdict === 'fail'));
    } finally {
      delete inspector.roi.capture;
    }
    assert.ok(seen.length >= 2 && seen.every((c) => c.bytes > 0), `${seen.length} crops`);
    assert.deepStrictEqual(seen.map((c) => c.crop.data.byteLength), seen.map(() => 0));
  });

  it('maps crop detections to original-image quads', async () => {
    const bf = meta.filter((m) => m.mode === 'brightfield');
    const results = await inspector.inspect(bf.map((m) => path.join(dir, m.file)));
    results.forEach((r, i) => {
      const m = bf[i];
      const d = r.detections[0];
      assert.ok(d, `${m.file}: no detection (roi ${r.roi && r.roi.status}, verdict ${r.verdict}, error ${r.error && r.error.message})`);
      const crop = [(d.cropBox[0] + d.cropBox[2]) / 2, (d.cropBox[1] + d.cropBox[3]) / 2];
      assert.ok(Math.abs(crop[0] - r.roi.cropWidth / 2) < 1 && Math.abs(crop[1] - r.roi.cropHeight / 2) < 1);
      const c = d.quad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
      const g = m.packageQuad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
      assert.ok(Math.hypot(c[0] - g[0], c[1] - g[1]) < 2, `${m.file}: ${c} vs ${g}`);
      // The quad is the box turned with the package.
      const top = Math.atan2(d.quad[1][1] - d.quad[0][1], d.quad[1][0] - d.quad[0][0]) * 180 / Math.PI;
      const diff = Math.abs(((top - m.packageAngle) % 360 + 540) % 360 - 180);
      assert.ok(diff < 1, `${m.file}: ${top} vs ${m.packageAngle}`);
    });
  });

  it('keeps per-image errors and passes clean parts', async () => {
    const quiet = await Inspector.create({
      detector: constantDetector({ rows: [[160, 160, 40, 30, 0.1, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: NAMES, imgsz: '[320, 320]' } }),
      classifiers: [constantClassifier([2, -2])],
    });
    try {
      const flat = await encodeImage({ data: new Uint8Array(320 * 240 * 3).fill(120), width: 320, height: 240, channels: 3 }, { format: 'png' });
      const good = meta.find((m) => m.mode === 'brightfield' && m.defects.length === 0);
      const rotated = meta.find((m) => m.mode === 'brightfield' && m.defects.some((d) => d.label === 'die_rotation'));
      const res = await quiet.inspect([Buffer.from('garbage'), path.join(dir, good.file), flat, path.join(dir, rotated.file)]);
      assert.strictEqual(res[0].verdict, 'error');
      assert.strictEqual(res[0].error.code, 'ERR_IMAGE_DECODE');
      assert.strictEqual(res[1].verdict, 'pass', res[1].reasons.join('; '));
      assert.deepStrictEqual(res[1].detections, []);
      assert.strictEqual(res[2].verdict, 'error');
      assert.deepStrictEqual(res[2].reasons, ['no IC package found']);
      assert.strictEqual(res[3].verdict, 'fail');
      assert.ok(res[3].reasons[0].startsWith('die rotated'));
    } finally {
      quiet.close();
    }
  });

  it('a skipped (darkfield) image carries no package outline it did not look for, and none is drawn', async () => {
    const { annotationShapes, resultRecord } = require('../dist/pipeline/report');
    const samples = path.join(__dirname, '..', 'samples', 'images');
    const files = ['000000-darkfield-white.jpg', '000001-darkfield-blue.jpg', '000000.jpg'].map((f) => path.join(samples, f));
    const [white, blue, bright] = await inspector.inspect(files);
    for (const r of [white, blue]) {
      assert.strictEqual(r.verdict, 'skipped', r.path);
      assert.deepStrictEqual(r.roi, { status: 'skipped' }, r.path);
      assert.strictEqual(r.dieAngle, null);
      assert.deepStrictEqual([r.detections, r.classification], [[], null]);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(resultRecord(r))).roi, { status: 'skipped' });
      assert.ok(!annotationShapes(r).some((x) => x.type === 'polygon'), r.path);
    }
    assert.deepStrictEqual([white.mode, blue.mode], ['darkfield-white', 'darkfield-blue']);
    assert.strictEqual(bright.roi.status, 'ok');
    // allModes looks for the package on every image; an ROI stage told to skip darkfield ones
    // still skips them (never a 'pass' for an image nobody looked at).
    for (const [config, verdict] of [[{ allModes: true }, 'error'], [{ allModes: true, roi: { brightfieldOnly: true } }, 'skipped']]) {
      const other = await Inspector.create({ detector: false, classifiers: false, ...config });
      try {
        const [r] = await other.inspect([files[0]]);
        assert.strictEqual(r.verdict === 'skipped', verdict === 'skipped', `${JSON.stringify(config)}: ${r.verdict} ${r.reasons}`);
        assert.strictEqual(r.roi.status !== 'skipped', verdict !== 'skipped', JSON.stringify(config));
      } finally {
        other.close();
      }
    }
  });

  it('streams results and stops on abort', async () => {
    const files = meta.map((m) => path.join(dir, m.file));
    const seen = [];
    for await (const r of inspector.inspectStream(files)) seen.push(r.index);
    assert.deepStrictEqual(seen, files.map((_, i) => i));
    const ac = new AbortController();
    const got = [];
    await assert.rejects((async () => {
      for await (const r of inspector.inspectStream(files, { signal: ac.signal })) {
        got.push(r);
        ac.abort();
      }
    })(), (e) => e instanceof DieInspectError && e.code === 'ERR_ABORTED');
    assert.strictEqual(got.length, 1);
  });

  it('from a live source, yields each batch while the source is still waiting for more', async () => {
    // The source gives 6 images (batch size 4), then waits until the consumer has
    // seen all 6 results: a stream that held results back for a fuller batch, or
    // for the next batch to form, would never get there (and the test would time out).
    const files = meta.slice(0, 7).map((m) => path.join(dir, m.file));
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const events = [];
    async function* camera() {
      for (const f of files.slice(0, 6)) {
        events.push('image');
        yield f;
      }
      await gate;
      events.push('image');
      yield files[6];
    }
    const seen = [];
    for await (const r of inspector.inspectStream(camera(), { maxWaitMs: 20 })) {
      events.push('result');
      seen.push(r.index);
      if (seen.length === 6) release();
    }
    assert.deepStrictEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
    // All six results came before the seventh image was produced.
    const seventh = events.lastIndexOf('image');
    assert.strictEqual(events.slice(0, seventh).filter((e) => e === 'result').length, 6, events.join(' '));
    await assert.rejects(async () => {
      for await (const r of inspector.inspectStream(files, { maxWaitMs: -1 })) assert.fail(String(r));
    }, { code: 'ERR_INVALID_ARG' });
  });

  it('submit(): concurrent single-image requests share batches and each gets its own result', async () => {
    const files = meta.map((m) => path.join(dir, m.file));
    const expected = await inspector.inspect(files);
    const service = await Inspector.create({
      detector: constantDetector({ rows: ROWS, height: 'h', width: 'w', metadata: { names: NAMES, imgsz: '[320, 320]' } }),
      classifiers: [constantClassifier([2, -2], { names: "{0: 'good', 1: 'defective'}" })],
      batchSize: 16,
    });
    const sizes = [];
    const capture = service.roi.capture.bind(service.roi);
    service.roi.capture = (batch) => {
      sizes.push(batch.length);
      return capture(batch);
    };
    try {
      // 40 requests at once, as from 40 request handlers.
      const requests = Array.from({ length: 40 }, (_, i) => files[i % files.length]);
      const results = await Promise.all(requests.map((f) => service.submit(f)));
      results.forEach((r, i) => {
        const want = expected[i % files.length];
        assert.strictEqual(r.path, requests[i]);
        assert.strictEqual(r.verdict, want.verdict, `request ${i}`);
        assert.deepStrictEqual(r.detections.map((d) => d.label), want.detections.map((d) => d.label));
      });
      assert.strictEqual(sizes.reduce((a, b) => a + b, 0), 40);
      assert.ok(Math.max(...sizes) === 16 && sizes.length <= 4, `batch sizes ${sizes}`);
      // Alone, a request goes at once, in a batch of its own.
      sizes.length = 0;
      const lone = await service.submit(files[0]);
      assert.strictEqual(lone.verdict, expected[0].verdict);
      assert.deepStrictEqual(sizes, [1]);
      // A bad image answers its own request only.
      const [bad, good] = await Promise.all([service.submit(Buffer.from('not an image')), service.submit(files[1])]);
      assert.strictEqual(bad.verdict, 'error');
      assert.strictEqual(bad.error.code, 'ERR_IMAGE_DECODE');
      assert.strictEqual(good.verdict, expected[1].verdict);
      // An input of the wrong type rejects its own request only, and the queue goes on.
      const mixed = await Promise.allSettled([service.submit(42), service.submit(files[2]), service.submit('')]);
      assert.deepStrictEqual(mixed.map((m) => m.status), ['rejected', 'fulfilled', 'rejected']);
      assert.strictEqual(mixed[0].reason.code, 'ERR_INVALID_ARG');
      assert.strictEqual(mixed[2].reason.code, 'ERR_INVALID_ARG');
      assert.strictEqual(mixed[1].value.verdict, expected[2].verdict);
      assert.strictEqual((await service.submit(files[3])).verdict, expected[3].verdict);
    } finally {
      service.close();
    }
    await assert.rejects(service.submit(files[0]), { code: 'ERR_SESSION_CLOSED' });
  });

  it('rejects a model that cannot be found with ERR_CONFIG', async () => {
    await assert.rejects(Inspector.create({ detector: 'no-such-model', classifiers: false }), (e) => e.code === 'ERR_CONFIG');
    // A NaN or a string threshold compares false with every score: every part would pass.
    for (const bad of [{ defectThreshold: NaN }, { conf: '0.3' }, { classThresholds: { die_crack: 1.5 } }, { dieTolerance: -1 },
      { batchSize: 0 }, { batchSize: 2.5 }, { batchSize: 65 }, { batchWaitMs: -1 }, { maxPending: 0 }]) {
      await assert.rejects(Inspector.create({ detector: false, classifiers: false, ...bad }),
        (e) => e.code === 'ERR_CONFIG' && /Inspector config/.test(e.message), JSON.stringify(bad));
    }
  });
});
