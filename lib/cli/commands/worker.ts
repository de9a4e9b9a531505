/** `die-inspect worker --redis URL`: one Inspector taking jobs off a BullMQ queue, parts into PostgreSQL (docs/scale-out.md). */
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import type { InspectorConfig } from '../../pipeline/inspector';
import { bull } from '../../pipeline/workers/bull';
import { connectionOf, DEFAULT_QUEUE } from '../../pipeline/workers/jobs';
import { createWorker } from '../../pipeline/workers/worker';
import { nonNegativeInt, parseNumber, parseProviders, positiveInt, PROVIDERS_HELP } from '../options';
import { noteEngineBuild, progressBar } from '../progress';

interface WorkerCliOptions {
  redis: string;
  queue: string;
  ep: string;
  batch: string;
  maxWaitMs: string;
  concurrency?: string;
  pg?: string;
  device?: string;
  metricsPort?: string;
  metricsHost: string;
  detector?: string | false;
  classifier?: string[];
  classifiers?: boolean;
  conf?: string;
  defectThreshold?: string;
  threads?: string;
  lockMs: string;
  stalledMs: string;
}

function inspectorOf(o: WorkerCliOptions): NonNullable<Parameters<typeof createWorker>[0]['inspector']> {
  const c: Omit<InspectorConfig, 'record'> = {};
  if (o.detector === false) c.detector = false;
  else if (o.detector) c.detector = o.detector;
  if (o.classifiers === false) c.classifiers = false;
  else if (o.classifier?.length) c.classifiers = o.classifier;
  if (o.conf !== undefined) c.conf = parseNumber(o.conf, '--conf');
  if (o.defectThreshold !== undefined) c.defectThreshold = parseNumber(o.defectThreshold, '--defect-threshold');
  if (o.threads !== undefined) c.session = { intraOpThreads: positiveInt(o.threads, '--threads') };
  return c;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take inspection jobs off a Redis queue (BullMQ) in batches; with --pg, record every part in PostgreSQL')
    .requiredOption('--redis <url>', 'the queue\'s Redis, redis://host:6379')
    .option('--queue <name>', 'the queue', DEFAULT_QUEUE)
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--batch <n>', 'images per batch', '16')
    .option('--max-wait-ms <ms>', 'how long a job waits for others to fill its batch', '50')
    .option('--concurrency <n>', 'jobs held at once (default: two batches)')
    .option('--pg <url>', 'record every part in PostgreSQL, postgres://user@host:5432/db (the records schema)')
    .option('--device <n>', 'the GPU to run on (CUDA, TensorRT)')
    .option('--metrics-port <port>', 'serve Prometheus metrics on GET /metrics (0: any free port)')
    .option('--metrics-host <host>', 'the metrics endpoint\'s address', '127.0.0.1')
    .option('--detector <model>', 'defect detector (default: the shipped one)')
    .option('--no-detector', 'skip the detector')
    .option('--classifier <models...>', 'good/defect classifiers (default: the shipped ensemble)')
    .option('--no-classifiers', 'skip the classifiers')
    .option('--conf <p>', 'lowest detection score reported')
    .option('--defect-threshold <p>', 'defect probability at or above which a part fails')
    .option('--threads <n>', 'ONNX Runtime threads per model (default: one per CPU)')
    .option('--lock-ms <ms>', 'a job whose worker stops renewing its lock this long is handed to another worker', '30000')
    .option('--stalled-ms <ms>', 'how often to look for such jobs', '30000')
    .action(async (o: WorkerCliOptions) => {
      const providers = parseProviders(o.ep);
      const batch = positiveInt(o.batch, '--batch');
      if (batch > 64) throw new DieInspectError('ERR_INVALID_ARG', `--batch must be at most 64, got ${batch}`);
      const address = { redis: o.redis, queue: o.queue };
      connectionOf(o.redis);
      if (o.pg !== undefined && !/^postgres(ql)?:\/\//.test(o.pg)) {
        throw new DieInspectError('ERR_INVALID_ARG', `--pg must be a postgres:// URL, got '${o.pg}'`);
      }
      noteEngineBuild(providers);
      const bar = progressBar(`worker ${o.queue}`, 'images');
      let done = 0;
      let waiting = 0;
      const w = await createWorker({
        ...address, providers, batch, maxWaitMs: nonNegativeInt(o.maxWaitMs, '--max-wait-ms'),
        concurrency: o.concurrency === undefined ? undefined : positiveInt(o.concurrency, '--concurrency'),
        pg: o.pg, device: o.device === undefined ? undefined : nonNegativeInt(o.device, '--device'),
        metricsPort: o.metricsPort === undefined ? undefined : nonNegativeInt(o.metricsPort, '--metrics-port'),
        metricsHost: o.metricsHost, inspector: inspectorOf(o),
        lockDurationMs: positiveInt(o.lockMs, '--lock-ms'), stalledIntervalMs: positiveInt(o.stalledMs, '--stalled-ms'),
        onResult: (r) => bar.update(++done, Math.max(done, done + waiting), `${r.verdict} ${r.image ?? r.jobId}`),
        onFailed: (id, err, final) => {
          if (!process.stderr.isTTY) return;
          process.stderr.write(`\njob ${id}: ${err.code}: ${err.message}${final ? ' (dead letter)' : ' (retried)'}\n`);
        },
      });
      const metrics = w.metricsPort === null ? '' : `; metrics http://${o.metricsHost}:${w.metricsPort}/metrics`;
      process.stderr.write(`worker ${w.name} on ${o.queue} (${w.provider}, batch ${batch}${o.pg ? ', recording' : ''})${metrics}\n`);
      // The queue's backlog, for the bar's total (on a terminal only).
      const queue = process.stderr.isTTY ? new (bull().Queue)(o.queue, { connection: connectionOf(o.redis) }) : null;
      queue?.on('error', () => undefined);
      const poll = queue ? setInterval(() => {
        queue.getWaitingCount().then((n) => { waiting = n; }, () => undefined);
      }, 2000) : null;
      await new Promise<void>((resolve) => {
        // SIGTERM / SIGINT: stop taking jobs, finish the batch in flight, end the run.
        const stop = () => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          if (poll) clearInterval(poll);
          void w.close().finally(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      bar.stop();
      await queue?.close().catch(() => undefined);
      process.stderr.write(`worker ${w.name}: ${w.counts.completed} jobs done, ${w.counts.failed} failed; stopped\n`);
    });
}
