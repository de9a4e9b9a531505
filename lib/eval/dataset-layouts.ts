/**
 * datasetSplits(): the splits `dataset check` is pointed at, read with the readers `eval`
 * uses (./datasets.ts): YOLO folders and data.yaml, COCO JSON, class folders, CSV. What
 * reading a layout can find on its own (a listed image not on disk, an annotation of no
 * listed image, an image beside the listed ones that no split lists, a CSV row without a
 * label) comes back as the split's findings; the rest is checkDataset's.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../runtime/images';
import type { DatasetSplit, Finding, ImageLabel, SplitFormat } from './dataset-types';
import {
  csvClasses, csvRows, detectFormat, listImages, readClassificationDataset, readCocoFile, yamlSplitImages, yoloLabelPath,
} from './datasets';
import { parseYaml, yamlNames } from './yaml-lite';

const stat = (p: string) => fs.stat(p).catch(() => null);
const isImage = (f: string) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase());
const FORMATS: SplitFormat[] = ['yolo', 'coco', 'folders', 'csv'];

async function readText(file: string): Promise<string> {
  return fs.readFile(file, 'utf8').catch(() => {
    throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${file}`);
  });
}

/**
 * The splits a user points at: a data.yaml (its train / val / test entries: folders or
 * image lists), or NAME=PATH or PATH (named by the file or folder), each a YOLO folder
 * (with `images/`, or a folder of images with their label files beside them), a COCO
 * JSON, a folder of class folders or a CSV of path,label: guessed as `eval` guesses
 * (detectFormat), or all of `format`.
 */
export async function datasetSplits(args: string[],
  o: { format?: SplitFormat } = {}): Promise<{ splits: DatasetSplit[]; classNames?: string[] }> {
  if (o.format !== undefined && !FORMATS.includes(o.format)) {
    throw new DieInspectError('ERR_INVALID_ARG', `format must be one of ${FORMATS.join(', ')}, got '${o.format}'`);
  }
  const splits: DatasetSplit[] = [];
  let classNames: string[] | undefined;
  for (const a of args) {
    if (/\.ya?ml$/i.test(a)) {
      const y = parseYaml(await readText(a));
      const root = typeof y.path === 'string' ? path.resolve(path.dirname(a), y.path) : path.dirname(a);
      classNames ??= yamlNames(y.names);
      for (const key of ['train', 'val', 'test']) {
        const v = y[key];
        if (v === undefined || v === null) continue;
        const images: string[] = [];
        let listed = false;
        for (const e of (Array.isArray(v) ? v : [v]).map((x) => path.resolve(root, String(x)))) {
          const folder = (await stat(e))?.isDirectory();
          listed ||= !folder;
          images.push(...(folder ? await imagesOf(e) : await yamlSplitImages(a, e)));
        }
        splits.push({ name: key, format: 'yolo', images, ...(listed ? { listed } : {}) });
      }
      continue;
    }
    const eq = a.indexOf('=');
    const [name, p] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [path.basename(path.resolve(a)).replace(/\.(json|csv)$/i, ''), a];
    const format = o.format ?? (await layoutOf(p));
    splits.push(await readSplit(name, p, format));
    if (!classNames && format === 'yolo') {
      const yaml = path.join(p, 'data.yaml');
      classNames = await fs.readFile(yaml, 'utf8').then((t) => yamlNames(parseYaml(t).names)).catch(() => undefined);
    }
  }
  if (!splits.length) throw new DieInspectError('ERR_INVALID_ARG', 'dataset check: name at least one split');
  await findUnlisted(splits);
  return { splits, classNames };
}

/** The layout of a path as `eval` guesses it; a folder of images with no class folders is YOLO's (labels beside the images). */
async function layoutOf(p: string): Promise<SplitFormat> {
  let format;
  try {
    format = await detectFormat(p);
  } catch (err) {
    if ((err as DieInspectError).code === 'ERR_CONFIG' && (await stat(p))?.isDirectory()) return 'yolo';
    throw err;
  }
  if (format === 'deeppcb') {
    throw new DieInspectError('ERR_CONFIG', `${p} is a DeepPCB folder; dataset check reads YOLO, COCO, class folders and CSV`);
  }
  if (format === 'folders') {
    // sub-folders of images that have YOLO label files are a YOLO split in parts, not classes
    const first = (await listImages(p))[0];
    if (first && (await stat(yoloLabelPath(first)))?.isFile()) return 'yolo';
  }
  return format;
}

async function imagesOf(dir: string): Promise<string[]> {
  const st = await stat(dir);
  if (!st?.isDirectory()) throw new DieInspectError('ERR_FILE_NOT_FOUND', `${dir}: no such folder`);
  const sub = path.join(dir, 'images');
  return listImages((await stat(sub))?.isDirectory() ? sub : dir);
}

async function readSplit(name: string, p: string, format: SplitFormat): Promise<DatasetSplit> {
  switch (format) {
    case 'yolo': return { name, format, images: await imagesOf(p) };
    case 'coco': return readCocoSplit(name, p);
    case 'folders': return readFoldersSplit(name, p);
    default: return readCsvSplit(name, p);
  }
}

async function readCocoSplit(name: string, file: string): Promise<DatasetSplit> {
  const coco = await readCocoFile(file);
  const findings: Finding[] = [];
  const byImage = new Map<string, NonNullable<ImageLabel['annotations']>>();
  for (const im of coco.images) byImage.set(im.id, []);
  for (const a of coco.annotations) {
    const list = byImage.get(a.imageId);
    if (list) list.push({ id: a.id, categoryId: a.categoryId, classId: a.classId, bbox: a.bbox });
    else {
      findings.push({ kind: 'orphan-label', split: name, path: file, annotation: a.id,
        detail: `annotation ${a.id} is of image_id ${a.imageId}, which the JSON does not list` });
    }
  }
  const images: string[] = [];
  const labels: ImageLabel[] = [];
  for (const im of coco.images) {
    if (!im.found) {
      findings.push({ kind: 'missing-image', split: name, path: im.path, detail: `listed in ${file} (id ${im.id}) but not on disk` });
      continue;
    }
    images.push(im.path);
    labels.push({ annotations: byImage.get(im.id), size: im.width && im.height ? [im.width, im.height] : undefined });
  }
  return { name, format: 'coco', source: file, images, labels, classNames: coco.classNames, findings };
}

async function readFoldersSplit(name: string, dir: string): Promise<DatasetSplit> {
  const d = await readClassificationDataset(dir, { format: 'folders' });
  // images beside the class folders belong to no class
  const loose = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && isImage(e.name))
    .map((e) => path.join(dir, e.name)).sort();
  return {
    name, format: 'folders', source: dir, classNames: d.classNames,
    images: [...loose, ...d.samples.map((s) => s.path)],
    labels: [...loose.map(() => ({})), ...d.samples.map((s) => ({ className: d.classNames![s.label] }))],
  };
}

async function readCsvSplit(name: string, file: string): Promise<DatasetSplit> {
  const findings: Finding[] = [];
  const images: string[] = [];
  const labels: ImageLabel[] = [];
  for (const r of csvRows(await readText(file), file)) {
    if (!r.label) {
      findings.push({ kind: 'bad-label', split: name, path: file, line: r.line, image: r.path, detail: 'expected path,label: no label' });
    } else if (!(await stat(r.path))?.isFile()) {
      findings.push({ kind: 'missing-image', split: name, path: r.path, line: r.line,
        detail: `listed in ${file}:${r.line} but not on disk` });
    } else {
      images.push(r.path);
      labels.push({ className: r.label, line: r.line });
    }
  }
  const { classNames } = csvClasses(labels.map((l) => l.className!));
  return { name, format: 'csv', source: file, images, labels, classNames, findings };
}

/** COCO splits: images in the folders of the listed images that no split lists (each reported once, in the first such split). */
async function findUnlisted(splits: DatasetSplit[]): Promise<void> {
  const missing = (s: DatasetSplit) => (s.findings ?? []).filter((f) => f.kind === 'missing-image').map((f) => f.path);
  const listed = new Set(splits.flatMap((s) => [...s.images, ...missing(s)]).map((f) => path.resolve(f)));
  const reported = new Set<string>();
  for (const s of splits.filter((x) => x.format === 'coco')) {
    for (const dir of [...new Set(s.images.map((f) => path.dirname(f)))]) {
      for (const e of (await fs.readdir(dir, { withFileTypes: true })).filter((x) => x.isFile() && isImage(x.name)).sort(byName)) {
        const file = path.join(dir, e.name);
        if (listed.has(path.resolve(file)) || reported.has(file)) continue;
        reported.add(file);
        s.findings!.push({ kind: 'unlisted-image', split: s.name, path: file,
          detail: `beside the images ${s.source} lists, but no split lists it` });
      }
    }
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
