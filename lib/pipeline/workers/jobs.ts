/**
 * What goes through the queue: a job names an image on storage every worker reads, or
 * carries its encoded bytes, with the part's metadata; its return value is the
 * inspection result. Shared by producers (./producer.ts) and workers (./worker.ts).
 */
import type { ConnectionOptions } from 'bullmq';
import { DieInspectError, type ErrorCode } from '../../core/errors';
import type { InspectionResult, RecordedAs } from '../inspection-types';
import type { PartMeta } from '../records/types';

/** One part to inspect: `image` (a path every worker can read; absolute is best) or `bytes` (an encoded image, base64). */
export interface InspectJob {
  image?: string;
  bytes?: string;
  /** The part's lot, station, camera, part id and any other key (recorded with it). */
  meta?: PartMeta;
}

/** A job's return value: the inspection result, and where and how the job ran. */
export interface InspectJobResult extends Omit<InspectionResult, 'index' | 'path' | 'saliency' | 'recorded'> {
  jobId: string;
  /** The job's image path, or null for bytes. */
  image: string | null;
  /** The part in PostgreSQL (with `pg`), else null; `created` false: a retried job found its record. */
  recorded: RecordedAs | null;
  /** host:pid of the worker. */
  worker: string;
  provider: string | null;
  /** Images in the batch the job ran in. */
  batchSize: number;
  /** From enqueue to the worker taking the job, in ms. */
  queueWaitMs: number;
}

/** A job in the dead-letter state: failed for good (see `deadLetters`). */
export interface DeadLetter {
  id: string;
  /** The DieInspectError code it failed with (ERR_INTERNAL when the reason carries none). */
  code: ErrorCode;
  message: string;
  data: InspectJob;
  attemptsMade: number;
  failedAt: number | null;
}

/** Image errors: the same image fails the same way on any worker, so its job goes to the dead letters at once. */
export const UNRETRIED_CODES: readonly ErrorCode[] = ['ERR_FILE_NOT_FOUND', 'ERR_IMAGE_DECODE', 'ERR_IMAGE_TOO_LARGE', 'ERR_INVALID_ARG'];

/** Where the queue is. */
export interface QueueAddress {
  /** redis://host:port[/db] */
  redis: string;
  /** Default 'parts'. */
  queue?: string;
}

export const DEFAULT_QUEUE = 'parts';

/** ioredis options from a redis:// URL (BullMQ's workers need maxRetriesPerRequest null). */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DieInspectError('ERR_INVALID_ARG', `--redis must be a redis:// URL, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new DieInspectError('ERR_INVALID_ARG', `--redis must be a redis:// URL, got '${url}'`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new DieInspectError('ERR_INVALID_ARG', `redis URL: database must be a number, got '${url}'`);
  return {
    host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** A failed reason as the worker writes it, `ERR_CODE: message`, split. */
export function reasonCode(reason: string | undefined): { code: ErrorCode; message: string } {
  const m = /^(ERR_[A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1] as ErrorCode, message: m[2] } : { code: 'ERR_INTERNAL', message: reason ?? '' };
}

/** A job's data, checked: exactly one of image and bytes. */
export function checkJob(data: unknown): InspectJob {
  const d = data as InspectJob | null;
  if (!d || typeof d !== 'object') throw new DieInspectError('ERR_INVALID_ARG', 'a job is { image } or { bytes }, with meta');
  const hasImage = typeof d.image === 'string' && d.image.length > 0;
  const hasBytes = typeof d.bytes === 'string' && d.bytes.length > 0;
  if (hasImage === hasBytes) throw new DieInspectError('ERR_INVALID_ARG', 'a job names one image: `image` (a path) or `bytes` (base64)');
  if (d.meta !== undefined && (typeof d.meta !== 'object' || d.meta === null)) {
    throw new DieInspectError('ERR_INVALID_ARG', 'a job\'s meta is an object (lot, station, camera, partId, extra)');
  }
  return d;
}
