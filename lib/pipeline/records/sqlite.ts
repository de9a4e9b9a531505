/**
 * The records store in one SQLite file (better-sqlite3): WAL journal, the schema of
 * ./sql.ts migrated forward on open, one transaction per `record()` call.
 */
import { mkdirSync } from 'fs';
import * as path from 'path';
import type BetterSqlite3 from 'better-sqlite3';
import { DieInspectError } from '../../core/errors';
import { loadOptional } from '../../runtime/optional';
import type { RecordedAs } from '../inspection-types';
import { resolveReview } from './review-rules';
import {
  filtersOf, iso, partChildren, partKey, partParams, partRecordOf, ratesOf, reviewParams, type Row, runParams, runRecordOf,
} from './rows';
import * as SQL from './sql';
import type { PartInput, PartQuery, PartRecord, Recorder, Review, ReviewInput, ReviewRates, RunRecord, RunStart } from './types';
type Driver = typeof BetterSqlite3;

/** better-sqlite3, loaded on first use: a package without it still inspects, and only a store fails. */
function loadDriver(): Driver {
  return loadOptional<Driver>('better-sqlite3', 'the records store', 'an optional peer dependency: npm install better-sqlite3@12');
}

/** SQLite's answer as a typed error: a file that is not a store, or one the system would not let us write. */
function storeError(file: string, err: unknown): DieInspectError {
  if (err instanceof DieInspectError) return err;
  const code = String((err as { code?: string }).code ?? '');
  const message = (err as Error).message ?? String(err);
  if (/SQLITE_(NOTADB|CORRUPT)/.test(code)) {
    return new DieInspectError('ERR_DB_CORRUPT', `${file} is not a die-inspect records store (${message})`, { cause: err });
  }
  if (/SQLITE_(CANTOPEN|READONLY|FULL|IOERR|PERM|BUSY|LOCKED)/.test(code) || /^E[A-Z]+$/.test(code)) {
    return new DieInspectError('ERR_WRITE', `cannot write the records store ${file}: ${message}${code ? ` (${code})` : ''}`,
      { cause: err });
  }
  return new DieInspectError('ERR_INTERNAL', `records store ${file}: ${message}`, { cause: err });
}

/** Opens (creating, or migrating forward) the store at `file`. */
export async function openRecorder(file: string): Promise<SqliteRecorder> {
  return SqliteRecorder.open(file);
}

export class SqliteRecorder implements Recorder {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private constructor(readonly location: string, private db: BetterSqlite3.Database | null) {}

  /**
   * Opens the file (made with its folder if missing) in WAL mode and brings its schema
   * to SCHEMA_VERSION. ERR_DB_VERSION for a store of a newer schema than this build
   * knows, ERR_DB_CORRUPT for a file that is not a store, ERR_WRITE where it cannot be written.
   */
  static async open(file: string): Promise<SqliteRecorder> {
    if (typeof file !== 'string' || !file) throw new DieInspectError('ERR_INVALID_ARG', 'a records store is a file path');
    const Database = loadDriver();
    let db: BetterSqlite3.Database | undefined;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      // WAL with NORMAL: a commit survives the process being killed; a power cut may lose the last ones.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
      return new SqliteRecorder(file, db);
    } catch (err) {
      db?.close();
      throw storeError(file, err);
    }
  }

  private handle(): BetterSqlite3.Database {
    if (!this.db) throw new DieInspectError('ERR_SESSION_CLOSED', `the records store ${this.location} is closed`);
    return this.db;
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.handle().prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `work`, answering SQLite's failures as typed errors. */
  private guard<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(storeError(this.location, err));
    }
  }

  beginRun(run: RunStart): Promise<number> {
    return this.guard(() => Number((this.stmt(SQL.INSERT_RUN).get(runParams(run)) as Row).id));
  }

  endRun(runId: number, at?: Date): Promise<void> {
    return this.guard(() => {
      this.stmt(SQL.END_RUN).run({ id: runId, endedAt: iso(at) });
    });
  }

  run(id: number): Promise<RunRecord | null> {
    return this.guard(() => {
      const r = this.stmt(SQL.RUN_BY_ID).get({ id }) as Row | undefined;
      return r ? runRecordOf(r) : null;
    });
  }

  record(runId: number, parts: PartInput | PartInput[]): Promise<RecordedAs[]> {
    const list = Array.isArray(parts) ? parts : [parts];
    return this.guard(() => this.handle().transaction(() => list.map((p) => this.insertPart(runId, p)))());
  }

  private insertPart(runId: number, p: PartInput): RecordedAs {
    const row = this.stmt(SQL.INSERT_PART).get(partParams(runId, p)) as Row | undefined;
    if (!row) return { partId: Number((this.stmt(SQL.PART_BY_KEY).get(partKey(p)) as Row).id), created: false };
    const partId = Number(row.id);
    const { detections, classifications } = partChildren(partId, p);
    for (const d of detections) this.stmt(SQL.INSERT_DETECTION).run(d);
    for (const c of classifications) this.stmt(SQL.INSERT_CLASSIFICATION).run(c);
    return { partId, created: true };
  }

  recordedPaths(): Promise<Set<string>> {
    return this.guard(() => new Set((this.stmt(SQL.RECORDED_PATHS).all() as Row[]).map((r) => String(r.image_path)).filter(Boolean)));
  }

  async part(id: number): Promise<PartRecord | null> {
    return (await this.parts({ id } as PartQuery & { id: number }))[0] ?? null;
  }

  parts(query: PartQuery = {}): Promise<PartRecord[]> {
    return this.guard(() => {
      const { filters, params } = filtersOf(query);
      const paged = query.limit !== undefined || query.offset !== undefined;
      if (paged) Object.assign(params, { limit: query.limit ?? -1, offset: query.offset ?? 0 });
      const rows = this.stmt(SQL.partsQuery(filters, paged, query.newestFirst === true)).all(params) as Row[];
      return rows.map((r) => this.partOf(r));
    });
  }

  private partOf(r: Row): PartRecord {
    const partId = Number(r.id);
    const detections = this.stmt(SQL.DETECTIONS_OF).all({ partId }) as Row[];
    return partRecordOf(r, detections, this.stmt(SQL.CLASSIFICATIONS_OF).all({ partId }) as Row[]);
  }

  async review(partId: number, input: ReviewInput): Promise<Review> {
    if (!Number.isInteger(partId)) throw new DieInspectError('ERR_INVALID_ARG', `review: part id must be a whole number, got ${partId}`);
    const part = await this.part(partId);
    if (!part) throw new DieInspectError('ERR_INVALID_ARG', `review: no part ${partId} in ${this.location}`);
    const run = await this.run(part.runId);
    const thresholds = (run?.config as { classThresholds?: Record<string, number> } | null)?.classThresholds ?? {};
    const { verdict, boxes } = resolveReview(part, input, thresholds);
    const { params, review } = reviewParams(partId, input, verdict, boxes, iso(input.at));
    return this.guard(() => ({ id: Number((this.stmt(SQL.INSERT_REVIEW).get(params) as Row).id), ...review }));
  }

  reviewRates(query: PartQuery = {}): Promise<ReviewRates> {
    return this.guard(() => {
      const { filters, params } = filtersOf({ ...query, reviewed: undefined });
      return ratesOf(this.stmt(SQL.reviewCountsQuery(filters)).all(params) as Row[]);
    });
  }

  /** Checkpoints the WAL into the file and closes it; a second close does nothing. */
  close(): Promise<void> {
    const db = this.db;
    this.db = null;
    this.statements.clear();
    if (!db) return Promise.resolve();
    try {
      db.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(storeError(this.location, err));
    }
  }
}

/** Brings the store's schema to SQL.SCHEMA_VERSION, one transaction per step. */
function migrate(db: BetterSqlite3.Database, file: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SQL.SCHEMA_VERSION) {
    throw new DieInspectError('ERR_DB_VERSION', `${file} has records schema version ${version}; this die-inspect knows up to `
      + `${SQL.SCHEMA_VERSION}: open it with a newer die-inspect`);
  }
  if (version === 0) {
    const tables = (db.prepare(SQL.TABLE_NAMES).all() as Row[]).map((r) => String(r.name));
    if (tables.length) {
      throw new DieInspectError('ERR_DB_CORRUPT', `${file} is an SQLite database of other tables (${tables.slice(0, 5).join(', ')}), `
        + 'not a die-inspect records store');
    }
  }
  for (const m of SQL.MIGRATIONS.filter((x) => x.version > version)) {
    db.transaction(() => {
      for (const s of m.statements(SQL.ID)) db.exec(s);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
