/**
 * The producer's side: jobs onto the queue (`enqueue`), their results awaited through
 * BullMQ's QueueEvents (`Enqueued.results`), and the dead letters read back.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { QueueEvents } from 'bullmq';
import { DieInspectError, type ErrorCode } from '../../core/errors';
import type { PartMeta } from '../records/types';
import { bull } from './bull';
import {
  checkJob, connectionOf, type DeadLetter, DEFAULT_QUEUE, type InspectJob, type InspectJobResult, type QueueAddress, reasonCode,
} from './jobs';

export interface EnqueueOptions extends QueueAddress {
  /** Image paths (resolved here: workers need the same path on shared storage), encoded bytes, or jobs as they are. */
  images: Array<string | Uint8Array | InspectJob>;
  /** Metadata of every part; a job's own meta wins key by key. */
  meta?: PartMeta;
  /** Send each path's bytes in the job instead of the path (no shared storage; base64 in Redis). */
  bytes?: boolean;
  /** Tries for a job that fails with a retriable error (default 3; image errors are never retried). */
  attempts?: number;
  /** Wait before a retry, doubling each time (default 1000 ms). */
  backoffMs?: number;
  /** How long Redis keeps a completed job and its result (default 3600 s; dead letters are kept until removed). */
  keepCompletedS?: number;
}

/** The outcome of one job: its result, or the code it failed with. */
export interface JobOutcome {
  id: string;
  result?: InspectJobResult;
  error?: { code: ErrorCode; message: string };
}

/** What `enqueue` gives back: the job ids, a way to await them, and the queue to close. */
export interface Enqueued {
  ids: string[];
  /** Each job's outcome, in the order enqueued, once all have finished (or `timeoutMs` passes: ERR_ABORTED). */
  results(options?: { timeoutMs?: number; onEach?: (o: JobOutcome, finished: number) => void }): Promise<JobOutcome[]>;
  close(): Promise<void>;
}

function merged(base: PartMeta | undefined, own: PartMeta | undefined): PartMeta | undefined {
  if (!base) return own;
  if (!own) return base;
  return { ...base, ...own, extra: { ...base.extra, ...own.extra } };
}

async function jobOf(item: string | Uint8Array | InspectJob, o: EnqueueOptions): Promise<InspectJob> {
  if (typeof item === 'string') {
    if (!o.bytes) return { image: path.resolve(item), meta: o.meta };
    return { bytes: (await fs.readFile(item)).toString('base64'), meta: merged(o.meta, { extra: { file: path.resolve(item) } }) };
  }
  if (item instanceof Uint8Array) return { bytes: Buffer.from(item).toString('base64'), meta: o.meta };
  const job = checkJob(item);
  return { ...job, meta: merged(o.meta, job.meta) };
}

/** Puts one job per image on the queue; resolves with their ids once Redis holds them all. */
export async function enqueue(options: EnqueueOptions): Promise<Enqueued> {
  if (!Array.isArray(options.images)) throw new DieInspectError('ERR_INVALID_ARG', 'enqueue: images must be a list');
  const attempts = options.attempts ?? 3;
  if (!(Number.isInteger(attempts) && attempts >= 1)) {
    throw new DieInspectError('ERR_INVALID_ARG', `enqueue: attempts must be a whole number >= 1, got ${String(attempts)}`);
  }
  const connection = connectionOf(options.redis);
  const name = options.queue ?? DEFAULT_QUEUE;
  const jobs = await Promise.all(options.images.map((i) => jobOf(i, options)));
  const queue = new (bull().Queue)<InspectJob, InspectJobResult>(name, { connection });
  queue.on('error', () => undefined);
  let events: QueueEvents | null = null;
  const ids: string[] = [];
  try {
    // Listening before the jobs go: none can finish unheard.
    events = new (bull().QueueEvents)(name, { connection });
    events.on('error', () => undefined);
    await events.waitUntilReady();
    for (let i = 0; i < jobs.length; i += 500) {
      const added = await queue.addBulk(jobs.slice(i, i + 500).map((data) => ({
        name: 'inspect', data, opts: {
          attempts, backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
          removeOnComplete: { age: options.keepCompletedS ?? 3600 },
        },
      })));
      ids.push(...added.map((j) => String(j.id)));
    }
  } catch (err) {
    await events?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    throw err instanceof DieInspectError ? err
      : new DieInspectError('ERR_WRITE', `cannot enqueue on ${options.redis}: ${(err as Error).message}`, { cause: err });
  }
  const ev = events;
  return {
    ids,
    async results({ timeoutMs, onEach } = {}) {
      ev.setMaxListeners(ids.length * 2 + 10);
      queue.setMaxListeners(ids.length * 2 + 10);
      let finished = 0;
      return Promise.all(ids.map(async (id): Promise<JobOutcome> => {
        const job = await bull().Job.fromId<InspectJob, InspectJobResult>(queue, id);
        if (!job) return { id, error: { code: 'ERR_INTERNAL', message: `job ${id} is no longer in the queue` } };
        let outcome: JobOutcome;
        try {
          outcome = { id, result: await job.waitUntilFinished(ev, timeoutMs) };
        } catch (err) {
          const message = (err as Error).message ?? String(err);
          if (/timed out/i.test(message)) throw new DieInspectError('ERR_ABORTED', `job ${id}: not finished in ${timeoutMs} ms`);
          outcome = { id, error: reasonCode(message) };
        }
        onEach?.(outcome, ++finished);
        return outcome;
      }));
    },
    async close() {
      await ev.close().catch(() => undefined);
      await queue.close();
    },
  };
}

/**
 * The dead letters: the queue's failed jobs (an image error at once, other errors after
 * their attempts, a job stalled more than maxStalledCount times), with their codes.
 */
export async function deadLetters(address: QueueAddress, range: { start?: number; end?: number } = {}): Promise<DeadLetter[]> {
  const connection = connectionOf(address.redis);
  const queue = new (bull().Queue)<InspectJob, InspectJobResult>(address.queue ?? DEFAULT_QUEUE, { connection });
  queue.on('error', () => undefined);
  try {
    const failed = await queue.getFailed(range.start ?? 0, range.end ?? -1);
    return failed.map((j) => ({
      id: String(j.id), ...reasonCode(j.failedReason), data: j.data, attemptsMade: j.attemptsMade, failedAt: j.finishedOn ?? null,
    }));
  } finally {
    await queue.close();
  }
}

/** Job counts of the queue by state (waiting, active, completed, failed, delayed, ...). */
export async function queueCounts(address: QueueAddress): Promise<Record<string, number>> {
  const queue = new (bull().Queue)(address.queue ?? DEFAULT_QUEUE, { connection: connectionOf(address.redis) });
  queue.on('error', () => undefined);
  try {
    return await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'paused', 'prioritized');
  } finally {
    await queue.close();
  }
}
