/**
 * Out of a records store: the reviewed parts as a training set in the layout the
 * recipes and `eval` read (upright crops as a YOLO dataset, and a good/defect CSV of the
 * same crops), and every part as a CSV for spreadsheets.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../../core/errors';
import type { Quad } from '../../core/geometry';
import { fileSha256 } from '../../runtime/hash';
import { encodeImage } from '../../runtime/ops';
import { writeAtomically } from '../../runtime/atomic-write';
import { captureNative, type RoiCommonOptions } from '../../stages/roi/base';
import type { LabelledBox, PartQuery, PartRecord, Recorder } from './types';

export interface ReviewedExport {
  /** The crops folder written (OUT/crops): images/, labels/, data.yaml, good_defect.csv. */
  crops: string;
  /** Class names in label-id order (data.yaml's names). */
  classes: string[];
  /** Crops written: defect-free (an empty label file) and with defects. */
  written: { good: number; defective: number };
  /** Reviewed parts left out, each with why. */
  skipped: Array<{ partId: number; imagePath: string; reason: string }>;
}

/** How far (px) the re-warped outline may lie from the recorded one before the crop is refused. */
const QUAD_TOLERANCE = 0.5;

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch(() => null);
  return !entries || entries.length === 0;
}

/** Class ids: the runs' detector classes first (in their order), then any other reviewed label by first use. */
async function classesOf(recorder: Recorder, parts: PartRecord[]): Promise<string[]> {
  const classes: string[] = [];
  for (const runId of [...new Set(parts.map((p) => p.runId))].sort((a, b) => a - b)) {
    for (const c of (await recorder.run(runId))?.classes ?? []) if (!classes.includes(c)) classes.push(c);
  }
  for (const p of parts) for (const b of p.review?.boxes ?? []) if (!classes.includes(b.label)) classes.push(b.label);
  return classes;
}

function yoloLines(boxes: LabelledBox[], classes: string[], w: number, h: number): string {
  const f = (v: number) => Number(Math.min(1, Math.max(0, v)).toFixed(6));
  return boxes.map(({ label, box: [x1, y1, x2, y2] }) => `${classes.indexOf(label)} ${f((x1 + x2) / 2 / w)} ${f((y1 + y2) / 2 / h)} `
    + `${f((x2 - x1) / w)} ${f((y2 - y1) / h)}\n`).join('');
}

const farthest = (a: Quad, b: Quad) => Math.max(...a.map((p, i) => Math.hypot(p[0] - b[i][0], p[1] - b[i][1])));

/**
 * The upright crop of a recorded part, warped again from its image and recorded outline
 * with the run's ROI options, or why not: the image is gone or changed (sha256), or the
 * warp no longer lands on the recorded outline.
 */
export async function recordedCrop(recorder: Recorder, p: PartRecord): Promise<{ jpg: Buffer; width: number; height: number } | string> {
  if (!p.imagePath) return 'recorded from pixels or bytes, not a file';
  if (p.roi.status !== 'ok' || !p.roi.quad) return `no package outline (roi ${p.roi.status})`;
  const sha = await fileSha256(p.imagePath).catch(() => null);
  if (sha === null) return 'image not found';
  if (sha !== p.imageSha256) return 'image changed since it was inspected (sha256 differs)';
  const config = (await recorder.run(p.runId))?.config as { roi?: RoiCommonOptions } | null;
  const roi = config?.roi ?? {};
  const [r] = await captureNative([p.imagePath], {
    orientation: roi.orientation, cropScale: roi.cropScale, refine: false, measureDie: false, crops: true, brightfieldOnly: false,
    limitInputPixels: false, failOn: 'error',
  }, [p.roi.quad]);
  if (r.status !== 'ok' || !r.crop || !r.quad) return `the crop could not be made again: ${r.error?.message ?? r.status}`;
  if (farthest(r.quad, p.roi.quad) > QUAD_TOLERANCE) return 'the warp no longer lands on the recorded outline';
  return { jpg: await encodeImage(r.crop, { format: 'jpg', quality: 95 }), width: r.crop.width, height: r.crop.height };
}

/**
 * Writes the reviewed parts (those `query` picks, reviewed or not said) as OUT/crops:
 * images/ (the upright crops), labels/ (YOLO `cls cx cy w h` from the reviewed boxes;
 * an empty file for a part reviewed as a pass), data.yaml (names) and good_defect.csv
 * (path,label: good or defective), plus OUT/export.json (which part each crop is). A
 * reviewed defect whose boxes are not known, and a part whose image is gone or changed,
 * are left out and listed. ERR_INVALID_ARG for an OUT/crops that holds files already.
 */
export async function exportReviewed(recorder: Recorder, out: string, query: PartQuery = {}): Promise<ReviewedExport> {
  const crops = path.join(out, 'crops');
  for (const sub of ['images', 'labels']) {
    if (!(await isEmptyOrMissing(path.join(crops, sub)))) {
      throw new DieInspectError('ERR_INVALID_ARG', `${crops}/${sub} holds files already: export into a new folder`);
    }
  }
  const parts = await recorder.parts({ ...query, reviewed: true });
  const classes = await classesOf(recorder, parts);
  await fs.mkdir(path.join(crops, 'images'), { recursive: true }).catch((err: Error) => {
    throw new DieInspectError('ERR_WRITE', `cannot write ${crops}: ${err.message}`, { cause: err });
  });
  await fs.mkdir(path.join(crops, 'labels'), { recursive: true });
  const result: ReviewedExport = { crops, classes, written: { good: 0, defective: 0 }, skipped: [] };
  const csv = ['path,label'];
  const manifest: Array<Record<string, unknown>> = [];
  for (const p of parts) {
    const review = p.review!;
    if (review.boxes === null) {
      result.skipped.push({ partId: p.id, imagePath: p.imagePath, reason: 'reviewed as a defect without boxes' });
      continue;
    }
    const crop = await recordedCrop(recorder, p);
    if (typeof crop === 'string') {
      result.skipped.push({ partId: p.id, imagePath: p.imagePath, reason: crop });
      continue;
    }
    const stem = `${String(p.id).padStart(6, '0')}-${path.basename(p.imagePath, path.extname(p.imagePath))}`;
    await fs.writeFile(path.join(crops, 'images', `${stem}.jpg`), crop.jpg);
    await fs.writeFile(path.join(crops, 'labels', `${stem}.txt`), yoloLines(review.boxes, classes, crop.width, crop.height));
    const label = review.verdict === 'pass' ? 'good' : 'defective';
    result.written[label === 'good' ? 'good' : 'defective']++;
    csv.push(`images/${stem}.jpg,${label}`);
    manifest.push({ file: `images/${stem}.jpg`, partId: p.id, imagePath: p.imagePath, imageSha256: p.imageSha256, label,
      machineVerdict: p.verdict, decision: review.decision, reviewer: review.reviewer, reviewedAt: review.reviewedAt });
  }
  await fs.writeFile(path.join(crops, 'data.yaml'), '# die-inspect export --reviewed: upright crops of reviewed parts\n'
    + `path: .\ntrain: images\nval: images\nnc: ${classes.length}\nnames: [${classes.join(', ')}]\n`);
  await fs.writeFile(path.join(crops, 'good_defect.csv'), csv.join('\n') + '\n');
  await writeAtomically(path.join(out, 'export.json'), JSON.stringify({
    source: recorder.location, classes, written: result.written, crops: manifest, skipped: result.skipped,
  }, null, 1) + '\n');
  return result;
}

/** The columns of `exportPartsCsv`, in order. */
export const PARTS_CSV_COLUMNS = [
  'id', 'run_id', 'inspected_at', 'image_path', 'image_sha256', 'lot', 'station', 'camera', 'part_id', 'mode', 'roi_status',
  'die_angle', 'verdict', 'effective_verdict', 'reasons', 'detections', 'classes', 'defect_probability', 'review_decision',
  'reviewer', 'reviewed_at', 'review_comment', 'error_code', 'total_ms', 'extra',
] as const;

/** A CSV cell: quoted where it holds a comma, a quote or a line break. */
function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(p: PartRecord): string {
  const r = p.review;
  const values: Record<(typeof PARTS_CSV_COLUMNS)[number], unknown> = {
    id: p.id, run_id: p.runId, inspected_at: p.inspectedAt, image_path: p.imagePath, image_sha256: p.imageSha256, lot: p.lot,
    station: p.station, camera: p.camera, part_id: p.partId, mode: p.mode, roi_status: p.roi.status, die_angle: p.dieAngle,
    verdict: p.verdict, effective_verdict: p.effectiveVerdict, reasons: p.reasons.join('; '), detections: p.detections.length,
    classes: [...new Set((r?.boxes ?? p.detections).map((d) => d.label))].join(' '),
    defect_probability: p.classification?.defectProbability, review_decision: r?.decision, reviewer: r?.reviewer,
    reviewed_at: r?.reviewedAt, review_comment: r?.comment, error_code: p.error?.code, total_ms: p.timings.totalMs,
    extra: Object.keys(p.extra).length ? JSON.stringify(p.extra) : '',
  };
  return PARTS_CSV_COLUMNS.map((c) => cell(values[c])).join(',');
}

/** Writes the parts `query` picks as one CSV (a header, then a row a part); resolves to the number of rows. */
export async function exportPartsCsv(recorder: Recorder, file: string, query: PartQuery = {}): Promise<number> {
  const parts = await recorder.parts(query);
  const text = [PARTS_CSV_COLUMNS.join(','), ...parts.map(csvRow)].join('\n') + '\n';
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true }).catch(() => undefined);
  await writeAtomically(file, text).catch((err: Error) => {
    throw new DieInspectError('ERR_WRITE', `cannot write ${file}: ${err.message}`, { cause: err });
  });
  return parts.length;
}
