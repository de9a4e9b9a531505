'use strict';
// The records store: its schema (made, migrated forward, a newer one refused), every
// field of a result kept, metadata from --meta and sidecars, reviews and what they say,
// the exports read back by the project's own dataset readers, and bad stores refused
// with typed errors.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Database = require('better-sqlite3');
const { run } = require('./helpers/cli');
const {
  Inspector, openRecorder, RECORDS_SCHEMA_VERSION, PARTS_CSV_COLUMNS, parseMeta, DieInspectError,
} = require('../dist');
const { readDetectionDataset, readClassificationDataset } = require('../dist/eval');
const { MIGRATIONS } = require('../dist/pipeline/records/sql');

const SAMPLES = path.join(__dirname, '..', 'samples', 'images');

describe('records store', function () {
  this.timeout(300000);
  let tmp;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-records-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('schema', () => {
    it('a new store is WAL, at the current version, with every table', async () => {
      const file = path.join(tmp, 'new', 'line.sqlite');  // its folder is made too
      const r = await openRecorder(file);
      await r.close();
      const db = new Database(file, { readonly: true });
      assert.strictEqual(db.pragma('user_version', { simple: true }), RECORDS_SCHEMA_VERSION);
      assert.strictEqual(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name);
      assert.deepStrictEqual(tables, ['classifications', 'detections', 'parts', 'reviews', 'runs']);
      db.close();
    });

    it('a store of an older version is migrated forward, its rows kept', async () => {
      const file = path.join(tmp, 'v1.sqlite');
      const db = new Database(file);
      for (const s of MIGRATIONS[0].statements('INTEGER PRIMARY KEY')) db.exec(s);
      db.pragma('user_version = 1');
      db.prepare(`INSERT INTO runs (started_at, host, tool_version, config_json, models_json, meta_json)
        VALUES ('2025-01-01T00:00:00.000Z', 'old-host', '0.0.1', '{}', '[]', '{}')`).run();
      db.prepare(`INSERT INTO parts (run_id, image_path, image_sha256, inspected_at, lot, meta_json, width, height, roi_status,
        verdict, reasons_json, roi_ms, detect_ms, classify_ms, total_ms)
        VALUES (1, '/old/a.jpg', 'ab', '2025-01-01T00:00:01.000Z', 'L1', '{}', 640, 480, 'ok', 'pass', '[]', 1, 2, 3, 6)`).run();
      db.close();
      assert.ok(RECORDS_SCHEMA_VERSION > 1);
      const r = await openRecorder(file);
      const [part] = await r.parts();
      assert.strictEqual(part.imagePath, '/old/a.jpg');
      assert.strictEqual(part.lot, 'L1');
      const oldRun = await r.run(1);
      assert.strictEqual(oldRun.host, 'old-host');
      assert.strictEqual(oldRun.classes, null);
      const id = await r.beginRun({ config: {}, models: [], provider: 'cpu', classes: ['die_crack', 'die_rotation'] });
      assert.deepStrictEqual((await r.run(id)).classes, ['die_crack', 'die_rotation']);
      await r.close();
      const after = new Database(file, { readonly: true });
      assert.strictEqual(after.pragma('user_version', { simple: true }), RECORDS_SCHEMA_VERSION);
      after.close();
    });

    it('a newer schema, a file that is not a store, a path that cannot be written: typed errors', async () => {
      const newer = path.join(tmp, 'newer.sqlite');
      const db = new Database(newer);
      db.pragma(`user_version = ${RECORDS_SCHEMA_VERSION + 1}`);
      db.close();
      await assert.rejects(openRecorder(newer), (e) => e instanceof DieInspectError && e.code === 'ERR_DB_VERSION'
        && /newer die-inspect/.test(e.message));
      const junk = path.join(tmp, 'junk.sqlite');
      fs.writeFileSync(junk, Buffer.alloc(8192, 0x5a));
      await assert.rejects(openRecorder(junk), { code: 'ERR_DB_CORRUPT' });
      const other = path.join(tmp, 'other.sqlite');
      const o = new Database(other);
      o.exec('CREATE TABLE customers (id INTEGER)');
      o.close();
      await assert.rejects(openRecorder(other), { code: 'ERR_DB_CORRUPT' });
      const blocker = path.join(tmp, 'a-file');
      fs.writeFileSync(blocker, 'x');
      await assert.rejects(openRecorder(path.join(blocker, 'line.sqlite')), { code: 'ERR_WRITE' });
    });

    it('the CLI answers a bad --db with the code and exit 1, before any model loads, never a stack', async () => {
      fs.writeFileSync(path.join(tmp, 'corrupt.sqlite'), 'SQLite format 3\0'.padEnd(4096, '#'));
      for (const [db, code] of [[path.join(tmp, 'corrupt.sqlite'), 'ERR_DB_CORRUPT'], [path.join(tmp, 'newer.sqlite'), 'ERR_DB_VERSION'],
        [path.join(tmp, 'a-file', 'x.sqlite'), 'ERR_WRITE']]) {
        const r = await run(['inspect', path.join(SAMPLES, '000007.jpg'), '--out', path.join(tmp, 'bad-out'), '--db', db, '--no-annotate']);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`\\(${code}\\)`));
        assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
      }
      const usage = await run(['inspect', SAMPLES, '--out', path.join(tmp, 'bad-out'), '--meta', 'lot=1']);
      assert.strictEqual(usage.code, 2);
      assert.match(usage.stderr, /--meta needs --db/);
      const badMeta = await run(['inspect', SAMPLES, '--out', path.join(tmp, 'bad-out'), '--db', path.join(tmp, 'm.sqlite'), '--meta', 'lot']);
      assert.strictEqual(badMeta.code, 2);
    });
  });

  describe('recording through the Inspector', () => {
    let file, results, images, recorder;
    before(async () => {
      // four brightfield images and a darkfield one (skipped), with sidecars of both kinds
      const dir = path.join(tmp, 'parts');
      fs.mkdirSync(dir);
      images = ['000000.jpg', '000001.jpg', '000003.jpg', '000007.jpg', '000000-darkfield-white.jpg'].map((f) => {
        fs.copyFileSync(path.join(SAMPLES, f), path.join(dir, f));
        return path.join(dir, f);
      });
      fs.writeFileSync(`${images[0]}.json`, JSON.stringify({ lot: 'L7', partId: 'P-0', tray: 4 }));
      fs.writeFileSync(path.join(dir, '000001.json'), JSON.stringify({ camera: 'cam-b' }));
      // both kinds beside one image: IMAGE.EXT.json wins
      fs.writeFileSync(`${images[2]}.json`, JSON.stringify({ part: 'P-3' }));
      fs.writeFileSync(path.join(dir, '000003.json'), JSON.stringify({ part: 'loses' }));
      file = path.join(tmp, 'inspector.sqlite');
      const inspector = await Inspector.create({ conf: 0.3, record: { to: file, meta: parseMeta('lot=L42,station=3,operator=ann') } });
      results = await inspector.inspect(images);
      await inspector.close();
      recorder = await openRecorder(file);
    });
    after(() => recorder.close());

    it('records every part once, each result learning its part id', async () => {
      const parts = await recorder.parts();
      assert.strictEqual(parts.length, images.length);
      assert.deepStrictEqual(results.map((r) => r.recorded.created), images.map(() => true));
      assert.deepStrictEqual(parts.map((p) => p.id).sort(), results.map((r) => r.recorded.partId).sort());
    });

    it('every field round-trips', async () => {
      const crypto = require('crypto');
      for (const r of results) {
        const p = await recorder.part(r.recorded.partId);
        assert.strictEqual(p.imagePath, path.resolve(r.path));
        assert.strictEqual(p.imageSha256, crypto.createHash('sha256').update(fs.readFileSync(r.path)).digest('hex'));
        assert.strictEqual(p.width, r.width);
        assert.strictEqual(p.height, r.height);
        assert.strictEqual(p.mode, r.mode ?? null);
        assert.strictEqual(p.roi.status, r.roi.status);
        assert.deepStrictEqual(p.roi.quad, r.roi.quad ?? null);
        assert.strictEqual(p.roi.angle, r.roi.angle ?? null);
        assert.strictEqual(p.roi.score, r.roi.score ?? null);
        assert.strictEqual(p.roi.refined, r.roi.refined ?? null);
        assert.strictEqual(p.roi.cropWidth, r.roi.cropWidth ?? null);
        assert.strictEqual(p.roi.cropHeight, r.roi.cropHeight ?? null);
        assert.strictEqual(p.dieAngle, r.dieAngle);
        assert.strictEqual(p.verdict, r.verdict);
        assert.strictEqual(p.effectiveVerdict, r.verdict);
        assert.deepStrictEqual(p.reasons, r.reasons);
        assert.deepStrictEqual(p.detections, r.detections.map((d) => ({ label: d.label, classId: d.classId, score: d.score,
          cropBox: d.cropBox, quad: d.quad })));
        assert.deepStrictEqual(p.classification, r.classification);
        assert.deepStrictEqual(p.timings, { ...r.timings, explainMs: r.timings.explainMs ?? null });
        assert.strictEqual(p.warning, r.warning ?? null);
        assert.deepStrictEqual(p.error, r.error ? { code: r.error.code, message: r.error.message } : null);
        assert.strictEqual(p.review, null);
        assert.strictEqual(p.reviews, 0);
      }
      assert.ok(results.some((r) => r.detections.length > 0) && results.some((r) => r.verdict === 'skipped'));
    });

    it('the run holds the config, the models with their sha256, the provider, host and times', async () => {
      const runRecord = await recorder.run((await recorder.part(results[0].recorded.partId)).runId);
      assert.strictEqual(runRecord.host, os.hostname());
      assert.strictEqual(runRecord.provider, 'cpu');
      assert.ok(runRecord.endedAt >= runRecord.startedAt);
      assert.deepStrictEqual(runRecord.classes, ['die_crack', 'die_rotation']);
      assert.deepStrictEqual(runRecord.meta, { lot: 'L42', station: '3', extra: { operator: 'ann' } });
      const det = runRecord.models.find((m) => m.role === 'detector');
      const crypto = require('crypto');
      const { resolveModel } = require('../dist');
      assert.strictEqual(det.sha256, crypto.createHash('sha256').update(fs.readFileSync(resolveModel(det.name))).digest('hex'));
      assert.ok(runRecord.models.filter((m) => m.role === 'classifier').length >= 1);
      assert.strictEqual(runRecord.config.conf, 0.3);
      assert.strictEqual(runRecord.config.record, undefined);
    });

    it('--meta under the sidecars: IMAGE.EXT.json, else IMAGE.json; the sidecar wins key by key', async () => {
      const meta = async (i) => {
        const p = await recorder.part(results[i].recorded.partId);
        return { lot: p.lot, station: p.station, camera: p.camera, partId: p.partId, extra: p.extra };
      };
      assert.deepStrictEqual(await meta(0), { lot: 'L7', station: '3', camera: null, partId: 'P-0', extra: { operator: 'ann', tray: 4 } });
      assert.deepStrictEqual(await meta(1), { lot: 'L42', station: '3', camera: 'cam-b', partId: null, extra: { operator: 'ann' } });
      assert.deepStrictEqual(await meta(2), { lot: 'L42', station: '3', camera: null, partId: 'P-3', extra: { operator: 'ann' } });
      assert.deepStrictEqual(await meta(3), { lot: 'L42', station: '3', camera: null, partId: null, extra: { operator: 'ann' } });
    });

    it('the same images again are held already: no second record', async () => {
      const inspector = await Inspector.create({ record: recorder });
      const again = await inspector.inspect(images.slice(0, 2));
      await inspector.close();
      assert.deepStrictEqual(again.map((r) => r.recorded), results.slice(0, 2).map((r) => ({ ...r.recorded, created: false })));
      assert.strictEqual((await recorder.parts()).length, images.length);
      assert.strictEqual((await recorder.parts({ run: 2 })).length, 0);
    });

    it('queries filter by lot, station, camera, verdict, class and time', async () => {
      const all = await recorder.parts();
      assert.strictEqual((await recorder.parts({ lot: 'L7' })).length, 1);
      assert.strictEqual((await recorder.parts({ lot: 'L42' })).length, images.length - 1);
      assert.strictEqual((await recorder.parts({ station: '3' })).length, images.length);
      assert.strictEqual((await recorder.parts({ camera: 'cam-b' })).length, 1);
      assert.strictEqual((await recorder.parts({ verdict: 'skipped' })).length, 1);
      const cracked = results.filter((r) => r.detections.some((d) => d.label === 'die_crack')).length;
      assert.strictEqual((await recorder.parts({ class: 'die_crack' })).length, cracked);
      assert.strictEqual((await recorder.parts({ from: all[0].inspectedAt })).length, images.length);
      assert.strictEqual((await recorder.parts({ to: all[0].inspectedAt })).length, 0);
      assert.strictEqual((await recorder.parts({ from: new Date(Date.now() + 60000) })).length, 0);
      assert.deepStrictEqual((await recorder.parts({ limit: 2, offset: 1 })).map((p) => p.id), all.slice(1, 3).map((p) => p.id));
      await assert.rejects(recorder.parts({ from: 'yesterday-ish' }), { code: 'ERR_INVALID_ARG' });
    });
  });

  describe('reviews and exports', () => {
    let file, recorder, parts;
    const byName = (n) => parts.find((p) => path.basename(p.imagePath) === n);
    before(async () => {
      file = path.join(tmp, 'review.sqlite');
      const made = await run(['inspect', SAMPLES, '--out', path.join(tmp, 'review-out'), '--db', file, '--no-annotate',
        '--meta', 'lot=L9']);
      assert.strictEqual(made.code, 0, made.stderr);
      assert.match(made.stdout, /records: .* \(12 parts recorded\)/);
      recorder = await openRecorder(file);
      parts = await recorder.parts();
    });
    after(() => recorder.close());

    it('reviews check what they say against the part', async () => {
      const fail = parts.find((p) => p.verdict === 'fail');
      const skipped = parts.find((p) => p.verdict === 'skipped');
      const pass = parts.find((p) => p.verdict === 'pass');
      await assert.rejects(recorder.review(99999, { reviewer: 'ann', decision: 'confirm' }), { code: 'ERR_INVALID_ARG' });
      await assert.rejects(recorder.review(fail.id, { reviewer: '', decision: 'confirm' }), { code: 'ERR_INVALID_ARG' });
      await assert.rejects(recorder.review(fail.id, { reviewer: 'ann', decision: 'maybe' }), { code: 'ERR_INVALID_ARG' });
      await assert.rejects(recorder.review(fail.id, { reviewer: 'ann', decision: 'relabel' }), /relabel needs boxes or labels/);
      await assert.rejects(recorder.review(skipped.id, { reviewer: 'ann', decision: 'confirm' }), /say the reviewed verdict/);
      await assert.rejects(recorder.review(pass.id, { reviewer: 'ann', decision: 'confirm', boxes: [{ label: 'x', box: [5, 5, 1, 1] }] }),
        { code: 'ERR_INVALID_ARG' });
      await assert.rejects(recorder.review(fail.id, { reviewer: 'ann', decision: 'overturn', verdict: 'fail' }), /gives pass, not fail/);
      assert.strictEqual((await recorder.parts({ reviewed: true })).length, 0);
    });

    it('the reviewed parts export as the crops layout that eval and the recipes read, with the corrections', async () => {
      // 000000: a crack the machine found, confirmed; 000001: failed, overturned (a false call);
      // 000003: relabelled with a box of the reviewer's; 000007: passed, overturned with the missed defect (an escape)
      const confirmed = byName('000000.jpg');
      const falseCall = byName('000001.jpg');
      const relabelled = byName('000003.jpg');
      const escape = byName('000007.jpg');
      assert.deepStrictEqual([confirmed, falseCall, relabelled, escape].map((p) => p.verdict), ['fail', 'fail', 'fail', 'pass']);
      await recorder.review(confirmed.id, { reviewer: 'ann', decision: 'confirm' });
      await recorder.review(falseCall.id, { reviewer: 'ann', decision: 'overturn', comment: 'dust on the lens' });
      const w = relabelled.roi.cropWidth, h = relabelled.roi.cropHeight;
      const fixedBox = [Math.round(w * 0.2), Math.round(h * 0.3), Math.round(w * 0.4), Math.round(h * 0.6)];
      await recorder.review(relabelled.id, { reviewer: 'bob', decision: 'relabel', boxes: [{ label: 'die_rotation', box: fixedBox }] });
      const missed = [10, 12, 60, 40];
      await recorder.review(escape.id, { reviewer: 'bob', decision: 'overturn', boxes: [{ label: 'die_crack', box: missed }] });
      // a second review of a part: the latest counts
      await recorder.review(confirmed.id, { reviewer: 'cho', decision: 'confirm', comment: 'seen twice' });
      assert.strictEqual((await recorder.part(confirmed.id)).reviews, 2);
      assert.strictEqual((await recorder.part(confirmed.id)).review.reviewer, 'cho');
      assert.strictEqual((await recorder.part(falseCall.id)).effectiveVerdict, 'pass');
      assert.strictEqual((await recorder.part(escape.id)).effectiveVerdict, 'fail');
      assert.deepStrictEqual((await recorder.parts({ verdict: 'pass', reviewed: true })).map((p) => p.id), [falseCall.id]);
      assert.deepStrictEqual((await recorder.parts({ class: 'die_rotation', reviewed: true })).map((p) => p.id), [relabelled.id]);
      assert.deepStrictEqual(await recorder.reviewRates(), {
        reviewed: 4, machineFailed: 3, falseCalls: 1, falseCallRate: 1 / 3, machinePassed: 1, escapes: 1, escapeRate: 1,
      });
      assert.strictEqual((await recorder.reviewRates({ lot: 'elsewhere' })).falseCallRate, null);

      const out = path.join(tmp, 'export');
      const r = await run(['export', '--db', file, '--reviewed', '--out', out, '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepStrictEqual(report.reviewed.written, { good: 1, defective: 3 });
      const data = await readDetectionDataset(path.join(out, 'crops'));
      assert.deepStrictEqual(data.classNames, ['die_crack', 'die_rotation']);
      assert.strictEqual(data.images.length, 4);
      const sample = (p) => data.images.find((s) => path.basename(s.path).startsWith(`${String(p.id).padStart(6, '0')}-`));
      assert.deepStrictEqual(sample(falseCall).groundTruth, [], 'an overturned fail is a defect-free crop');
      const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 0.01 * Math.max(w, h));
      const [g] = sample(relabelled).groundTruth;
      assert.strictEqual(sample(relabelled).groundTruth.length, 1);
      assert.strictEqual(g.classId, 1);
      assert.ok(near(g.box, fixedBox), `${g.box} against ${fixedBox}`);
      assert.strictEqual(sample(relabelled).width, w);
      assert.strictEqual(sample(relabelled).height, h);
      assert.ok(near(sample(escape).groundTruth[0].box, missed));
      assert.strictEqual(sample(escape).groundTruth[0].classId, 0);
      const crackBoxes = confirmed.detections.filter((d) => d.score >= 0.5);
      assert.deepStrictEqual(sample(confirmed).groundTruth.map((x) => data.classNames[x.classId]), crackBoxes.map((d) => d.label));
      const cls = await readClassificationDataset(path.join(out, 'crops', 'good_defect.csv'));
      assert.deepStrictEqual(cls.classNames, ['defective', 'good']);
      assert.strictEqual(cls.samples.length, 4);
      assert.deepStrictEqual(cls.samples.filter((s) => cls.classNames[s.label] === 'good').map((s) => path.basename(s.path)),
        [path.basename(sample(falseCall).path)]);
      // eval reads it as it reads any crops folder
      const ev = await run(['eval', '-m', 'die-defect-yolov7tiny', '--data', path.join(out, 'crops'), '--json']);
      assert.strictEqual(ev.code, 0, ev.stderr);
      assert.strictEqual(JSON.parse(ev.stdout).images, 4);
      // a second export into the same folder is refused
      const again = await run(['export', '--db', file, '--reviewed', '--out', out]);
      assert.strictEqual(again.code, 2);
    });

    it('a part whose image changed since is left out of the export, and says why', async () => {
      const dir = path.join(tmp, 'changing');
      fs.mkdirSync(dir);
      const img = path.join(dir, 'p.jpg');
      fs.copyFileSync(path.join(SAMPLES, '000004.jpg'), img);
      const db = path.join(tmp, 'changing.sqlite');
      assert.strictEqual((await run(['inspect', img, '--out', path.join(dir, 'out'), '--db', db, '--no-annotate'])).code, 0);
      const rec = await openRecorder(db);
      const [p] = await rec.parts();
      await rec.review(p.id, { reviewer: 'ann', decision: 'confirm', verdict: p.verdict === 'pass' ? 'pass' : undefined });
      await rec.close();
      fs.copyFileSync(path.join(SAMPLES, '000005.jpg'), img);
      const r = await run(['export', '--db', db, '--reviewed', '--out', path.join(dir, 'export')]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /left out:\n {2}part 1 .*p\.jpg: image changed since it was inspected/);
    });

    it('--csv writes a row a part with the effective verdict and the review', async () => {
      const csv = path.join(tmp, 'parts.csv');
      const r = await run(['export', '--db', file, '--csv', csv, '--lot', 'L9']);
      assert.strictEqual(r.code, 0, r.stderr);
      const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
      assert.strictEqual(rows[0], PARTS_CSV_COLUMNS.join(','));
      assert.strictEqual(rows.length, 1 + 12);
      const col = (name) => PARTS_CSV_COLUMNS.indexOf(name);
      // the reasons hold commas? never; the comments hold none here: a plain split is enough for these columns
      const falseCallRow = rows.find((l) => l.includes('/000001.jpg,'));
      assert.ok(falseCallRow.includes(',overturn,ann,'));
      assert.ok(falseCallRow.includes('dust on the lens'));
      assert.strictEqual(falseCallRow.split(',')[col('lot')], 'L9');
      const none = await run(['export', '--db', file, '--csv', path.join(tmp, 'none.csv'), '--lot', 'nope']);
      assert.strictEqual(none.code, 0);
      assert.strictEqual(fs.readFileSync(path.join(tmp, 'none.csv'), 'utf8'), PARTS_CSV_COLUMNS.join(',') + '\n');
      const bad = await run(['export', '--db', file, '--csv', csv, '--verdict', 'maybe']);
      assert.strictEqual(bad.code, 2);
    });
  });
});
