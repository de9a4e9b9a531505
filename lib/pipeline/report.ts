/**
 * What `inspect` and `detect` leave behind: results.jsonl (one line an image),
 * annotated images, and a summary (counts per verdict and class, throughput).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { annotateImage, Shape } from './annotate';
import type { DetectionResult } from '../stages/detector';
import type { Point } from '../core/geometry';
import type { ImageInput, InputLimits } from '../runtime/images';
import type { InspectionResult, InspectionSaliency } from './inspector';

const COLORS: Record<string, [number, number, number]> = {
  die_crack: [40, 40, 230],
  die_rotation: [0, 165, 255],
  package: [80, 220, 80],
  fail: [40, 40, 230],
  pass: [80, 200, 80],
  other: [230, 160, 40],
};

/** The JSON line written for one image. */
export function resultRecord(r: InspectionResult): Record<string, unknown> {
  return {
    path: r.path ?? null,
    index: r.index,
    width: r.width,
    height: r.height,
    mode: r.mode ?? null,
    roi: r.roi,
    dieAngle: r.dieAngle,
    detections: r.detections,
    classification: r.classification,
    ...(r.saliency ? { saliency: saliencyRecord(r.saliency) } : {}),
    verdict: r.verdict,
    reasons: r.reasons,
    timings: r.timings,
    warning: r.warning,
    error: r.error ? { code: r.error.code, message: r.error.message } : undefined,
  };
}

/** A failed part's saliency in results.jsonl: where its peak is and how strong, not the map itself. */
function saliencyRecord(s: InspectionSaliency): Record<string, unknown> {
  const m = s.map;
  return { method: m.method, label: m.label, peakCrop: [m.peak.x, m.peak.y], peakImage: s.imagePeak, peakValue: m.peakValue };
}

/** Line width and font scale that stay readable from 640 px to 4k images. */
export function strokes(width: number, height: number): { lw: number; font: number } {
  return { lw: Math.max(2, Math.round(Math.max(width, height) / 500)), font: Math.max(0.5, Math.max(width, height) / 1600) };
}

/**
 * Each detection's outline with its label and score beside it. Labels are placed in
 * order, so the highest scores (the detections that decide the verdict) come first and
 * get the spots next to their boxes; the others make way.
 */
export function detectionShapes(dets: Array<{ label: string; score: number; quad: Point[] }>, lw: number, font: number): Shape[] {
  return [...dets].sort((a, b) => b.score - a.score).map((d): Shape => ({
    type: 'polygon', points: d.quad, color: COLORS[d.label] ?? COLORS.other, thickness: lw,
    label: `${d.label} ${d.score.toFixed(2)}`, fontScale: font,
  }));
}

/** What an annotated picture shows of a part: an Inspector's result, or a part as a records store holds it. */
export interface AnnotatedPart {
  width: number;
  height: number;
  verdict: string;
  mode?: string | null;
  dieAngle: number | null;
  reasons: string[];
  roi: { quad?: Point[] | null };
  detections: Array<{ label: string; score: number; quad: Point[] }>;
}

/** Outline, detections and verdict drawn on the original image. */
export function annotationShapes(r: AnnotatedPart): Shape[] {
  const shapes: Shape[] = [];
  const { lw, font } = strokes(r.width, r.height);
  if (r.roi.quad) {
    shapes.push({ type: 'polygon', points: r.roi.quad, color: COLORS.package, thickness: lw });
    // Mark the upright top edge so the orientation can be checked at a glance.
    shapes.push({ type: 'polygon', points: [r.roi.quad[0], r.roi.quad[1]], closed: false, color: [255, 255, 0], thickness: lw + 1 });
  }
  shapes.push(...detectionShapes(r.detections, lw, font));
  const head = [`${r.verdict.toUpperCase()}`, r.mode ?? '', r.dieAngle === null ? '' : `die ${r.dieAngle.toFixed(2)} deg`]
    .filter(Boolean).join('  ');
  const failed = r.verdict === 'fail' || r.verdict === 'error';
  shapes.push({ type: 'text', at: [8, 8], text: head, color: failed ? COLORS.fail : COLORS.pass, fontScale: font * 1.2 });
  r.reasons.slice(0, 4).forEach((reason, i) => {
    shapes.push({ type: 'text', at: [8, 8 + (i + 1) * 34 * font * 1.2], text: reason, color: [40, 40, 40], fontScale: font });
  });
  return shapes;
}

/** `limits`: the caller's input limit again, as the file is read anew (a hot folder's file may have changed). */
export async function writeAnnotated(dir: string, image: ImageInput, r: InspectionResult, limits: InputLimits = {},
  maxSide = 1600): Promise<string | null> {
  if (r.verdict === 'error' && r.error && r.error.code !== 'ERR_ROI_NOT_FOUND') return null;  // nothing decodable to draw on
  const file = annotatedFile(dir, r.index, r.path);
  // A failed part's saliency map lies on the upright crop, whose corners are the package quad's.
  const heatmap = r.saliency && r.roi.quad
    ? { data: r.saliency.map.data, width: r.saliency.map.width, height: r.saliency.map.height, quad: r.roi.quad } : undefined;
  await fs.writeFile(file, await annotateImage(image, annotationShapes(r), { format: 'jpg', quality: 88, maxSide, heatmap, ...limits }));
  return file;
}

/**
 * Named like inspect's: the run index keeps a.jpg and a.png (or two folders' a.jpg) apart;
 * `suffix` ends the name (default '.jpg').
 */
export function annotatedFile(dir: string, index: number, image: string | null | undefined, suffix = '.jpg'): string {
  const base = image ? path.basename(image).replace(/\.[^.]+$/, '') : `image-${index}`;
  return path.join(dir, `${String(index).padStart(5, '0')}-${base}${suffix}`);
}

/** `detect --annotate`: a detector's boxes on the image, drawn at full size (no downscale). */
export async function writeDetectionsAnnotated(dir: string, index: number, image: string, r: DetectionResult,
  limits: InputLimits = {}): Promise<string | null> {
  if (r.error) return null;
  const { lw, font } = strokes(r.width, r.height);
  const dets = r.detections.map(({ label, score, box: [x1, y1, x2, y2] }) => ({
    label, score, quad: [[x1, y1], [x2, y1], [x2, y2], [x1, y2]] as Point[],
  }));
  const file = annotatedFile(dir, index, image);
  await fs.writeFile(file, await annotateImage(image, detectionShapes(dets, lw, font), { format: 'jpg', quality: 90, ...limits }));
  return file;
}

export interface InspectSummary {
  images: number;
  verdicts: Record<string, number>;
  detections: Record<string, number>;
  failReasons: Record<string, number>;
  modes: Record<string, number>;
  seconds: number;
  imagesPerSec: number;
  meanStageMs: { roiMs: number; detectMs: number; classifyMs: number };
}

export class SummaryBuilder {
  private readonly s: InspectSummary = { images: 0, verdicts: {}, detections: {}, failReasons: {}, modes: {}, seconds: 0, imagesPerSec: 0,
    meanStageMs: { roiMs: 0, detectMs: 0, classifyMs: 0 } };
  private readonly t0 = process.hrtime.bigint();

  add(r: InspectionResult): void {
    const s = this.s;
    s.images++;
    s.verdicts[r.verdict] = (s.verdicts[r.verdict] ?? 0) + 1;
    if (r.mode) s.modes[r.mode] = (s.modes[r.mode] ?? 0) + 1;
    for (const d of r.detections) s.detections[d.label] = (s.detections[d.label] ?? 0) + 1;
    if (r.verdict === 'fail') {
      for (const reason of r.reasons) {
        const key = reason.startsWith('die rotated') ? 'die angle'
          : reason.startsWith('classifier') ? 'classifier ensemble' : reason.split(' ')[0];
        s.failReasons[key] = (s.failReasons[key] ?? 0) + 1;
      }
    }
    s.meanStageMs.roiMs += r.timings.roiMs;
    s.meanStageMs.detectMs += r.timings.detectMs;
    s.meanStageMs.classifyMs += r.timings.classifyMs;
  }

  finish(): InspectSummary {
    const s = this.s;
    s.seconds = Number(process.hrtime.bigint() - this.t0) / 1e9;
    s.imagesPerSec = s.images / Math.max(s.seconds, 1e-9);
    const n = Math.max(1, s.images);
    s.meanStageMs = { roiMs: s.meanStageMs.roiMs / n, detectMs: s.meanStageMs.detectMs / n, classifyMs: s.meanStageMs.classifyMs / n };
    return s;
  }
}
