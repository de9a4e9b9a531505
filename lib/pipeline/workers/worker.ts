/**
 * A queue worker: one Inspector fed from a BullMQ queue. The worker holds up to
 * `concurrency` jobs (default two batches) and submits each to `Inspector.submit`, whose
 * request queue batches them: up to `batch` images at once, or what is there after
 * `maxWaitMs`, so a loaded queue gives full batches and an idle one answers at once.
 * A job completes once its part is in the records store (with `pg`): what a producer
 * sees is recorded. Image errors fail the job for good (the dead letters); other
 * failures are retried; a worker that dies leaves its jobs to the others (stalled jobs).
 */
import * as os from 'os';
import type * as http from 'http';
import type { Job, Worker } from 'bullmq';
import { DieInspectError, toDieInspectError } from '../../core/errors';
import type { ImageInput } from '../../runtime/images';
import { defaultModels } from '../../runtime/models';
import type { ProviderName } from '../../runtime/session';
import { batchesOf } from '../batching';
import type { BatchTiming, InspectionResult, RecordedAs } from '../inspection-types';
import { Inspector, type InspectorConfig } from '../inspector';
import { imageIdentity } from '../records/part-meta';
import { openPgRecorder } from '../records/pg';
import { modelsOfRun } from '../records/recording';
import type { PartInput, Recorder } from '../records/types';
import { RequestQueue } from '../request-queue';
import { bull } from './bull';
import { checkJob, connectionOf, DEFAULT_QUEUE, type InspectJob, type InspectJobResult, type QueueAddress, UNRETRIED_CODES } from './jobs';
import { portOf, serveMetrics, WorkerMetrics } from './metrics';

export interface WorkerOptions extends QueueAddress {
  /** The Inspector's models and thresholds (as `Inspector.create`; `record`, `batchSize` and `batchWaitMs` are the worker's). */
  inspector?: Omit<InspectorConfig, 'record' | 'batchSize' | 'batchWaitMs'>;
  /** Execution providers, in order (default: the Inspector's). */
  providers?: ProviderName[];
  /** The GPU to run on (the session's deviceId). */
  device?: number;
  /** Images per batch (default 16). */
  batch?: number;
  /** How long a job waits for others to fill its batch (default 50 ms). */
  maxWaitMs?: number;
  /** Jobs held at once (default 2 * batch: one batch in the models while the next forms). */
  concurrency?: number;
  /** Record every part: a postgres:// URL (opened and closed here) or a Recorder of your own (left open). */
  pg?: string | Recorder;
  /** Serve Prometheus metrics on this port (0: any free one); default: no endpoint. */
  metricsPort?: number;
  /** Default 127.0.0.1. */
  metricsHost?: string;
  /** A job whose worker stops renewing its lock for this long is stalled (default 30000 ms). */
  lockDurationMs?: number;
  /** How often a worker looks for stalled jobs (default 30000 ms). */
  stalledIntervalMs?: number;
  /** A job stalled more often than this fails for good (default 2). */
  maxStalledCount?: number;
  /** Called with each job's result (progress lines). */
  onResult?: (result: InspectJobResult) => void;
  /** Called with each job that failed (retried or not). */
  onFailed?: (jobId: string, err: DieInspectError, final: boolean) => void;
}

/** A running worker (`createWorker`). */
export interface InspectWorker {
  readonly worker: Worker<InspectJob, InspectJobResult>;
  readonly inspector: Inspector;
  readonly metrics: WorkerMetrics;
  /** The records store, with `pg`. */
  readonly recorder: Recorder | null;
  /** The records run of this worker, with `pg`. */
  readonly runId: number | null;
  /** The metrics endpoint's port, or null. */
  readonly metricsPort: number | null;
  readonly provider: string;
  /** host:pid */
  readonly name: string;
  /** Jobs completed and failed so far by this worker. */
  readonly counts: { completed: number; failed: number };
  /** Stops taking jobs, finishes the jobs it holds (the batch in flight), ends the run and frees everything. */
  close(): Promise<void>;
}

const positive = (v: number | undefined, name: string, min = 1) => {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
    throw new DieInspectError('ERR_INVALID_ARG', `worker: ${name} must be a whole number >= ${min}, got ${String(v)}`);
  }
};

/** The error a job fails with: its code first in the reason (`ERR_CODE: message`), unretried for image errors. */
function jobError(err: DieInspectError): Error {
  const reason = `${err.code}: ${err.message}`;
  return UNRETRIED_CODES.includes(err.code) ? new (bull().UnrecoverableError)(reason) : new Error(reason);
}

/** Starts a worker on the queue: builds its Inspector, opens its store, then takes jobs. */
export async function createWorker(options: WorkerOptions): Promise<InspectWorker> {
  const batch = options.batch ?? 16;
  positive(batch, 'batch');
  positive(options.concurrency, 'concurrency');
  positive(options.device, 'device', 0);
  if (options.maxWaitMs !== undefined && !(options.maxWaitMs >= 0)) {
    throw new DieInspectError('ERR_INVALID_ARG', `worker: maxWaitMs must be >= 0, got ${String(options.maxWaitMs)}`);
  }
  const connection = connectionOf(options.redis);
  const queue = options.queue ?? DEFAULT_QUEUE;
  const name = `${os.hostname()}:${process.pid}`;
  const metrics = new WorkerMetrics(batch);
  let lastBatch = 0;
  const onBatch = (b: BatchTiming) => {
    lastBatch = b.size;
    metrics.observeBatch(b.size, (b.captureMs + b.modelMs) / 1000);
  };
  const config: InspectorConfig = {
    ...options.inspector, batchSize: batch, batchWaitMs: options.maxWaitMs ?? 50, onBatch,
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.device !== undefined ? { session: { ...options.inspector?.session, deviceId: options.device } } : {}),
  };
  const inspector = await Inspector.create(config);
  const provider = inspector.detector?.provider ?? inspector.ensemble?.members[0]?.provider ?? 'cpu';
  metrics.provider.set({ provider }, 1);

  let recorder: Recorder | null = null;
  let runId: number | null = null;
  const owned = typeof options.pg === 'string';
  let server: http.Server | null = null;
  try {
    if (options.pg !== undefined) {
      recorder = typeof options.pg === 'string' ? await openPgRecorder(options.pg) : options.pg;
      const detector = config.detector ?? defaultModels('defect-detector')[0]?.file;
      runId = await recorder.beginRun({
        config: { ...config, onBatch: undefined }, provider: provider as ProviderName,
        models: await modelsOfRun(config.roi, detector, inspector.ensemble?.memberNames ?? []), classes: inspector.detector?.classNames,
        meta: { extra: { worker: name, queue } },
      });
    }
    if (options.metricsPort !== undefined) server = await serveMetrics(metrics, options.metricsPort, options.metricsHost);
  } catch (err) {
    await inspector.close();
    if (owned) await recorder?.close().catch(() => undefined);
    throw err;
  }

  // The parts of one batch resume together and go to the store in one transaction (the same batcher as the Inspector's).
  const store = recorder;
  const records = store && runId !== null ? new RequestQueue<PartInput, RecordedAs>(async function* recordBatches(source) {
    for await (const parts of batchesOf(source, batch, 0)) yield* await store.record(runId!, parts);
  }) : null;

  const counts = { completed: 0, failed: 0 };
  const processJob = async (job: Job<InspectJob, InspectJobResult>): Promise<InspectJobResult> => {
    const taken = Date.now();
    const queueWaitMs = Math.max(0, (job.processedOn ?? taken) - job.timestamp);
    metrics.queueWait.observe(queueWaitMs / 1000);
    try {
      const data = checkJob(job.data);
      const input: ImageInput = data.bytes !== undefined ? Buffer.from(data.bytes, 'base64') : data.image!;
      // The image's sha256 is read while it is inspected, so a batch's parts reach the store together.
      const [result, identity] = await Promise.all([inspector.submit(input), records ? imageIdentity(input).catch((e: Error) => e) : null]);
      const batchSize = lastBatch;
      if (result.verdict === 'error' && result.error && UNRETRIED_CODES.includes(result.error.code)) {
        throw new DieInspectError(result.error.code, result.error.message);
      }
      let recorded: RecordedAs | null = null;
      if (records) {
        if (identity instanceof Error) {
          throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${data.image ?? 'the image'} again to hash it: ${identity.message}`);
        }
        recorded = await records.submit({ result, ...identity!, meta: data.meta, jobId: String(job.id) });
      }
      const out = jobResult(String(job.id), data, result, recorded, name, provider, batchSize, queueWaitMs);
      metrics.images.inc({ verdict: result.verdict });
      metrics.job.observe((Date.now() - taken) / 1000);
      counts.completed++;
      options.onResult?.(out);
      return out;
    } catch (e) {
      const err = e instanceof DieInspectError ? e : toDieInspectError(e);
      metrics.errors.inc({ code: err.code });
      counts.failed++;
      const final = UNRETRIED_CODES.includes(err.code) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      options.onFailed?.(String(job.id), err, final);
      throw jobError(err);
    }
  };

  const worker = new (bull().Worker)<InspectJob, InspectJobResult>(queue, processJob, {
    connection, concurrency: options.concurrency ?? 2 * batch,
    lockDuration: options.lockDurationMs ?? 30000, stalledInterval: options.stalledIntervalMs ?? 30000,
    maxStalledCount: options.maxStalledCount ?? 2,
  });
  // Connection trouble is retried by ioredis; an 'error' without a listener would end the process.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();

  let closing: Promise<void> | null = null;
  return {
    worker, inspector, metrics, recorder, runId, metricsPort: server ? portOf(server) : null, provider, name, counts,
    close() {
      closing ??= (async () => {
        try {
          await worker.close();
        } finally {
          records?.close();
          await inspector.close();
          if (recorder && runId !== null) await recorder.endRun(runId).catch(() => undefined);
          if (owned) await recorder?.close();
          if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
        }
      })();
      return closing;
    },
  };
}

function jobResult(jobId: string, data: InspectJob, r: InspectionResult, recorded: RecordedAs | null, worker: string,
  provider: string, batchSize: number, queueWaitMs: number): InspectJobResult {
  const { index: _i, path: _p, saliency: _s, recorded: _r, ...rest } = r;
  return { ...rest, jobId, image: data.image ?? null, recorded, worker, provider, batchSize, queueWaitMs };
}
