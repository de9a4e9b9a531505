/**
 * checkDataset(): what can be wrong with a YOLO-layout dataset before anyone trains on it,
 * split by split and across splits: exact duplicates (content hash) and near duplicates
 * (16x16 grey thumbnails whose mean absolute difference is at most `near` grey levels: a
 * re-encoded JPEG differs by under 0.5, two different synthetic parts by 4.9 or more),
 * the same image in two splits (a leak),
 * images that do not decode, images without a label file, label files without an image,
 * label lines that do not parse, unknown class ids, boxes outside the image or of no
 * area; and each split's balance (images, defect-free share, boxes per class, COCO size
 * bins). Decoding runs natively on the thread pool, a few images at a time.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { decodeImage } from '../runtime/ops';
import { listImages, yoloLabelPath } from './datasets';
import type { ProgressCallback } from './types';
import { parseYaml, yamlNames } from './yaml-lite';

export type FindingKind = 'duplicate' | 'near-duplicate' | 'corrupt-image' | 'missing-label' | 'orphan-label'
  | 'bad-label' | 'unknown-class' | 'box-outside' | 'zero-area';

export interface Finding {
  kind: FindingKind;
  split: string;
  /** The image (or label file) the finding is about. */
  path: string;
  /** Duplicates: the image it repeats (the first seen), and whether that one is in another split (a leak). */
  of?: { split: string; path: string };
  leak?: boolean;
  /** Label findings: the 1-based line. */
  line?: number;
  detail: string;
}

export interface SplitStats {
  split: string;
  images: number;
  /** Images whose label file is empty or missing (no defect). */
  defectFree: number;
  /** Boxes per class name (or id). */
  boxes: Record<string, number>;
  /** Boxes by area in pixels, COCO's bins: small < 32^2 <= medium < 96^2 <= large. */
  sizes: { small: number; medium: number; large: number };
}

export interface DatasetCheck {
  splits: SplitStats[];
  findings: Finding[];
  classNames?: string[];
}

export interface DatasetSplit {
  name: string;
  /** The split's images: a folder walked for images (a YOLO `images/` folder or one holding it). */
  images: string[];
}

export interface DatasetCheckOptions {
  /** Class names (default: from a data.yaml); class ids beyond them are findings. */
  classNames?: string[];
  /** Largest mean absolute difference of two 16x16 grey thumbnails (0-255) that counts as a near duplicate. Default 2. */
  near?: number;
  onProgress?: ProgressCallback;
}

/**
 * The splits a user points at: a data.yaml (its train / val / test entries), or folders
 * given as NAME=DIR or DIR (named by the folder), each a YOLO folder with `images/` or a
 * folder of images.
 */
export async function datasetSplits(args: string[]): Promise<{ splits: DatasetSplit[]; classNames?: string[] }> {
  const splits: DatasetSplit[] = [];
  let classNames: string[] | undefined;
  for (const a of args) {
    if (/\.ya?ml$/i.test(a)) {
      const text = await fs.readFile(a, 'utf8').catch(() => {
        throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${a}`);
      });
      const y = parseYaml(text);
      const root = typeof y.path === 'string' ? path.resolve(path.dirname(a), y.path) : path.dirname(a);
      classNames ??= yamlNames(y.names);
      for (const key of ['train', 'val', 'test']) {
        const v = y[key];
        if (v === undefined || v === null) continue;
        const dirs = (Array.isArray(v) ? v : [v]).map((e) => path.resolve(root, String(e)));
        splits.push({ name: key, images: (await Promise.all(dirs.map(imagesOf))).flat() });
      }
      continue;
    }
    const eq = a.indexOf('=');
    const [name, dir] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [path.basename(path.resolve(a)), a];
    splits.push({ name, images: await imagesOf(dir) });
    if (!classNames) {
      const yaml = path.join(dir, 'data.yaml');
      classNames = await fs.readFile(yaml, 'utf8').then((t) => yamlNames(parseYaml(t).names)).catch(() => undefined);
    }
  }
  if (!splits.length) throw new DieInspectError('ERR_INVALID_ARG', 'dataset check: name at least one split');
  return { splits, classNames };
}

async function imagesOf(dir: string): Promise<string[]> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new DieInspectError('ERR_FILE_NOT_FOUND', `${dir}: no such folder`);
  const sub = path.join(dir, 'images');
  return listImages((await fs.stat(sub).catch(() => null))?.isDirectory() ? sub : dir);
}

interface Seen {
  split: string;
  path: string;
  sha: string;
  thumb?: Float32Array;
  /** The thumbnail's 4x4 block means: their mean absolute difference is a lower bound of the thumbnails'. */
  coarse?: Float32Array;
}

const T = 16;

/** 16x16 grey area means of an 8-bit BGR image, and their 4x4 block means. */
function thumbnail(data: Uint8Array, width: number, height: number): { thumb: Float32Array; coarse: Float32Array } {
  const sum = new Float64Array(T * T);
  const count = new Float64Array(T * T);
  for (let y = 0; y < height; y++) {
    const row = Math.min(T - 1, Math.floor((y * T) / height)) * T;
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      const k = row + Math.min(T - 1, Math.floor((x * T) / width));
      sum[k] += 0.114 * data[o] + 0.587 * data[o + 1] + 0.299 * data[o + 2];
      count[k]++;
    }
  }
  const thumb = new Float32Array(T * T);
  const coarse = new Float32Array(16);
  for (let k = 0; k < T * T; k++) {
    thumb[k] = count[k] ? sum[k] / count[k] : 0;
    coarse[Math.floor(k / T / 4) * 4 + Math.floor((k % T) / 4)] += thumb[k] / 16;
  }
  return { thumb, coarse };
}

const meanAbsDiff = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

/** The findings of one label file against its image's size. */
function checkLabels(text: string, file: string, split: string, width: number, height: number, names: string[] | undefined,
  stats: SplitStats, findings: Finding[]): void {
  let boxes = 0;
  text.split(/\r?\n/).forEach((raw, n) => {
    const t = raw.trim();
    if (!t) return;
    const add = (kind: FindingKind, detail: string) => findings.push({ kind, split, path: file, line: n + 1, detail });
    const v = t.split(/\s+/).map(Number);
    if (v.length < 5 || v.some((x) => !Number.isFinite(x)) || (v.length > 5 && v.length % 2 === 0)) {
      add('bad-label', `expected 'class cx cy w h' or a polygon, got '${t}'`);
      return;
    }
    if (!Number.isInteger(v[0]) || v[0] < 0 || (names && v[0] >= names.length)) {
      add('unknown-class', `class ${v[0]}${names ? ` (the dataset names ${names.length})` : ''}`);
      return;
    }
    const xs = v.length === 5 ? [v[1] - v[3] / 2, v[1] + v[3] / 2] : v.slice(1).filter((_, i) => i % 2 === 0);
    const ys = v.length === 5 ? [v[2] - v[4] / 2, v[2] + v[4] / 2] : v.slice(1).filter((_, i) => i % 2 === 1);
    const [x1, x2, y1, y2] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    if (x2 - x1 <= 0 || y2 - y1 <= 0) {
      add('zero-area', `a box of no area: '${t}'`);
      return;
    }
    const eps = 1e-6;
    if (x1 < -eps || y1 < -eps || x2 > 1 + eps || y2 > 1 + eps) add('box-outside', `reaches outside the image: '${t}'`);
    const name = names?.[v[0]] ?? String(v[0]);
    stats.boxes[name] = (stats.boxes[name] ?? 0) + 1;
    const area = (x2 - x1) * width * (y2 - y1) * height;
    stats.sizes[area < 32 * 32 ? 'small' : area < 96 * 96 ? 'medium' : 'large']++;
    boxes++;
  });
  if (!boxes) stats.defectFree++;
}

/** Checks the splits (see the module comment); findings in split order, then image order. */
export async function checkDataset(splits: DatasetSplit[], o: DatasetCheckOptions = {}): Promise<DatasetCheck> {
  const names = o.classNames;
  const near = o.near ?? 2;
  if (!(typeof near === 'number' && near >= 0 && near <= 255)) {
    throw new DieInspectError('ERR_INVALID_ARG', `near must be a number of grey levels from 0 to 255, got ${near}`);
  }
  const findings: Finding[] = [];
  const stats: SplitStats[] = [];
  const seen: Seen[] = [];
  const bySha = new Map<string, Seen>();
  const total = splits.reduce((s, x) => s + x.images.length, 0);
  let done = 0;
  for (const split of splits) {
    const st: SplitStats = {
      split: split.name, images: split.images.length, defectFree: 0, boxes: {}, sizes: { small: 0, medium: 0, large: 0 },
    };
    stats.push(st);
    const labelFiles = new Set<string>();
    // a few images at a time: the decodes run in parallel on the thread pool, the results are kept in order
    for (let i = 0; i < split.images.length; i += 8) {
      const batch = split.images.slice(i, i + 8);
      const results = await Promise.all(batch.map(async (img) => {
        const bytes = await fs.readFile(img);
        const sha = createHash('sha256').update(bytes).digest('hex');
        const decoded = await decodeImage(bytes).catch((err: DieInspectError) => err);
        const label = yoloLabelPath(img);
        const text = await fs.readFile(label, 'utf8').catch(() => null);
        return { img, sha, decoded, label, text };
      }));
      for (const r of results) {
        labelFiles.add(r.label);
        const entry: Seen = { split: split.name, path: r.img, sha: r.sha };
        const first = bySha.get(r.sha);
        if (first) {
          findings.push({ kind: 'duplicate', split: split.name, path: r.img, of: { split: first.split, path: first.path },
            leak: first.split !== split.name, detail: 'the same bytes' });
        } else {
          bySha.set(r.sha, entry);
        }
        if (r.decoded instanceof Error) {
          findings.push({ kind: 'corrupt-image', split: split.name, path: r.img, detail: `${r.decoded.code}: ${r.decoded.message}` });
        } else if (!first) {
          Object.assign(entry, thumbnail(r.decoded.data, r.decoded.width, r.decoded.height));
          const like = seen.find((x) => meanAbsDiff(x.coarse!, entry.coarse!) <= near && meanAbsDiff(x.thumb!, entry.thumb!) <= near);
          if (like) {
            findings.push({ kind: 'near-duplicate', split: split.name, path: r.img, of: { split: like.split, path: like.path },
              leak: like.split !== split.name,
              detail: `thumbnails ${meanAbsDiff(like.thumb!, entry.thumb!).toFixed(2)} grey levels apart` });
          }
          seen.push(entry);
        }
        if (r.text === null) {
          findings.push({ kind: 'missing-label', split: split.name, path: r.img, detail: `no label file ${r.label} (read as no defect)` });
          st.defectFree++;
        } else {
          const [w, h] = r.decoded instanceof Error ? [0, 0] : [r.decoded.width, r.decoded.height];
          checkLabels(r.text, r.label, split.name, w, h, names, st, findings);
        }
      }
      done += batch.length;
      o.onProgress?.(done, total);
    }
    // label files whose image is not in the split
    const labelDirs = new Set([...labelFiles].map((f) => path.dirname(f)));
    for (const dir of labelDirs) {
      for (const f of (await fs.readdir(dir).catch(() => [] as string[])).filter((x) => x.endsWith('.txt')).sort()) {
        const full = path.join(dir, f);
        if (!labelFiles.has(full)) {
          findings.push({ kind: 'orphan-label', split: split.name, path: full, detail: 'no image for this label file' });
        }
      }
    }
  }
  return { splits: stats, findings, classNames: names };
}
