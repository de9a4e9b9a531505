/**
 * checkDataset(): what can be wrong with a dataset before anyone trains on it, split by
 * split and across splits, in every layout datasetSplits reads (YOLO, COCO JSON, class
 * folders, CSV): exact duplicates (content hash) and near duplicates (16x16 grey thumbnails
 * whose mean absolute difference is at most `near` grey levels: a re-encoded JPEG differs
 * by under 0.5, two different synthetic parts by 4.9 or more), the same image in two
 * splits (a leak), images that cannot be read or decoded; the labels: YOLO label files
 * missing or without an image, lines that do not parse, COCO bboxes that do not parse and
 * sizes that are not the image's, unknown classes or categories, boxes outside the image
 * or of no area, images in no class folder; with a model, where it confidently disagrees
 * with a label (./dataset-model.ts); and each split's balance (images, defect-free share,
 * boxes or images per class, COCO size bins). Decoding runs natively on the thread pool,
 * a few images at a time, and the model sees the decoded pixels.
 *
 * cleanLists() / writeCleanLists(): the images to keep once the duplicates (the copy seen
 * later), the unreadable images and the images with broken labels are left out.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { writeAtomically } from '../runtime/atomic-write';
import type { DecodedImage } from '../runtime/binding';
import { decodeImage } from '../runtime/ops';
import { CheckModel, Disagreement, isGoodClass, LabelBox, loadCheckModel, ModelLabel } from './dataset-model';
import type { DatasetCheck, DatasetCheckOptions, DatasetSplit, Finding, FindingKind, ImageLabel, SplitStats } from './dataset-types';
import { yoloLabelPath } from './datasets';

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

/** A box's share of the statistics: its class and its COCO size bin. */
function countBox(stats: SplitStats, name: string, area: number): void {
  stats.boxes[name] = (stats.boxes[name] ?? 0) + 1;
  stats.sizes[area < 32 * 32 ? 'small' : area < 96 * 96 ? 'medium' : 'large']++;
}

/** The findings of one label file against its image's size; the boxes that count, in pixels. */
function checkLabels(text: string, file: string, image: string, split: string, width: number, height: number, names: string[] | undefined,
  stats: SplitStats, findings: Finding[]): LabelBox[] {
  const boxes: LabelBox[] = [];
  text.split(/\r?\n/).forEach((raw, n) => {
    const t = raw.trim();
    if (!t) return;
    const add = (kind: FindingKind, detail: string) => findings.push({ kind, split, path: file, image, line: n + 1, detail });
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
    countBox(stats, names?.[v[0]] ?? String(v[0]), (x2 - x1) * width * (y2 - y1) * height);
    boxes.push({ box: [x1 * width, y1 * height, x2 * width, y2 * height], classId: v[0], line: n + 1 });
  });
  if (!boxes.length) stats.defectFree++;
  return boxes;
}

/** The findings of one image's COCO annotations against its decoded size (0 x 0: not decoded); the boxes that count. */
function checkCoco(label: ImageLabel, split: DatasetSplit, image: string, width: number, height: number, stats: SplitStats,
  findings: Finding[]): LabelBox[] {
  const names = split.classNames ?? [];
  const file = split.source ?? image;
  const boxes: LabelBox[] = [];
  if (label.size && width && (label.size[0] !== width || label.size[1] !== height)) {
    findings.push({ kind: 'bad-label', split: split.name, path: file, image,
      detail: `the JSON gives the image as ${label.size[0]}x${label.size[1]}, it is ${width}x${height}` });
  }
  for (const a of label.annotations ?? []) {
    const add = (kind: FindingKind, detail: string) => {
      findings.push({ kind, split: split.name, path: file, image, annotation: a.id, detail });
    };
    const b = a.bbox;
    if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      add('bad-label', `annotation ${a.id}: bbox must be [x, y, width, height], got ${JSON.stringify(b)}`);
      continue;
    }
    if (a.classId === undefined) {
      add('unknown-class', `annotation ${a.id}: category_id ${a.categoryId} is none of the categories`);
      continue;
    }
    const [x, y, w, h] = b as number[];
    if (w <= 0 || h <= 0) {
      add('zero-area', `annotation ${a.id}: a box of no area: [${b.join(', ')}]`);
      continue;
    }
    const [W, H] = width ? [width, height] : label.size ?? [Infinity, Infinity];
    const eps = 1e-3;
    if (x < -eps || y < -eps || x + w > W + eps || y + h > H + eps) {
      add('box-outside', `annotation ${a.id}: [${b.join(', ')}] reaches outside the ${W}x${H} image`);
    }
    countBox(stats, names[a.classId] ?? String(a.classId), w * h);
    boxes.push({ box: [x, y, x + w, y + h], classId: a.classId, annotation: a.id });
  }
  if (!boxes.length) stats.defectFree++;
  return boxes;
}

/** A class-folder or CSV label: its class name (ids written in a CSV named by `names`), or a finding. */
function checkClass(label: ImageLabel, split: DatasetSplit, image: string, names: string[] | undefined, stats: SplitStats,
  findings: Finding[]): string | undefined {
  const where = split.format === 'csv' ? { path: split.source ?? image, image, line: label.line } : { path: image };
  const raw = label.className;
  if (raw === undefined) {
    findings.push({ kind: 'missing-label', split: split.name, ...where, detail: 'in no class folder' });
    return undefined;
  }
  const cls = names && /^\d+$/.test(raw) && !names.includes(raw) ? names[Number(raw)] : raw;
  stats.classes![cls ?? raw] = (stats.classes![cls ?? raw] ?? 0) + 1;
  if (cls === undefined || (names && !names.includes(cls))) {
    findings.push({ kind: 'unknown-class', split: split.name, ...where, detail: `class '${raw}' is none of ${(names ?? []).join(', ')}` });
    return undefined;
  }
  if (isGoodClass(cls) || (!names && cls === '0')) stats.defectFree++;
  return cls;
}

interface Read {
  img: string;
  sha?: string;
  decoded: DecodedImage | Error;
  label: string;
  text: string | null;
}

async function readOne(img: string, yolo: boolean): Promise<Read> {
  const label = yoloLabelPath(img);
  const text = yolo ? await fs.readFile(label, 'utf8').catch(() => null) : null;
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(img);
  } catch (err) {
    return { img, decoded: new Error(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`), label, text };
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const decoded = await decodeImage(bytes).catch((err: DieInspectError) => err);
  return { img, sha, decoded, label, text };
}

/** A disagreement of the model as a finding. */
const disagreement = (split: string, image: string, d: Disagreement, model: string): Finding => ({
  kind: 'disagreement', split, path: image, ...(d.line ? { line: d.line } : {}), ...(d.annotation ? { annotation: d.annotation } : {}),
  score: d.score, says: d.says, ...(d.box ? { box: d.box } : {}), detail: `${model} says ${d.says}`,
});

const isDetection = (s: DatasetSplit) => !s.format || s.format === 'yolo' || s.format === 'coco';

/** Checks the splits (see the module comment); findings in split order, then image order, then the model's by confidence. */
export async function checkDataset(splits: DatasetSplit[], o: DatasetCheckOptions = {}): Promise<DatasetCheck> {
  const near = o.near ?? 2;
  if (!(typeof near === 'number' && near >= 0 && near <= 255)) {
    throw new DieInspectError('ERR_INVALID_ARG', `near must be a number of grey levels from 0 to 255, got ${near}`);
  }
  const confident = o.confident ?? 0.9;
  if (!(typeof confident === 'number' && confident >= 0.5 && confident <= 1)) {
    throw new DieInspectError('ERR_INVALID_ARG', `confident must be a probability from 0.5 to 1, got ${confident}`);
  }
  for (const s of splits) {
    if (!isDetection(s) || s.format === 'coco') {
      if (s.labels?.length !== s.images.length) throw new DieInspectError('ERR_INVALID_ARG', `split ${s.name}: one label for each image`);
    }
  }
  const classes = o.classNames ?? splits.find((s) => !isDetection(s))?.classNames;
  const byClass = splits.some((s) => !isDetection(s));
  const model = o.model === undefined ? undefined
    : await loadCheckModel(o.model, splits, { providers: o.providers, confident, classes: byClass ? classes : [] });
  try {
    const { model: run, ...r } = await scan(splits, o, near, classes, model);
    const names = o.classNames ?? splits.find((s) => s.classNames)?.classNames;
    return { ...r, classNames: names, ...(model ? { model: { name: model.name, task: model.task, confident, ...run } } : {}) };
  } finally {
    model?.close();
  }
}

async function scan(splits: DatasetSplit[], o: DatasetCheckOptions, near: number, classes: string[] | undefined, model?: CheckModel) {
  const findings: Finding[] = [];
  const disagreements: Finding[] = [];
  const stats: SplitStats[] = [];
  const seen: Seen[] = [];
  const bySha = new Map<string, Seen>();
  const modelRun = { images: 0, failed: [] as Array<{ path: string; error?: DieInspectError }> };
  const total = splits.reduce((s, x) => s + x.images.length, 0);
  let done = 0;
  let inflight: Promise<void> | undefined;
  for (const split of splits) {
    const format = split.format ?? 'yolo';
    const st: SplitStats = {
      split: split.name, format, images: split.images.length, defectFree: 0, boxes: {}, sizes: { small: 0, medium: 0, large: 0 },
      ...(isDetection(split) ? {} : { classes: {} }),
    };
    stats.push(st);
    findings.push(...(split.findings ?? []));
    const labelFiles = new Set<string>();
    // a few images at a time: the decodes run in parallel on the thread pool, the results are kept in order
    for (let i = 0; i < split.images.length; i += 8) {
      const batch = split.images.slice(i, i + 8);
      const results = await Promise.all(batch.map((img) => readOne(img, format === 'yolo')));
      const pending: Array<{ img: string; pixels: DecodedImage; label: ModelLabel }> = [];
      results.forEach((r, k) => {
        const entry: Seen = { split: split.name, path: r.img, sha: r.sha ?? '' };
        const first = r.sha ? bySha.get(r.sha) : undefined;
        if (first) {
          findings.push({ kind: 'duplicate', split: split.name, path: r.img, of: { split: first.split, path: first.path },
            leak: first.split !== split.name, detail: 'the same bytes' });
        } else if (r.sha) {
          bySha.set(r.sha, entry);
        }
        if (r.decoded instanceof Error) {
          const code = (r.decoded as DieInspectError).code;
          findings.push({ kind: 'corrupt-image', split: split.name, path: r.img,
            detail: code ? `${code}: ${r.decoded.message}` : r.decoded.message });
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
        const [w, h] = r.decoded instanceof Error ? [0, 0] : [r.decoded.width, r.decoded.height];
        let label: ModelLabel | undefined;
        if (format === 'yolo') {
          labelFiles.add(r.label);
          if (r.text === null) {
            findings.push({ kind: 'missing-label', split: split.name, path: r.img,
              detail: `no label file ${r.label} (read as no defect)` });
            st.defectFree++;
            label = { boxes: [] };
          } else {
            label = { boxes: checkLabels(r.text, r.label, r.img, split.name, w, h, o.classNames, st, findings) };
          }
        } else if (format === 'coco') {
          label = { boxes: checkCoco(split.labels![i + k], split, r.img, w, h, st, findings) };
        } else {
          const cls = checkClass(split.labels![i + k], split, r.img, classes, st, findings);
          if (cls !== undefined) label = { className: cls };
        }
        if (model && label && !(r.decoded instanceof Error)) pending.push({ img: r.img, pixels: r.decoded, label });
      });
      if (model && pending.length) {
        // one model call at a time, on this batch while the next one is read and decoded
        await inflight;
        const items = pending.map((p) => p.pixels);
        inflight = model.compare(items, pending.map((p) => p.label), split, o.classNames).then((answers) => answers.forEach((a, k) => {
          modelRun.images++;
          if (a instanceof Error) modelRun.failed.push({ path: pending[k].img, error: a as DieInspectError });
          else disagreements.push(...a.map((d) => disagreement(split.name, pending[k].img, d, model.name)));
        }));
        // handled here so that a failure waits, not unhandled, for the await that rethrows it
        inflight.catch(() => undefined);
      }
      done += batch.length;
      o.onProgress?.(done, total);
    }
    await inflight;
    // label files whose image is not in the split (a split listing its images leaves the others out on purpose)
    const labelDirs = new Set(split.listed ? [] : [...labelFiles].map((f) => path.dirname(f)));
    for (const dir of labelDirs) {
      for (const f of (await fs.readdir(dir).catch(() => [] as string[])).filter((x) => x.endsWith('.txt')).sort()) {
        const full = path.join(dir, f);
        if (!labelFiles.has(full)) {
          findings.push({ kind: 'orphan-label', split: split.name, path: full, detail: 'no image for this label file' });
        }
      }
    }
  }
  // most confident first; ties in split and image order (the sort is stable)
  disagreements.sort((a, b) => b.score! - a.score!);
  return { splits: stats, findings: [...findings, ...disagreements], model: modelRun };
}

/** The findings that leave an image out of the clean lists. */
export const DROPPING_KINDS: FindingKind[] = ['duplicate', 'near-duplicate', 'corrupt-image', 'bad-label', 'unknown-class', 'box-outside',
  'zero-area'];

/**
 * Each split's images to keep, as absolute paths in split order: all but those with a
 * finding of DROPPING_KINDS (a duplicate's or near duplicate's later copy, whichever
 * split it is in; an image that cannot be decoded; one with a label line, annotation or
 * class that is wrong). Missing label files, unlisted images and disagreements leave
 * the image in: they are for a person to look at.
 */
export function cleanLists(check: DatasetCheck, splits: DatasetSplit[]): Array<{ split: string; images: string[] }> {
  const key = (split: string, file: string) => `${split}\0${path.resolve(file)}`;
  const drop = new Set(check.findings.filter((f) => DROPPING_KINDS.includes(f.kind)).map((f) => key(f.split, f.image ?? f.path)));
  return splits.map((s) => ({ split: s.name, images: s.images.filter((f) => !drop.has(key(s.name, f))).map((f) => path.resolve(f)) }));
}

/** Throws where `file` is one of the splits' images, label files, COCO JSON or CSV: what the check writes goes elsewhere. */
export function refuseDatasetFile(splits: DatasetSplit[], file: string, what: string): void {
  const own = new Set(splits.flatMap((s) => [...s.images, ...(s.format === 'yolo' || !s.format ? s.images.map(yoloLabelPath) : []),
    ...(s.source ? [s.source] : [])]).map((p) => path.resolve(p)));
  if (own.has(path.resolve(file))) {
    throw new DieInspectError('ERR_INVALID_ARG', `${file} is a file of the dataset; write ${what} elsewhere`);
  }
}

/** `clean.txt` for the split `val` of several: `clean-val.txt`. */
export function cleanListFile(file: string, split: string): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${split.replace(/[^\w.-]+/g, '_')}${ext}`;
}

/**
 * The files writeCleanLists() writes for these splits: `file` for one split, else one per
 * split named by cleanListFile(); refused (before any image is read, where a caller checks
 * early) when two splits share a name or a file would be one of the dataset's.
 */
export function cleanListTargets(splits: DatasetSplit[], file: string): string[] {
  const several = splits.length > 1;
  const twice = splits.map((s) => s.name).find((n, i, all) => all.indexOf(n) !== i);
  if (several && twice !== undefined) {
    throw new DieInspectError('ERR_INVALID_ARG', `two splits are named ${twice}: name them NAME=PATH to write their lists`);
  }
  const targets = splits.map((s) => (several ? cleanListFile(file, s.name) : file));
  for (const t of targets) refuseDatasetFile(splits, t, 'the list');
  return targets;
}

/**
 * Writes cleanLists() as image lists (one absolute path a line, what a YOLO data.yaml takes
 * for a split) to cleanListTargets(). Never changes a file of the dataset.
 */
export async function writeCleanLists(check: DatasetCheck, splits: DatasetSplit[], file: string,
): Promise<Array<{ split: string; file: string; images: number; dropped: number }>> {
  const targets = cleanListTargets(splits, file);
  const out = [];
  for (const [i, l] of cleanLists(check, splits).entries()) {
    await fs.mkdir(path.dirname(path.resolve(targets[i])), { recursive: true });
    await writeAtomically(targets[i], l.images.map((f) => `${f}\n`).join(''));
    out.push({ split: l.split, file: targets[i], images: l.images.length, dropped: splits[i].images.length - l.images.length });
  }
  return out;
}
