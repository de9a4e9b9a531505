/**
 * Dataset readers for evaluation: YOLO folders or data.yaml, COCO JSON and
 * DeepPCB for detection; class folders, CSV and DeepPCB (template = good,
 * tested = defect) for classification. Boxes come out in pixel [x1, y1, x2, y2].
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../runtime/images';
import { imageSize } from './image-size';
import type { Box, GroundTruthBox } from './types';
import { parseYaml, yamlNames } from './yaml-lite';

export type DatasetFormat = 'yolo' | 'coco' | 'deeppcb' | 'folders' | 'csv';

export interface DetectionSample {
  id: string;
  path: string;
  /** The aligned defect-free reference of the same scene, where the dataset has one (DeepPCB's template). */
  reference?: string;
  width: number;
  height: number;
  groundTruth: GroundTruthBox[];
}

export interface DetectionDataset {
  format: DatasetFormat;
  /** The path it was read from (named in messages). */
  source?: string;
  /** Class names in class-id order; undefined when the dataset does not name its classes. */
  classNames?: string[];
  images: DetectionSample[];
}

export interface ClassificationDataset {
  format: DatasetFormat;
  /** The path it was read from (named in messages). */
  source?: string;
  classNames?: string[];
  samples: Array<{ path: string; label: number }>;
}

export interface DatasetOptions {
  format?: DatasetFormat;
  /** DeepPCB list file (default: test.txt, else trainval.txt in the dataset folder). */
  list?: string;
}

/** Class names of the six DeepPCB defect types, type 1..6 -> class 0..5. */
export const DEEPPCB_CLASSES = ['open', 'short', 'mousebite', 'spur', 'copper', 'pin-hole'];

const exists = (p: string) => fs.stat(p).then((s) => s, () => null);
const isImage = (f: string) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase());
const configError = (msg: string) => new DieInspectError('ERR_CONFIG', msg);

/** Every image file below `dir`, sorted by path. */
export async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (isImage(e.name)) out.push(full);
    }
  };
  await walk(dir);
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${file}`);
  }
}

/** Guesses the format from what `data` is: a .json, .yaml or .csv file, or the layout of a folder. */
export async function detectFormat(data: string): Promise<DatasetFormat> {
  const st = await exists(data);
  if (!st) throw new DieInspectError('ERR_FILE_NOT_FOUND', `no such file or directory: ${data}`);
  const ext = path.extname(data).toLowerCase();
  if (st.isFile()) {
    if (ext === '.json') return 'coco';
    if (ext === '.yaml' || ext === '.yml') return 'yolo';
    if (ext === '.csv') return 'csv';
    throw configError(`cannot tell the dataset format of ${data}; pass --format`);
  }
  if ((await exists(path.join(data, 'images'))) || (await findYaml(data))) return 'yolo';
  const entries = await fs.readdir(data, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && /^(test|trainval)\.txt$/.test(e.name))
    && entries.some((e) => e.isDirectory() && e.name.startsWith('group'))) {
    return 'deeppcb';
  }
  if (entries.some((e) => e.isDirectory())) return 'folders';
  throw configError(`cannot tell the dataset format of ${data}; pass --format`);
}

async function findYaml(dir: string): Promise<string | undefined> {
  for (const name of ['data.yaml', 'data.yml', 'dataset.yaml']) if (await exists(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** `.../images/.../x.jpg` -> `.../labels/.../x.txt` (the last `images` folder), else beside the image. */
export function yoloLabelPath(image: string): string {
  const parts = image.split(path.sep);
  const k = parts.lastIndexOf('images');
  if (k >= 0 && k < parts.length - 1) parts[k] = 'labels';
  const swapped = parts.join(path.sep);
  return swapped.slice(0, swapped.length - path.extname(swapped).length) + '.txt';
}

/** Parses a YOLO label file: `cls cx cy w h` normalised, or a polygon `cls x1 y1 x2 y2 ...` (its bounding box). */
export function parseYoloLabels(text: string, width: number, height: number, file = 'labels'): GroundTruthBox[] {
  const out: GroundTruthBox[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    const t = line.trim();
    if (!t) return;
    const v = t.split(/\s+/).map(Number);
    if (v.some((x) => !Number.isFinite(x)) || v.length < 5 || !Number.isInteger(v[0]) || v[0] < 0) {
      throw configError(`${file}:${n + 1}: expected 'class cx cy w h', got '${t}'`);
    }
    let box: Box;
    if (v.length === 5) {
      const [, cx, cy, w, h] = v;
      if (w < 0 || h < 0) throw configError(`${file}:${n + 1}: negative width or height in '${t}'`);
      box = [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height];
    } else {
      if (v.length % 2 === 0) throw configError(`${file}:${n + 1}: a polygon needs x y pairs, got '${t}'`);
      const xs = v.slice(1).filter((_, i) => i % 2 === 0), ys = v.slice(1).filter((_, i) => i % 2 === 1);
      box = [Math.min(...xs) * width, Math.min(...ys) * height, Math.max(...xs) * width, Math.max(...ys) * height];
    }
    out.push({ box, classId: v[0] });
  });
  return out;
}

/**
 * The images one split entry of a data.yaml names: a folder (walked), a `.txt` list of
 * images (relative entries are relative to the list's folder) or one image.
 */
export async function yamlSplitImages(yamlFile: string, entry: string): Promise<string[]> {
  const st = await exists(entry);
  if (!st) throw new DieInspectError('ERR_FILE_NOT_FOUND', `${yamlFile}: ${entry} does not exist`);
  if (st.isDirectory()) return listImages(entry);
  if (!entry.endsWith('.txt')) return [entry];
  return (await readText(entry)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean).map((l) => path.resolve(path.dirname(entry), l));
}

async function yoloImagesFromYaml(yamlFile: string): Promise<{ images: string[]; names?: string[] }> {
  const y = parseYaml(await readText(yamlFile));
  const base = path.dirname(yamlFile);
  const root = typeof y.path === 'string' ? path.resolve(base, y.path) : base;
  const split = y.val ?? y.test;
  if (split === undefined || split === null) throw configError(`${yamlFile}: no 'val' (or 'test') entry`);
  const images: string[] = [];
  for (const entry of Array.isArray(split) ? split : [split]) {
    images.push(...(await yamlSplitImages(yamlFile, path.resolve(root, String(entry)))));
  }
  return { images, names: yamlNames(y.names) };
}

async function readYolo(data: string): Promise<DetectionDataset> {
  const st = await exists(data);
  let images: string[];
  let names: string[] | undefined;
  if (st?.isFile()) ({ images, names } = await yoloImagesFromYaml(data));
  else if (await exists(path.join(data, 'images'))) {
    const y = await findYaml(data);
    // Prefer the yaml's val split when it resolves here; its `path` often names another machine.
    const fromYaml = y ? await yoloImagesFromYaml(y).catch(() => undefined) : undefined;
    images = fromYaml?.images.length ? fromYaml.images : await listImages(path.join(data, 'images'));
    if (y) names = yamlNames(parseYaml(await readText(y)).names);
  } else {
    const y = await findYaml(data);
    if (!y) throw configError(`${data}: a YOLO dataset needs images/ and labels/ folders or a data.yaml`);
    ({ images, names } = await yoloImagesFromYaml(y));
  }
  if (!images.length) throw configError(`${data}: no images found`);
  const samples: DetectionSample[] = [];
  for (const img of images) {
    const [width, height] = await imageSize(img);
    const labelFile = yoloLabelPath(img);
    // A missing label file is an image without objects (the YOLO convention).
    const text = await fs.readFile(labelFile, 'utf8').catch(() => '');
    samples.push({ id: img, path: img, width, height, groundTruth: parseYoloLabels(text, width, height, labelFile) });
  }
  return { format: 'yolo', classNames: names, images: samples };
}

interface CocoJson {
  images?: Array<{ id: number | string; file_name: string; width?: number; height?: number }>;
  annotations?: Array<{
    id?: number | string; image_id: number | string; category_id: number; bbox: number[]; area?: number; iscrowd?: number;
  }>;
  categories?: Array<{ id: number; name: string }>;
}

/** A COCO JSON as written, before any check: what `eval` (readDetectionDataset) and `dataset check` both read. */
export interface CocoFile {
  /** Category names in ascending category id: class id k is the k-th. */
  classNames: string[];
  /** Each listed image: its path (the first of the places tried that exists), whether it exists, and the size the JSON gives. */
  images: Array<{ id: string; path: string; found: boolean; width?: number; height?: number }>;
  /** Each annotation in file order; classId is undefined for a category_id none of the categories has. */
  annotations: Array<{ id: string; imageId: string; categoryId: number; classId?: number; bbox: unknown; area?: number; crowd: boolean }>;
}

export async function readCocoFile(file: string): Promise<CocoFile> {
  let j: CocoJson;
  try {
    j = JSON.parse(await readText(file)) as CocoJson;
  } catch (err) {
    if (err instanceof DieInspectError) throw err;
    throw configError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(j.images) || !Array.isArray(j.annotations) || !Array.isArray(j.categories)) {
    throw configError(`${file}: COCO JSON needs images, annotations and categories`);
  }
  // Category ids are arbitrary; class ids follow ascending category id.
  const cats = [...j.categories].sort((a, b) => a.id - b.id);
  const catIndex = new Map(cats.map((c, i) => [c.id, i]));
  const dir = path.dirname(file);
  const images: CocoFile['images'] = [];
  for (const im of j.images) {
    if (typeof im?.file_name !== 'string') throw configError(`${file}: image ${JSON.stringify(im?.id)} has no file_name`);
    const tried = [path.resolve(dir, im.file_name), path.join(dir, 'images', im.file_name), path.join(dir, '..', 'images', im.file_name)];
    let found: string | undefined;
    for (const cand of tried) {
      if (await exists(cand)) { found = cand; break; }
    }
    images.push({
      id: String(im.id), path: found ?? tried[0], found: !!found, width: im.width || undefined, height: im.height || undefined,
    });
  }
  const annotations = j.annotations.map((a, k) => ({
    id: String(a.id ?? k), imageId: String(a.image_id), categoryId: a.category_id, classId: catIndex.get(a.category_id), bbox: a.bbox,
    area: a.area, crowd: !!a.iscrowd,
  }));
  return { classNames: cats.map((c) => c.name), images, annotations };
}

async function readCoco(file: string): Promise<DetectionDataset> {
  const coco = await readCocoFile(file);
  const byImage = new Map<string, GroundTruthBox[]>();
  for (const a of coco.annotations) {
    if (a.classId === undefined) throw configError(`${file}: annotation with unknown category_id ${a.categoryId}`);
    if (!Array.isArray(a.bbox) || a.bbox.length !== 4 || a.bbox.some((v) => !Number.isFinite(v))) {
      throw configError(`${file}: annotation ${a.id}: bbox must be [x, y, width, height], got ${JSON.stringify(a.bbox)}`);
    }
    const [x, y, w, h] = a.bbox as number[];
    const list = byImage.get(a.imageId) ?? [];
    list.push({ box: [x, y, x + w, y + h], classId: a.classId, area: a.area, crowd: a.crowd });
    byImage.set(a.imageId, list);
  }
  const images: DetectionSample[] = [];
  for (const im of coco.images) {
    let { width, height } = im;
    if (!width || !height) [width, height] = await imageSize(im.path);
    images.push({ id: im.id, path: im.path, width, height, groundTruth: byImage.get(im.id) ?? [] });
  }
  return { format: 'coco', classNames: coco.classNames, images };
}

/** DeepPCB list lines `groupX/X/NAME.jpg groupX/X_not/NAME.txt` -> tested image and annotation paths. */
export async function readDeepPcbList(root: string, list?: string): Promise<Array<{ test: string; template: string; annotation: string }>> {
  let file = list;
  if (!file) {
    for (const name of ['test.txt', 'trainval.txt']) if (await exists(path.join(root, name))) { file = path.join(root, name); break; }
    if (!file) throw configError(`${root}: no test.txt or trainval.txt; pass --list`);
  } else if (!(await exists(file)) && (await exists(path.join(root, file)))) file = path.join(root, file);
  const out: Array<{ test: string; template: string; annotation: string }> = [];
  (await readText(file)).split(/\r?\n/).forEach((line, n) => {
    const t = line.trim();
    if (!t) return;
    const parts = t.split(/\s+/);
    if (parts.length !== 2) throw configError(`${file}:${n + 1}: expected '<image>.jpg <annotation>.txt', got '${t}'`);
    const stem = path.join(root, parts[0]).replace(/\.[^./]+$/, '');
    out.push({ test: `${stem}_test.jpg`, template: `${stem}_temp.jpg`, annotation: path.join(root, parts[1]) });
  });
  return out;
}

/** Annotation lines `x1 y1 x2 y2 type` (spaces or commas), type 1..6 -> class 0..5. */
export function parseDeepPcbAnnotation(text: string, file = 'annotation'): GroundTruthBox[] {
  const out: GroundTruthBox[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    const t = line.trim();
    if (!t) return;
    const v = t.split(/[\s,]+/).map(Number);
    if (v.length !== 5 || v.some((x) => !Number.isFinite(x)) || !(v[4] >= 1 && v[4] <= 6 && Number.isInteger(v[4]))) {
      throw configError(`${file}:${n + 1}: expected 'x1 y1 x2 y2 type' with type 1..6, got '${t}'`);
    }
    out.push({ box: [v[0], v[1], v[2], v[3]], classId: v[4] - 1 });
  });
  return out;
}

async function readDeepPcb(root: string, list?: string): Promise<DetectionDataset> {
  const images: DetectionSample[] = [];
  for (const e of await readDeepPcbList(root, list)) {
    const [width, height] = await imageSize(e.test).catch(() => {
      throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${e.test}`);
    });
    images.push({ id: path.relative(root, e.test), path: e.test, reference: e.template, width, height,
      groundTruth: parseDeepPcbAnnotation(await readText(e.annotation), e.annotation) });
  }
  return { format: 'deeppcb', classNames: DEEPPCB_CLASSES, images };
}

export async function readDetectionDataset(data: string, o: DatasetOptions = {}): Promise<DetectionDataset> {
  const format = o.format ?? (await detectFormat(data));
  let d: DetectionDataset;
  switch (format) {
    case 'yolo': d = await readYolo(data); break;
    case 'coco': d = await readCoco(data); break;
    case 'deeppcb': d = await readDeepPcb(data, o.list); break;
    default: throw configError(`'${format}' is a classification format; detection takes yolo, coco or deeppcb`);
  }
  return { ...d, source: data };
}

/**
 * The rows of a `path,label` CSV (a first row whose path is not an image is a header),
 * each with its 1-based line and the path resolved against the CSV's folder; a row
 * without a label keeps an empty one for the caller to judge.
 */
export function csvRows(text: string, file: string): Array<{ line: number; path: string; label: string }> {
  const rows = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, text: l.trim() })).filter((r) => r.text)
    .map((r) => ({ line: r.line, cells: r.text.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')) }));
  if (rows.length && !isImage(rows[0].cells[0])) rows.shift(); // header
  return rows.map((r) => ({ line: r.line, path: path.resolve(path.dirname(file), r.cells[0]), label: r.cells[1] ?? '' }));
}

/** Class ids of CSV labels: all digits are ids; otherwise the sorted distinct labels are the class names. */
export function csvClasses(labels: string[]): { classNames?: string[]; ids: number[] } {
  const numeric = labels.every((l) => /^\d+$/.test(l));
  const names = numeric ? undefined : [...new Set(labels)].sort();
  return { classNames: names, ids: labels.map((l) => (numeric ? Number(l) : names!.indexOf(l))) };
}

/** A CSV of `path,label` (optional header); labels are class names or class ids. */
async function readCsv(file: string): Promise<ClassificationDataset> {
  const rows = csvRows(await readText(file), file);
  if (!rows.length) throw configError(`${file}: no rows`);
  rows.forEach((r, n) => { if (!r.label) throw configError(`${file}: row ${n + 1} needs path,label`); });
  const { classNames, ids } = csvClasses(rows.map((r) => r.label));
  return { format: 'csv', classNames, samples: rows.map((r, k) => ({ path: r.path, label: ids[k] })) };
}

async function readFolders(dir: string): Promise<ClassificationDataset> {
  const classes = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (!classes.length) throw configError(`${dir}: expected one folder per class`);
  const samples: Array<{ path: string; label: number }> = [];
  for (let c = 0; c < classes.length; c++) {
    for (const f of await listImages(path.join(dir, classes[c]))) samples.push({ path: f, label: c });
  }
  if (!samples.length) throw configError(`${dir}: no images in the class folders`);
  return { format: 'folders', classNames: classes, samples };
}

async function readDeepPcbClassification(root: string, list?: string): Promise<ClassificationDataset> {
  const samples: Array<{ path: string; label: number }> = [];
  for (const e of await readDeepPcbList(root, list)) samples.push({ path: e.template, label: 0 }, { path: e.test, label: 1 });
  return { format: 'deeppcb', classNames: ['good', 'defect'], samples };
}

export async function readClassificationDataset(data: string, o: DatasetOptions = {}): Promise<ClassificationDataset> {
  const format = o.format ?? (await detectFormat(data));
  let d: ClassificationDataset;
  switch (format) {
    case 'folders': d = await readFolders(data); break;
    case 'csv': d = await readCsv(data); break;
    case 'deeppcb': d = await readDeepPcbClassification(data, o.list); break;
    default: throw configError(`'${format}' is a detection format; classification takes folders, csv or deeppcb`);
  }
  return { ...d, source: data };
}
