'use strict';
// Scale-out on a Redis queue (BullMQ) with records in PostgreSQL: real redis-server and
// PostgreSQL on loopback (scripts/services.sh start), worker processes run as the CLI.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { createWorker, enqueue, deadLetters, queueCounts, METRIC_NAMES, openPgRecorder } = require('../dist');
const { run, BIN } = require('./helpers/cli');
const { REDIS, requireServices, freshSchema, sql, queueName } = require('./helpers/services');
const { smallParts, modelFlags } = require('./helpers/parts');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A worker process: resolves `ready` with its metrics port once it takes jobs. */
function startWorker(args) {
  const child = spawn(process.execPath, [BIN, 'worker', '--metrics-port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code, signal }) => reject(new Error(`worker exited (${code ?? signal}): ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, stderr: () => stderr };
}

async function scrape(port) {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** A sample's value from the Prometheus text ('name{labels}' exactly as written). */
function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Batches and full batches from a worker's batch-fill histogram. */
function fill(text) {
  const batches = sample(text, `${METRIC_NAMES.batchFill}_count`);
  return { batches, full: batches - sample(text, `${METRIC_NAMES.batchFill}_bucket{le="0.99"}`) };
}

async function obliterate(queue) {
  const { Queue } = require('bullmq');
  const q = new Queue(queue, { connection: { host: '127.0.0.1', port: Number(new URL(REDIS).port) } });
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
}

describe('workers on a Redis queue, records in PostgreSQL', function () {
  this.timeout(600000);
  let dir;
  let parts;
  const children = [];
  const queues = [];

  before(async function () {
    await requireServices(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-workers-'));
    parts = await smallParts(dir, 2000);
  });

  after(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    for (const q of queues) await obliterate(q);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a library worker batches jobs, records each part with its metadata and job id, and serves its metrics', async () => {
    const queue = queueName('lib');
    queues.push(queue);
    const pg = await freshSchema('w_lib');
    const worker = await createWorker({
      redis: REDIS, queue, pg, batch: 8, maxWaitMs: 50, metricsPort: 0,
      inspector: { detector: parts.detector, classifiers: [parts.classifier], session: { intraOpThreads: 1 } },
    });
    try {
      assert.strictEqual(worker.provider, 'cpu');
      const images = parts.images.slice(0, 24);
      const bytes = fs.readFileSync(parts.sources[0]);
      const q = await enqueue({
        redis: REDIS, queue, images: [...images, bytes, { image: parts.images[30], meta: { partId: 'P-30', extra: { tray: 7 } } },
          parts.missing, parts.notImage],
        meta: { lot: 'L42', station: '3' },
      });
      assert.strictEqual(q.ids.length, 28);
      const outcomes = await q.results({ timeoutMs: 120000 });
      await q.close();
      const ok = outcomes.filter((o) => o.result);
      assert.strictEqual(ok.length, 26);
      for (const o of ok) {
        assert.strictEqual(o.result.jobId, o.id);
        assert.strictEqual(o.result.verdict, 'fail');
        assert.ok(o.result.reasons.some((r) => r.startsWith('die_crack 0.81')), o.result.reasons.join('; '));
        assert.strictEqual(o.result.recorded.created, true);
        assert.ok(o.result.batchSize >= 1 && o.result.batchSize <= 8);
      }
      assert.deepStrictEqual(outcomes.filter((o) => o.error).map((o) => o.error.code), ['ERR_FILE_NOT_FOUND', 'ERR_IMAGE_DECODE']);

      // The records: one a job, with the job's metadata, in the records schema (read through the same Recorder interface).
      const rec = await openPgRecorder(pg);
      const stored = await rec.parts({ lot: 'L42' });
      assert.strictEqual(stored.length, 26);
      assert.deepStrictEqual(stored.map((p) => p.jobId).sort(), ok.map((o) => o.id).sort());
      const p30 = await rec.part(ok.find((o) => o.result.image === parts.images[30]).result.recorded.partId);
      assert.strictEqual(p30.partId, 'P-30');
      assert.strictEqual(p30.station, '3');
      assert.deepStrictEqual(p30.extra, { tray: 7 });
      assert.strictEqual(p30.detections[0].label, 'die_crack');
      const fromBytes = stored.find((p) => p.imagePath === '');
      assert.ok(fromBytes, 'the bytes job is recorded without a path');
      const runInfo = await rec.run(worker.runId);
      assert.strictEqual(runInfo.provider, 'cpu');
      assert.deepStrictEqual(runInfo.classes, ['die_crack', 'die_rotation']);
      await rec.close();

      // Dead letters: failed at once, never retried, with their codes.
      const dead = await deadLetters({ redis: REDIS, queue });
      assert.deepStrictEqual(dead.map((d) => [d.code, d.attemptsMade, d.data.image]).sort(),
        [['ERR_FILE_NOT_FOUND', 1, parts.missing], ['ERR_IMAGE_DECODE', 1, parts.notImage]]);

      const text = await scrape(worker.metricsPort);
      for (const name of Object.values(METRIC_NAMES)) assert.ok(text.includes(`# TYPE ${name} `), name);
      assert.strictEqual(sample(text, `${METRIC_NAMES.images}{verdict="fail"}`), 26);
      assert.strictEqual(sample(text, `${METRIC_NAMES.errors}{code="ERR_FILE_NOT_FOUND"}`), 1);
      assert.strictEqual(sample(text, `${METRIC_NAMES.provider}{provider="cpu"}`), 1);
      assert.ok(sample(text, `${METRIC_NAMES.inference}_count`) >= 4);
    } finally {
      await worker.close();
    }
    const [run1] = await sql(pg, 'SELECT ended_at FROM runs WHERE id = $1', [worker.runId]);
    assert.ok(run1.ended_at, 'close() ends the run');
  });

  it('3 workers, 2,000 jobs, one SIGKILLed halfway: every job done and recorded once, full batches, dead letters', async () => {
    const queue = queueName('accept');
    queues.push(queue);
    const pg = await freshSchema('w_accept');
    const images = parts.images.slice(0, 2000);
    // The queue is loaded before the workers start: they should run full batches.
    const q = await enqueue({ redis: REDIS, queue, images: [...images, parts.missing, parts.notImage], meta: { lot: 'L7' } });
    const args = ['--redis', REDIS, '--queue', queue, '--pg', pg, '--batch', '16', '--max-wait-ms', '50',
      '--lock-ms', '4000', '--stalled-ms', '1000', ...modelFlags(parts)];
    const workers = [0, 1, 2].map(() => startWorker(args));
    children.push(...workers);
    const ports = await Promise.all(workers.map((w) => w.ready));
    const last = new Map();
    const watch = setInterval(() => {
      workers.forEach((w, i) => {
        if (w.child.exitCode === null && w.child.signalCode === null) scrape(ports[i]).then((t) => last.set(i, t), () => undefined);
      });
    }, 300);
    let killedAt = null;
    try {
      // Halfway, the first worker dies with its jobs in hand.
      for (;;) {
        const counts = await queueCounts({ redis: REDIS, queue });
        if (counts.completed >= 1000) {
          last.set(0, await scrape(ports[0]));
          workers[0].child.kill('SIGKILL');
          killedAt = counts.completed;
          break;
        }
        await sleep(100);
      }
      const outcomes = await q.results({ timeoutMs: 400000 });
      await q.close();
      const ok = outcomes.filter((o) => o.result);
      assert.strictEqual(ok.length, 2000, `jobs done: ${ok.length}`);
      assert.deepStrictEqual(outcomes.filter((o) => o.error).map((o) => o.error.code).sort(), ['ERR_FILE_NOT_FOUND', 'ERR_IMAGE_DECODE']);
      const dead = await deadLetters({ redis: REDIS, queue });
      assert.deepStrictEqual(dead.map((d) => d.code).sort(), ['ERR_FILE_NOT_FOUND', 'ERR_IMAGE_DECODE']);
      assert.ok(dead.every((d) => d.attemptsMade <= 1), 'dead letters are not retried');

      // Exactly once in PostgreSQL: a row a job, the job's row the one its result names.
      const rows = await sql(pg, 'SELECT id, job_id FROM parts');
      assert.strictEqual(rows.length, 2000);
      const byJob = new Map(rows.map((r) => [r.job_id, Number(r.id)]));
      assert.strictEqual(byJob.size, 2000);
      for (const o of ok) assert.strictEqual(byJob.get(o.id), o.result.recorded.partId, `job ${o.id}`);

      // The killed worker's jobs were taken over: stalled, then done by another worker.
      const { Job, Queue } = require('bullmq');
      const bq = new Queue(queue, { connection: { host: '127.0.0.1', port: Number(new URL(REDIS).port) } });
      const jobs = await Promise.all(ok.map((o) => Job.fromId(bq, o.id)));
      await bq.close();
      const stalled = jobs.filter((j) => j.stalledCounter > 0);
      assert.ok(stalled.length > 0, 'some jobs were in the killed worker\'s hands');
      const killedName = `${os.hostname()}:${workers[0].child.pid}`;
      assert.ok(stalled.every((j) => j.returnvalue.worker !== killedName));
      const perWorker = new Map();
      for (const o of ok) perWorker.set(o.result.worker, (perWorker.get(o.result.worker) ?? 0) + 1);
      assert.strictEqual(perWorker.size, 3, JSON.stringify([...perWorker]));

      // Full batches while the queue is loaded: from the metrics endpoints and from the results.
      clearInterval(watch);
      for (const i of [1, 2]) last.set(i, await scrape(ports[i]));
      const f = [...last.values()].map(fill).reduce((a, b) => ({ batches: a.batches + b.batches, full: a.full + b.full }));
      const fullShare = ok.filter((o) => o.result.batchSize === 16).length / ok.length;
      console.log(`      killed at ${killedAt} done; ${stalled.length} jobs taken over; batches ${f.full}/${f.batches} full; `
        + `${(100 * fullShare).toFixed(1)}% of parts in full batches; per worker ${[...perWorker.values()].join(', ')}`);
      assert.ok(f.full / f.batches >= 0.8, `full batches ${f.full} of ${f.batches}`);
      assert.ok(fullShare >= 0.85, `parts in full batches: ${fullShare}`);
    } finally {
      clearInterval(watch);
    }
    // SIGTERM: the survivors stop cleanly and end their runs; the killed worker's run stays open.
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    for (const w of workers.slice(1)) assert.deepStrictEqual(await w.exited, { code: 0, signal: null }, w.stderr());
    const runs = await sql(pg, 'SELECT ended_at FROM runs ORDER BY id');
    assert.strictEqual(runs.length, 3);
    assert.strictEqual(runs.filter((r) => r.ended_at === null).length, 1);
  });

  it('SIGTERM finishes the jobs in hand and takes no more; another worker does the rest, each once', async () => {
    const queue = queueName('term');
    queues.push(queue);
    const pg = await freshSchema('w_term');
    const images = parts.images.slice(0, 600);
    const q = await enqueue({ redis: REDIS, queue, images });
    const w = startWorker(['--redis', REDIS, '--queue', queue, '--pg', pg, '--batch', '16', ...modelFlags(parts)]);
    children.push(w);
    await w.ready;
    while ((await queueCounts({ redis: REDIS, queue })).completed < 32) await sleep(20);
    w.child.kill('SIGTERM');
    assert.deepStrictEqual(await w.exited, { code: 0, signal: null }, w.stderr());
    assert.match(w.stderr(), /jobs done, 0 failed; stopped/);
    const after = await queueCounts({ redis: REDIS, queue });
    assert.strictEqual(after.active, 0, 'no job left in a stopped worker\'s hands');
    assert.strictEqual(after.failed, 0);
    assert.ok(after.waiting > 0, `it stopped taking jobs (${JSON.stringify(after)})`);
    assert.strictEqual(after.completed + after.waiting, 600);
    const [{ n }] = await sql(pg, 'SELECT COUNT(*)::int AS n FROM parts');
    assert.strictEqual(n, after.completed, 'every job it finished is recorded');

    const second = await createWorker({
      redis: REDIS, queue, pg, inspector: { detector: parts.detector, classifiers: [parts.classifier], session: { intraOpThreads: 1 } },
    });
    try {
      const outcomes = await q.results({ timeoutMs: 120000 });
      assert.strictEqual(outcomes.filter((o) => o.result).length, 600);
    } finally {
      await q.close();
      await second.close();
    }
    const [{ total, jobs }] = await sql(pg, 'SELECT COUNT(*)::int AS total, COUNT(DISTINCT job_id)::int AS jobs FROM parts');
    assert.deepStrictEqual({ total, jobs }, { total: 600, jobs: 600 });
  });

  it('enqueue --wait from the command line; usage mistakes exit 2', async () => {
    const queue = queueName('cli');
    queues.push(queue);
    const worker = await createWorker({
      redis: REDIS, queue, inspector: { detector: parts.detector, classifiers: [parts.classifier], session: { intraOpThreads: 1 } },
    });
    try {
      const files = fs.mkdtempSync(path.join(dir, 'cli-'));
      for (const f of parts.sources.slice(0, 5)) fs.copyFileSync(f, path.join(files, path.basename(f)));
      const r = await run(['enqueue', '--redis', REDIS, '--queue', queue, files, '--meta', 'lot=L42', '--wait']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^5 jobs done on \S+: 5 fail\n$/);
      const plain = await run(['enqueue', '--redis', REDIS, '--queue', queue, files]);
      assert.match(plain.stdout, /^5 jobs -> \S+ \(ids 6\.\.10\)\n$/);
    } finally {
      await worker.close();
    }
    for (const args of [['worker'], ['worker', '--redis', 'http://x'], ['worker', '--redis', REDIS, '--pg', 'mysql://x'],
      ['worker', '--redis', REDIS, '--batch', '0'], ['enqueue', '--redis', REDIS, dir, '--attempts', '0'], ['enqueue', dir]]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
