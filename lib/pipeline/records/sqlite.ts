/**
 * The records store in one SQLite file (better-sqlite3): WAL journal, the schema of
 * ./sql.ts migrated forward on open, one transaction per `record()` call.
 */
import { mkdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type BetterSqlite3 from 'better-sqlite3';
import { DieInspectError } from '../../core/errors';
import type { Quad } from '../../core/geometry';
import { MODELS_DIR } from '../../runtime/models';
import type { RecordedAs, Verdict } from '../inspection-types';
import { resolveReview } from './review-rules';
import * as SQL from './sql';
import type {
  LabelledBox, PartInput, PartQuery, PartRecord, Recorder, Review, ReviewInput, ReviewRates, RunModel, RunRecord, RunStart,
} from './types';

type Row = Record<string, unknown>;
type Driver = typeof BetterSqlite3;

let driver: Driver | undefined;

/** better-sqlite3, loaded on first use: a package without it still inspects, and only a store fails. */
function loadDriver(): Driver {
  if (driver) return driver;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    driver = require('better-sqlite3') as Driver;
    return driver;
  } catch (err) {
    throw new DieInspectError('ERR_ADDON_LOAD',
      `the records store needs better-sqlite3 12 (npm install better-sqlite3@12), which did not load: ${(err as Error).message}`,
      { cause: err });
  }
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const TOOL_VERSION = (require(path.join(MODELS_DIR, '..', 'package.json')) as { version: string }).version;

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

/** Models given as bytes are recorded as their length (their sha256 is in models_json). */
function bytesAsLength(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return `(${v.length} bytes)`;
  // a Buffer reaches the replacer as its toJSON(): { type: 'Buffer', data: [...] }
  const b = v as { type?: unknown; data?: unknown };
  return b && b.type === 'Buffer' && Array.isArray(b.data) ? `(${b.data.length} bytes)` : v;
}
const iso = (d: Date | string | undefined) => (d === undefined ? new Date() : new Date(d)).toISOString();
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const json = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : null);

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
    return this.guard(() => {
      const models = (run.models ?? []).map((m) => ({ role: m.role, name: m.name, sha256: m.sha256 ?? null }));
      const classes = run.classes && run.classes.length ? JSON.stringify(run.classes) : null;
      const row = this.stmt(SQL.INSERT_RUN).get({
        startedAt: iso(run.startedAt), host: run.host ?? os.hostname(), provider: run.provider ?? null, toolVersion: TOOL_VERSION,
        configJson: JSON.stringify(run.config ?? {}, bytesAsLength), modelsJson: JSON.stringify(models),
        metaJson: JSON.stringify(run.meta ?? {}),
        classesJson: classes,
      }) as Row;
      return Number(row.id);
    });
  }

  endRun(runId: number, at?: Date): Promise<void> {
    return this.guard(() => {
      this.stmt(SQL.END_RUN).run({ id: runId, endedAt: iso(at) });
    });
  }

  run(id: number): Promise<RunRecord | null> {
    return this.guard(() => {
      const r = this.stmt(SQL.RUN_BY_ID).get({ id }) as Row | undefined;
      if (!r) return null;
      return {
        id: Number(r.id), startedAt: String(r.started_at), endedAt: (r.ended_at as string | null) ?? null, host: String(r.host),
        provider: (r.provider as string | null) ?? null, toolVersion: String(r.tool_version), config: json(r.config_json),
        models: json(r.models_json) as RunModel[], meta: json(r.meta_json) ?? {}, classes: json(r.classes_json),
      };
    });
  }

  record(runId: number, parts: PartInput | PartInput[]): Promise<RecordedAs[]> {
    const list = Array.isArray(parts) ? parts : [parts];
    return this.guard(() => this.handle().transaction(() => list.map((p) => this.insertPart(runId, p)))());
  }

  private insertPart(runId: number, p: PartInput): RecordedAs {
    const r = p.result;
    const m = p.meta ?? {};
    const key = { imagePath: p.imagePath ?? '', imageSha256: p.imageSha256 };
    const row = this.stmt(SQL.INSERT_PART).get({
      runId, ...key, inspectedAt: iso(p.inspectedAt),
      lot: m.lot ?? null, station: m.station ?? null, camera: m.camera ?? null, partLabel: m.partId ?? null,
      metaJson: JSON.stringify(m.extra ?? {}), width: r.width, height: r.height, mode: r.mode ?? null,
      roiStatus: r.roi.status, roiQuadJson: r.roi.quad ? JSON.stringify(r.roi.quad) : null, roiAngle: num(r.roi.angle),
      roiScore: num(r.roi.score), roiRefined: r.roi.refined === undefined ? null : Number(r.roi.refined),
      cropWidth: r.roi.cropWidth ?? null, cropHeight: r.roi.cropHeight ?? null, dieAngle: num(r.dieAngle),
      verdict: r.verdict, reasonsJson: JSON.stringify(r.reasons), roiMs: num(r.timings.roiMs) ?? 0,
      detectMs: num(r.timings.detectMs) ?? 0, classifyMs: num(r.timings.classifyMs) ?? 0, explainMs: num(r.timings.explainMs),
      totalMs: num(r.timings.totalMs) ?? 0, warning: r.warning ?? null, errorCode: r.error?.code ?? null,
      errorMessage: r.error?.message ?? null,
    }) as Row | undefined;
    if (!row) return { partId: Number((this.stmt(SQL.PART_BY_KEY).get(key) as Row).id), created: false };
    const partId = Number(row.id);
    r.detections.forEach((d, ordinal) => {
      const [x1, y1, x2, y2] = d.cropBox;
      this.stmt(SQL.INSERT_DETECTION).run({
        partId, ordinal, label: d.label, classId: d.classId, score: d.score, x1, y1, x2, y2, quadJson: JSON.stringify(d.quad),
      });
    });
    const c = r.classification;
    if (c) {
      this.stmt(SQL.INSERT_CLASSIFICATION).run({ partId, ordinal: 0, member: 'ensemble', defectProbability: num(c.defectProbability) });
      c.members.forEach((mb, i) => this.stmt(SQL.INSERT_CLASSIFICATION).run({
        partId, ordinal: i + 1, member: mb.name, defectProbability: num(mb.defectProbability),
      }));
    }
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
    const detections = (this.stmt(SQL.DETECTIONS_OF).all({ partId }) as Row[]).map((d) => ({
      label: String(d.label), classId: Number(d.class_id), score: Number(d.score),
      cropBox: [Number(d.crop_x1), Number(d.crop_y1), Number(d.crop_x2), Number(d.crop_y2)] as [number, number, number, number],
      quad: json(d.quad_json) as Quad,
    }));
    const cls = this.stmt(SQL.CLASSIFICATIONS_OF).all({ partId }) as Row[];
    const ensemble = cls.find((c) => Number(c.ordinal) === 0);
    return {
      id: partId, runId: Number(r.run_id), imagePath: String(r.image_path), imageSha256: String(r.image_sha256),
      inspectedAt: String(r.inspected_at), lot: (r.lot as string) ?? null, station: (r.station as string) ?? null,
      camera: (r.camera as string) ?? null, partId: (r.part_label as string) ?? null, extra: json(r.meta_json) ?? {},
      width: Number(r.width), height: Number(r.height), mode: (r.mode as string) ?? null,
      roi: {
        status: String(r.roi_status), quad: json(r.roi_quad_json) as Quad | null, angle: num(r.roi_angle), score: num(r.roi_score),
        refined: r.roi_refined === null ? null : r.roi_refined === 1, cropWidth: num(r.crop_width), cropHeight: num(r.crop_height),
      },
      dieAngle: num(r.die_angle), verdict: r.verdict as Verdict, reasons: json(r.reasons_json) as string[], detections,
      classification: ensemble ? {
        defectProbability: num(ensemble.defect_probability),
        members: cls.filter((c) => Number(c.ordinal) > 0)
          .map((c) => ({ name: String(c.member), defectProbability: num(c.defect_probability) })),
      } : null,
      timings: {
        roiMs: Number(r.roi_ms), detectMs: Number(r.detect_ms), classifyMs: Number(r.classify_ms), explainMs: num(r.explain_ms),
        totalMs: Number(r.total_ms),
      },
      warning: (r.warning as string) ?? null,
      error: r.error_code ? { code: String(r.error_code), message: String(r.error_message ?? '') } : null,
      review: r.review_id === null || r.review_id === undefined ? null : {
        id: Number(r.review_id), partId, reviewer: String(r.reviewer), reviewedAt: String(r.reviewed_at),
        decision: r.decision as Review['decision'], verdict: r.review_verdict as Review['verdict'],
        boxes: json(r.review_boxes_json) as LabelledBox[] | null, labels: json(r.review_labels_json) as string[] | null,
        comment: (r.review_comment as string) ?? null,
      },
      reviews: Number(r.review_count),
      effectiveVerdict: r.effective_verdict as Verdict,
    };
  }

  async review(partId: number, input: ReviewInput): Promise<Review> {
    if (!Number.isInteger(partId)) throw new DieInspectError('ERR_INVALID_ARG', `review: part id must be a whole number, got ${partId}`);
    const part = await this.part(partId);
    if (!part) throw new DieInspectError('ERR_INVALID_ARG', `review: no part ${partId} in ${this.location}`);
    const run = await this.run(part.runId);
    const thresholds = (run?.config as { classThresholds?: Record<string, number> } | null)?.classThresholds ?? {};
    const { verdict, boxes } = resolveReview(part, input, thresholds);
    const reviewedAt = iso(input.at);
    return this.guard(() => {
      const row = this.stmt(SQL.INSERT_REVIEW).get({
        partId, reviewer: input.reviewer.trim(), reviewedAt, decision: input.decision, verdict,
        boxesJson: boxes ? JSON.stringify(boxes) : null, labelsJson: input.labels ? JSON.stringify(input.labels) : null,
        classes: `,${[...new Set((boxes ?? []).map((b) => b.label))].join(',')},`, comment: input.comment ?? null,
      }) as Row;
      return {
        id: Number(row.id), partId, reviewer: input.reviewer.trim(), reviewedAt, decision: input.decision, verdict, boxes,
        labels: input.labels ?? null, comment: input.comment ?? null,
      };
    });
  }

  reviewRates(query: PartQuery = {}): Promise<ReviewRates> {
    return this.guard(() => {
      const { filters, params } = filtersOf({ ...query, reviewed: undefined });
      const rows = this.stmt(SQL.reviewCountsQuery(filters)).all(params) as Row[];
      const count = (machine: string, reviewed?: string) => rows.filter((r) => r.machine === machine
        && (reviewed === undefined || r.reviewed === reviewed)).reduce((s, r) => s + Number(r.n), 0);
      const machineFailed = count('fail'), falseCalls = count('fail', 'pass');
      const machinePassed = count('pass'), escapes = count('pass', 'fail');
      return {
        reviewed: rows.reduce((s, r) => s + Number(r.n), 0), machineFailed, falseCalls,
        falseCallRate: machineFailed ? falseCalls / machineFailed : null, machinePassed, escapes,
        escapeRate: machinePassed ? escapes / machinePassed : null,
      };
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

/** The SQL filters and parameters of a query; ERR_INVALID_ARG for a value of the wrong kind. */
function filtersOf(q: PartQuery & { id?: number }): { filters: SQL.PartFilter[]; params: Record<string, unknown> } {
  const filters: SQL.PartFilter[] = [];
  const params: Record<string, unknown> = {};
  const text = ['verdict', 'machineVerdict', 'class', 'lot', 'station', 'camera', 'partId', 'imagePath'] as const;
  for (const k of text) {
    const v = q[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new DieInspectError('ERR_INVALID_ARG', `parts query: ${k} must be text, got ${String(v)}`);
    const name = k === 'partId' ? 'partLabel' : k;
    filters.push(name);
    params[name] = v;
  }
  for (const k of ['id', 'run', 'afterId'] as const) {
    if (q[k] === undefined) continue;
    if (!Number.isInteger(q[k])) throw new DieInspectError('ERR_INVALID_ARG', `parts query: ${k} must be a whole number`);
    filters.push(k);
    params[k] = q[k];
  }
  for (const k of ['from', 'to'] as const) {
    if (q[k] === undefined) continue;
    const t = new Date(q[k] as string | Date);
    if (Number.isNaN(t.getTime())) throw new DieInspectError('ERR_INVALID_ARG', `parts query: ${k} must be a date, got ${String(q[k])}`);
    filters.push(k);
    params[k] = t.toISOString();
  }
  if (q.reviewed !== undefined) filters.push(q.reviewed ? 'reviewed' : 'unreviewed');
  for (const k of ['limit', 'offset'] as const) {
    if (q[k] !== undefined && !(Number.isInteger(q[k]) && q[k]! >= 0)) {
      throw new DieInspectError('ERR_INVALID_ARG', `parts query: ${k} must be a whole number >= 0`);
    }
  }
  return { filters, params };
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
