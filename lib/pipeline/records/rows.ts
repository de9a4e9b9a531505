/**
 * What every records store does the same way, whatever its driver: the parameters of
 * the SQL in ./sql.ts from runs, parts and reviews, and the records from the rows the
 * SQL answers. The SQLite store (./sqlite.ts) and the PostgreSQL one (./pg.ts) differ
 * only in how they send the SQL.
 */
import * as os from 'os';
import * as path from 'path';
import { DieInspectError } from '../../core/errors';
import type { Quad } from '../../core/geometry';
import { MODELS_DIR } from '../../runtime/models';
import type { Verdict } from '../inspection-types';
import type * as SQL from './sql';
import type {
  LabelledBox, PartInput, PartQuery, PartRecord, Review, ReviewDecision, ReviewRates, RunModel, RunRecord, RunStart,
} from './types';

export type Row = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const TOOL_VERSION = (require(path.join(MODELS_DIR, '..', 'package.json')) as { version: string }).version;

/** Models given as bytes are recorded as their length (their sha256 is in models_json). */
function bytesAsLength(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return `(${v.length} bytes)`;
  // a Buffer reaches the replacer as its toJSON(): { type: 'Buffer', data: [...] }
  const b = v as { type?: unknown; data?: unknown };
  return b && b.type === 'Buffer' && Array.isArray(b.data) ? `(${b.data.length} bytes)` : v;
}
export const iso = (d: Date | string | undefined) => (d === undefined ? new Date() : new Date(d)).toISOString();
export const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A numeric column as a number: PostgreSQL's driver gives BIGINT and COUNT(*) as text. */
const numeric = (v: unknown) => (v === null || v === undefined ? null : num(Number(v)));
const json = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : null);

/** INSERT_RUN's parameters. */
export function runParams(run: RunStart): Row {
  const models = (run.models ?? []).map((m) => ({ role: m.role, name: m.name, sha256: m.sha256 ?? null }));
  return {
    startedAt: iso(run.startedAt), host: run.host ?? os.hostname(), provider: run.provider ?? null, toolVersion: TOOL_VERSION,
    configJson: JSON.stringify(run.config ?? {}, bytesAsLength), modelsJson: JSON.stringify(models),
    metaJson: JSON.stringify(run.meta ?? {}), classesJson: run.classes && run.classes.length ? JSON.stringify(run.classes) : null,
  };
}

export function runRecordOf(r: Row): RunRecord {
  return {
    id: Number(r.id), startedAt: String(r.started_at), endedAt: (r.ended_at as string | null) ?? null, host: String(r.host),
    provider: (r.provider as string | null) ?? null, toolVersion: String(r.tool_version), config: json(r.config_json),
    models: json(r.models_json) as RunModel[], meta: json(r.meta_json) ?? {}, classes: json(r.classes_json),
  };
}

/** A part's key: its image (path and sha256) and its queue job, if any (PART_BY_KEY's parameters). */
export function partKey(p: PartInput): Row {
  return { imagePath: p.imagePath ?? '', imageSha256: p.imageSha256, jobId: p.jobId ?? null };
}

/** INSERT_PART's parameters. */
export function partParams(runId: number, p: PartInput): Row {
  const r = p.result;
  const m = p.meta ?? {};
  return {
    runId, ...partKey(p), inspectedAt: iso(p.inspectedAt),
    lot: m.lot ?? null, station: m.station ?? null, camera: m.camera ?? null, partLabel: m.partId ?? null,
    metaJson: JSON.stringify(m.extra ?? {}), width: r.width, height: r.height, mode: r.mode ?? null,
    roiStatus: r.roi.status, roiQuadJson: r.roi.quad ? JSON.stringify(r.roi.quad) : null, roiAngle: num(r.roi.angle),
    roiScore: num(r.roi.score), roiRefined: r.roi.refined === undefined ? null : Number(r.roi.refined),
    cropWidth: r.roi.cropWidth ?? null, cropHeight: r.roi.cropHeight ?? null, dieAngle: num(r.dieAngle),
    verdict: r.verdict, reasonsJson: JSON.stringify(r.reasons), roiMs: num(r.timings.roiMs) ?? 0,
    detectMs: num(r.timings.detectMs) ?? 0, classifyMs: num(r.timings.classifyMs) ?? 0, explainMs: num(r.timings.explainMs),
    totalMs: num(r.timings.totalMs) ?? 0, warning: r.warning ?? null, errorCode: r.error?.code ?? null,
    errorMessage: r.error?.message ?? null,
  };
}

/** INSERT_DETECTION's and INSERT_CLASSIFICATION's parameters for a new part. */
export function partChildren(partId: number, p: PartInput): { detections: Row[]; classifications: Row[] } {
  const r = p.result;
  const detections = r.detections.map((d, ordinal) => {
    const [x1, y1, x2, y2] = d.cropBox;
    return { partId, ordinal, label: d.label, classId: d.classId, score: d.score, x1, y1, x2, y2, quadJson: JSON.stringify(d.quad) };
  });
  const c = r.classification;
  const classifications = c ? [
    { partId, ordinal: 0, member: 'ensemble', defectProbability: num(c.defectProbability) },
    ...c.members.map((mb, i) => ({ partId, ordinal: i + 1, member: mb.name, defectProbability: num(mb.defectProbability) })),
  ] : [];
  return { detections, classifications };
}

/** A part record from its PART_ROWS row and its detection and classification rows. */
export function partRecordOf(r: Row, detectionRows: Row[], cls: Row[]): PartRecord {
  const partId = Number(r.id);
  const detections = detectionRows.map((d) => ({
    label: String(d.label), classId: Number(d.class_id), score: Number(d.score),
    cropBox: [Number(d.crop_x1), Number(d.crop_y1), Number(d.crop_x2), Number(d.crop_y2)] as [number, number, number, number],
    quad: json(d.quad_json) as Quad,
  }));
  const ensemble = cls.find((c) => Number(c.ordinal) === 0);
  return {
    id: partId, runId: Number(r.run_id), imagePath: String(r.image_path), imageSha256: String(r.image_sha256),
    inspectedAt: String(r.inspected_at), lot: (r.lot as string) ?? null, station: (r.station as string) ?? null,
    camera: (r.camera as string) ?? null, partId: (r.part_label as string) ?? null, extra: json(r.meta_json) ?? {},
    jobId: (r.job_id as string) ?? null,
    width: Number(r.width), height: Number(r.height), mode: (r.mode as string) ?? null,
    roi: {
      status: String(r.roi_status), quad: json(r.roi_quad_json) as Quad | null, angle: num(r.roi_angle), score: num(r.roi_score),
      refined: r.roi_refined === null ? null : Number(r.roi_refined) === 1, cropWidth: numeric(r.crop_width),
      cropHeight: numeric(r.crop_height),
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

/** INSERT_REVIEW's parameters and the review it makes (less its id). */
export function reviewParams(partId: number, input: { reviewer: string; decision: ReviewDecision; labels?: string[]; comment?: string },
  verdict: 'pass' | 'fail', boxes: LabelledBox[] | null, reviewedAt: string): { params: Row; review: Omit<Review, 'id'> } {
  const reviewer = input.reviewer.trim();
  return {
    params: {
      partId, reviewer, reviewedAt, decision: input.decision, verdict,
      boxesJson: boxes ? JSON.stringify(boxes) : null, labelsJson: input.labels ? JSON.stringify(input.labels) : null,
      classes: `,${[...new Set((boxes ?? []).map((b) => b.label))].join(',')},`, comment: input.comment ?? null,
    },
    review: { partId, reviewer, reviewedAt, decision: input.decision, verdict, boxes, labels: input.labels ?? null,
      comment: input.comment ?? null },
  };
}

/** The rates from reviewCountsQuery's rows. */
export function ratesOf(rows: Row[]): ReviewRates {
  const count = (machine: string, reviewed?: string) => rows.filter((r) => r.machine === machine
    && (reviewed === undefined || r.reviewed === reviewed)).reduce((s, r) => s + Number(r.n), 0);
  const machineFailed = count('fail'), falseCalls = count('fail', 'pass');
  const machinePassed = count('pass'), escapes = count('pass', 'fail');
  return {
    reviewed: rows.reduce((s, r) => s + Number(r.n), 0), machineFailed, falseCalls,
    falseCallRate: machineFailed ? falseCalls / machineFailed : null, machinePassed, escapes,
    escapeRate: machinePassed ? escapes / machinePassed : null,
  };
}

/** The SQL filters and parameters of a query; ERR_INVALID_ARG for a value of the wrong kind. */
export function filtersOf(q: PartQuery & { id?: number }): { filters: SQL.PartFilter[]; params: Row } {
  const filters: SQL.PartFilter[] = [];
  const params: Row = {};
  const text = ['verdict', 'machineVerdict', 'class', 'lot', 'station', 'camera', 'partId', 'imagePath', 'jobId'] as const;
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
