/**
 * What `explain` leaves behind for each image: every saliency map as a heat overlay on
 * the image (JPEG) and as a 16-bit grey PNG (the raw map, 65535 = 1), and a record of
 * both for explain.json.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Point } from '../core/geometry';
import type { ImageInput, InputLimits } from '../runtime/images';
import { encodeMapPng } from '../runtime/ops';
import type { Explanation, SaliencyMap } from '../stages/saliency';
import { annotateImage, Shape } from './annotate';
import { annotatedFile, detectionShapes, strokes } from './report';

export interface ExplainedMapRecord {
  method: SaliencyMap['method'];
  label: string;
  score: number;
  box?: [number, number, number, number];
  peak: { x: number; y: number };
  peakValue: number;
  /** File names in the output folder. */
  overlay: string;
  map: string;
}

export interface ExplainRecord {
  path: string;
  width: number;
  height: number;
  probabilities?: number[];
  maps: ExplainedMapRecord[];
  error?: { code: string; message: string };
}

/** The shapes drawn over one map: the detection explained, or the class and its probability. */
function mapShapes(m: SaliencyMap, e: Explanation): Shape[] {
  const { lw, font } = strokes(e.width, e.height);
  const cross = (d: number): Shape => ({
    type: 'polygon', closed: true, color: [255, 255, 255], thickness: Math.max(1, lw - 1),
    points: [[m.peak.x - d, m.peak.y - d], [m.peak.x + d, m.peak.y - d], [m.peak.x + d, m.peak.y + d], [m.peak.x - d, m.peak.y + d]],
  });
  if (m.box) {
    const [x1, y1, x2, y2] = m.box;
    const quad: Point[] = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
    return [...detectionShapes([{ label: m.label, score: m.score, quad }], lw, font), cross(3 * lw)];
  }
  return [{ type: 'text', at: [8, 8], text: `${m.label} ${m.score.toFixed(3)} (${m.method})`, fontScale: font }, cross(3 * lw)];
}

/** Writes image `index`'s overlays and raw maps into `dir`; its record names them. */
export async function writeExplanation(dir: string, index: number, image: string, e: Explanation,
  limits: InputLimits = {}): Promise<ExplainRecord> {
  if (e.error) return { path: image, width: 0, height: 0, maps: [], error: { code: e.error.code, message: e.error.message } };
  const maps = await Promise.all(e.maps.map(async (m, k): Promise<ExplainedMapRecord> => {
    const tag = e.maps.length > 1 || m.box ? `.d${k + 1}` : '';
    const overlay = annotatedFile(dir, index, image, `${tag}.explain.jpg`);
    const raw = annotatedFile(dir, index, image, `${tag}.map.png`);
    const source: ImageInput = image;
    const [picture, png] = await Promise.all([
      annotateImage(source, mapShapes(m, e), {
        format: 'jpg', quality: 88, heatmap: { data: m.data, width: m.width, height: m.height }, ...limits,
      }),
      encodeMapPng(m),
    ]);
    await Promise.all([fs.writeFile(overlay, picture), fs.writeFile(raw, png)]);
    return {
      method: m.method, label: m.label, score: m.score, ...(m.box ? { box: m.box } : {}), peak: m.peak, peakValue: m.peakValue,
      overlay: path.basename(overlay), map: path.basename(raw),
    };
  }));
  return { path: image, width: e.width, height: e.height, ...(e.probabilities ? { probabilities: e.probabilities } : {}), maps };
}
