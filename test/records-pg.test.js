'use strict';
// The records store in PostgreSQL: the same schema and answers as the SQLite store
// (one Recorder interface, two backends), migrations, and idempotent records by job id.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Inspector, openRecorder, openPgRecorder, RECORDS_SCHEMA_VERSION, DieInspectError } = require('../dist');
const { MIGRATIONS, PG_ID } = require('../dist/pipeline/records/sql');
const { requireServices, freshSchema, sql } = require('./helpers/services');
const { smallParts } = require('./helpers/parts');

describe('records store in PostgreSQL', function () {
  this.timeout(300000);
  let dir;
  let parts;
  let results;

  before(async function () {
    await requireServices(this, ['pg']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-records-pg-'));
    parts = await smallParts(dir, 6);
    const inspector = await Inspector.create({ detector: parts.detector, classifiers: [parts.classifier], batchSize: 4 });
    results = await inspector.inspect(parts.images);
    await inspector.close();
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('answers as the SQLite store does: runs, parts, filters, reviews, rates', async () => {
    const pg = await openPgRecorder(await freshSchema('r_same'));
    const lite = await openRecorder(path.join(dir, 'same.sqlite'));
    const answers = [];
    for (const store of [lite, pg]) {
      const runId = await store.beginRun({ config: { batchSize: 4 }, models: [{ role: 'detector', name: 'det', sha256: 'ab' }],
        provider: 'cpu', host: 'h', classes: ['die_crack', 'die_rotation'], startedAt: new Date('2026-01-01T00:00:00Z') });
      const recorded = await store.record(runId, results.map((result, i) => ({
        result, imagePath: parts.images[i], imageSha256: `sha-${i}`, inspectedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        meta: { lot: i < 3 ? 'L1' : 'L2', station: '3', partId: `P${i}`, extra: { tray: i } }, jobId: i === 5 ? 'job-5' : undefined,
      })));
      const again = await store.record(runId, [{ result: results[0], imagePath: parts.images[0], imageSha256: 'sha-0' },
        { result: results[1], imagePath: '/elsewhere.jpg', imageSha256: 'other', jobId: 'job-5' }]);
      await store.review(recorded[0].partId, { reviewer: 'ann', decision: 'overturn', at: new Date('2026-01-02T00:00:00Z') });
      await store.review(recorded[1].partId, { reviewer: 'ann', decision: 'confirm', at: new Date('2026-01-02T00:00:01Z') });
      await store.endRun(runId, new Date('2026-01-01T01:00:00Z'));
      const run = await store.run(runId);
      delete run.toolVersion;
      answers.push({
        recorded, again, run, all: await store.parts(), paged: (await store.parts({ limit: 2, offset: 1 })).map((p) => p.id),
        byLot: (await store.parts({ lot: 'L2' })).map((p) => p.id), byClass: (await store.parts({ class: 'die_crack' })).map((p) => p.id),
        passed: (await store.parts({ verdict: 'pass' })).map((p) => p.id), reviewed: (await store.parts({ reviewed: true })).length,
        byJob: (await store.parts({ jobId: 'job-5' })).map((p) => p.partId),
        from: (await store.parts({ from: '2026-01-01T00:00:03Z' })).length, rates: await store.reviewRates({ lot: 'L1' }),
        paths: [...await store.recordedPaths()].sort(),
      });
      await store.close();
    }
    assert.deepStrictEqual(answers[1], answers[0]);
    const a = answers[0];
    assert.deepStrictEqual(a.again.map((x) => x.created), [false, false]);
    assert.strictEqual(a.again[1].partId, a.recorded[5].partId, 'a second record of a job keeps the first');
    assert.deepStrictEqual(a.byJob, ['P5']);
    assert.deepStrictEqual(a.rates.falseCalls, 1);
  });

  it('migrates an older schema forward; refuses a newer one and a database of look-alike tables', async () => {
    const url = await freshSchema('r_old');
    for (const s of MIGRATIONS[0].statements(PG_ID)) await sql(url, s);
    await sql(url, 'CREATE TABLE die_inspect_schema (version INTEGER NOT NULL)');
    await sql(url, 'INSERT INTO die_inspect_schema VALUES (1)');
    await sql(url, `INSERT INTO runs (started_at, host, tool_version, config_json, models_json, meta_json)
      VALUES ('2025-01-01T00:00:00.000Z', 'old-host', '0.0.1', '{}', '[]', '{}')`);
    // Three openers at once (three workers starting): one migrates, the others wait for it.
    const stores = await Promise.all([0, 1, 2].map(() => openPgRecorder(url)));
    assert.strictEqual((await stores[0].run(1)).host, 'old-host');
    await Promise.all(stores.map((s) => s.close()));
    assert.deepStrictEqual(await sql(url, 'SELECT version FROM die_inspect_schema'), [{ version: RECORDS_SCHEMA_VERSION }]);

    await sql(url, `UPDATE die_inspect_schema SET version = ${RECORDS_SCHEMA_VERSION + 1}`);
    await assert.rejects(openPgRecorder(url), (e) => e instanceof DieInspectError && e.code === 'ERR_DB_VERSION');
    const other = await freshSchema('r_other');
    await sql(other, 'CREATE TABLE parts (id INTEGER)');
    await assert.rejects(openPgRecorder(other), { code: 'ERR_DB_CORRUPT' });
    await assert.rejects(openPgRecorder('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMillis: 2000 }), { code: 'ERR_WRITE' });
    await assert.rejects(openPgRecorder('mysql://x'), { code: 'ERR_INVALID_ARG' });
  });
});
