/**
 * The records store in PostgreSQL (pg): the schema and statements of ./sql.ts with
 * `$1...` parameters and PG_ID as the identity column, migrated forward on open under
 * an advisory lock (workers that start together migrate once), one transaction per
 * `record()` call. Where the workers of a line share one database (docs/scale-out.md).
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { DieInspectError } from '../../core/errors';
import { loadOptional } from '../../runtime/optional';
import type { RecordedAs } from '../inspection-types';
import { resolveReview } from './review-rules';
import {
  filtersOf, iso, partChildren, partKey, partParams, partRecordOf, ratesOf, reviewParams, type Row, runParams, runRecordOf,
} from './rows';
import * as SQL from './sql';
import type { PartInput, PartQuery, PartRecord, Recorder, Review, ReviewInput, ReviewRates, RunRecord, RunStart } from './types';

type Driver = typeof import('pg');

function loadDriver(): Driver {
  return loadOptional<Driver>('pg', 'a PostgreSQL records store', 'a dependency of die-inspect');
}

/** The key of the advisory lock that migrations take ('die-insp' as a number). */
const MIGRATION_LOCK = 0x6469652d696e73;

/** A statement of ./sql.ts with PostgreSQL's positional parameters, and the names in their order. */
interface Positional { text: string; names: string[] }
const converted = new Map<string, Positional>();

export function positional(sql: string): Positional {
  let p = converted.get(sql);
  if (!p) {
    const names: string[] = [];
    // The SQL texts have no '@' inside their string literals.
    const text = sql.replace(/@([A-Za-z_]\w*)/g, (_m, name: string) => {
      let i = names.indexOf(name);
      if (i < 0) i = names.push(name) - 1;
      return `$${i + 1}`;
    });
    p = { text, names };
    converted.set(sql, p);
  }
  return p;
}

/** A URL without its password, for messages and `location`. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a PostgreSQL connection)';
  }
}

function storeError(where: string, err: unknown): DieInspectError {
  if (err instanceof DieInspectError) return err;
  const code = String((err as { code?: string }).code ?? '');
  const message = (err as Error).message ?? String(err);
  // Connection failures (ECONNREFUSED, ...), a full disk (53xxx), no permission (42501), a server going away (57P, 08xxx).
  if (/^E[A-Z]+$/.test(code) || /^(53|08|57P)/.test(code) || code === '42501' || /connect|terminat|timeout/i.test(message)) {
    return new DieInspectError('ERR_WRITE', `cannot write the records store ${where}: ${message}${code ? ` (${code})` : ''}`,
      { cause: err });
  }
  return new DieInspectError('ERR_INTERNAL', `records store ${where}: ${message}${code ? ` (${code})` : ''}`, { cause: err });
}

type Queryable = Pool | PoolClient;

async function query(db: Queryable, sql: string, params: Row = {}): Promise<Row[]> {
  const p = positional(sql);
  const values = p.names.map((n) => {
    if (!(n in params)) throw new DieInspectError('ERR_INTERNAL', `records SQL: no value for @${n}`);
    return params[n];
  });
  return (await db.query(p.text, values)).rows as Row[];
}

/** Opens (creating the schema, or migrating it forward) the store in the database at `url`. */
export async function openPgRecorder(url: string, options: Omit<PoolConfig, 'connectionString'> = {}): Promise<PgRecorder> {
  return PgRecorder.open(url, options);
}

export class PgRecorder implements Recorder {
  private constructor(readonly location: string, private pool: Pool | null) {}

  /**
   * Connects (a pool of `options.max`, default 4 connections) and brings the schema to
   * SCHEMA_VERSION. ERR_DB_VERSION for a newer schema, ERR_DB_CORRUPT for a database
   * that holds the store's tables without a version, ERR_WRITE where it cannot connect.
   */
  static async open(url: string, options: Omit<PoolConfig, 'connectionString'> = {}): Promise<PgRecorder> {
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
      throw new DieInspectError('ERR_INVALID_ARG', `a PostgreSQL records store is a postgres:// URL, got ${String(url)}`);
    }
    const { Pool: PoolClass } = loadDriver();
    const where = redact(url);
    const pool = new PoolClass({ max: 4, connectionTimeoutMillis: 10000, ...options, connectionString: url });
    // An idle connection the server drops must not take the process down.
    pool.on('error', () => undefined);
    try {
      await migrate(pool, where);
      return new PgRecorder(where, pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw storeError(where, err);
    }
  }

  private handle(): Pool {
    if (!this.pool) throw new DieInspectError('ERR_SESSION_CLOSED', `the records store ${this.location} is closed`);
    return this.pool;
  }

  private async guard<T>(work: (db: Pool) => Promise<T>): Promise<T> {
    const db = this.handle();
    try {
      return await work(db);
    } catch (err) {
      throw storeError(this.location, err);
    }
  }

  /** `work` in one transaction on one connection. */
  private transaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.guard(async (db) => {
      const c = await db.connect();
      try {
        await c.query('BEGIN');
        const out = await work(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    });
  }

  beginRun(run: RunStart): Promise<number> {
    return this.guard(async (db) => Number((await query(db, SQL.INSERT_RUN, runParams(run)))[0].id));
  }

  endRun(runId: number, at?: Date): Promise<void> {
    return this.guard(async (db) => {
      await query(db, SQL.END_RUN, { id: runId, endedAt: iso(at) });
    });
  }

  run(id: number): Promise<RunRecord | null> {
    return this.guard(async (db) => {
      const [r] = await query(db, SQL.RUN_BY_ID, { id });
      return r ? runRecordOf(r) : null;
    });
  }

  record(runId: number, parts: PartInput | PartInput[]): Promise<RecordedAs[]> {
    const list = Array.isArray(parts) ? parts : [parts];
    return this.transaction(async (c) => {
      const out: RecordedAs[] = [];
      for (const p of list) out.push(await insertPart(c, runId, p));
      return out;
    });
  }

  recordedPaths(): Promise<Set<string>> {
    return this.guard(async (db) => new Set((await query(db, SQL.RECORDED_PATHS)).map((r) => String(r.image_path)).filter(Boolean)));
  }

  async part(id: number): Promise<PartRecord | null> {
    return (await this.parts({ id } as PartQuery & { id: number }))[0] ?? null;
  }

  parts(q: PartQuery = {}): Promise<PartRecord[]> {
    const { filters, params } = filtersOf(q);
    const paged = q.limit !== undefined || q.offset !== undefined;
    // LIMIT NULL is PostgreSQL's "all" (SQLite's is -1).
    if (paged) Object.assign(params, { limit: q.limit ?? null, offset: q.offset ?? 0 });
    return this.guard(async (db) => {
      const rows = await query(db, SQL.partsQuery(filters, paged, q.newestFirst === true), params);
      return Promise.all(rows.map(async (r) => {
        const partId = Number(r.id);
        const [d, c] = await Promise.all([query(db, SQL.DETECTIONS_OF, { partId }), query(db, SQL.CLASSIFICATIONS_OF, { partId })]);
        return partRecordOf(r, d, c);
      }));
    });
  }

  async review(partId: number, input: ReviewInput): Promise<Review> {
    if (!Number.isInteger(partId)) throw new DieInspectError('ERR_INVALID_ARG', `review: part id must be a whole number, got ${partId}`);
    const part = await this.part(partId);
    if (!part) throw new DieInspectError('ERR_INVALID_ARG', `review: no part ${partId} in ${this.location}`);
    const run = await this.run(part.runId);
    const thresholds = (run?.config as { classThresholds?: Record<string, number> } | null)?.classThresholds ?? {};
    const { verdict, boxes } = resolveReview(part, input, thresholds);
    const { params, review } = reviewParams(partId, input, verdict, boxes, iso(input.at));
    return this.guard(async (db) => ({ id: Number((await query(db, SQL.INSERT_REVIEW, params))[0].id), ...review }));
  }

  reviewRates(q: PartQuery = {}): Promise<ReviewRates> {
    const { filters, params } = filtersOf({ ...q, reviewed: undefined });
    return this.guard(async (db) => ratesOf(await query(db, SQL.reviewCountsQuery(filters), params)));
  }

  /** Ends the pool's connections; a second close does nothing. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.end().catch((err) => { throw storeError(this.location, err); });
  }
}

async function insertPart(c: PoolClient, runId: number, p: PartInput): Promise<RecordedAs> {
  const [row] = await query(c, SQL.INSERT_PART, partParams(runId, p));
  if (!row) return { partId: Number((await query(c, SQL.PART_BY_KEY, partKey(p)))[0].id), created: false };
  const partId = Number(row.id);
  const { detections, classifications } = partChildren(partId, p);
  for (const d of detections) await query(c, SQL.INSERT_DETECTION, d);
  for (const k of classifications) await query(c, SQL.INSERT_CLASSIFICATION, k);
  return { partId, created: true };
}

/** Brings the database's schema to SQL.SCHEMA_VERSION, one transaction per step, under an advisory lock. */
async function migrate(pool: Pool, where: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query(SQL.PG_VERSION_TABLE);
    const [v] = await query(c, SQL.PG_VERSION);
    const version = v ? Number(v.version) : 0;
    if (version > SQL.SCHEMA_VERSION) {
      throw new DieInspectError('ERR_DB_VERSION', `${where} has records schema version ${version}; this die-inspect knows up to `
        + `${SQL.SCHEMA_VERSION}: open it with a newer die-inspect`);
    }
    if (version === 0) {
      const tables = (await query(c, SQL.PG_TABLE_NAMES)).map((r) => String(r.name)).filter((t) => SQL.TABLES.includes(t));
      if (tables.length) {
        throw new DieInspectError('ERR_DB_CORRUPT', `${where} holds tables named like a records store's (${tables.join(', ')}) `
          + 'without its schema version: not a die-inspect records store');
      }
    }
    for (const m of SQL.MIGRATIONS.filter((x) => x.version > version)) {
      await c.query('BEGIN');
      try {
        for (const s of m.statements(SQL.PG_ID)) await c.query(s);
        for (const s of SQL.PG_SET_VERSION) await query(c, s, { version: m.version });
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}
