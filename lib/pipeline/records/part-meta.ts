/**
 * A part's metadata: the run's (`--meta lot=L42,station=3`, `record.meta`) under the
 * image's own sidecar JSON, `IMAGE.EXT.json` beside it (`a.jpg.json`), else `IMAGE.json`
 * (`a.json`). The sidecar wins key by key: it is the more particular of the two.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../../core/errors';
import type { ImageInput } from '../../runtime/images';
import { fileSha256 } from '../../runtime/hash';
import type { PartMeta } from './types';

/** The keys with columns of their own; `part` is accepted for partId. */
const COLUMNS: Record<string, keyof Omit<PartMeta, 'extra'>> = { lot: 'lot', station: 'station', camera: 'camera', partId: 'partId',
  part: 'partId', part_id: 'partId' };

/** Plain metadata from an object: column keys as text, the rest in `extra`. */
export function toPartMeta(o: Record<string, unknown>, from: string): PartMeta {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new DieInspectError('ERR_INVALID_ARG', `${from}: metadata is a JSON object`);
  const meta: PartMeta = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'extra' && v && typeof v === 'object' && !Array.isArray(v)) {
      Object.assign(extra, v);
    } else if (COLUMNS[k]) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'object') throw new DieInspectError('ERR_INVALID_ARG', `${from}: ${k} must be text or a number`);
      meta[COLUMNS[k]] = String(v);
    } else {
      extra[k] = v;
    }
  }
  if (Object.keys(extra).length) meta.extra = extra;
  return meta;
}

/** `lot=L42,station=3,operator=ann` -> PartMeta; ERR_INVALID_ARG for an entry without `=` or a key. */
export function parseMeta(text: string): PartMeta {
  const o: Record<string, string> = {};
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new DieInspectError('ERR_INVALID_ARG', `--meta takes key=value[,key=value...], got '${entry}'`);
    o[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return toPartMeta(o, '--meta');
}

/** `over` on top of `base`, key by key (extra too). */
export function mergeMeta(base: PartMeta | undefined, over: PartMeta | undefined): PartMeta {
  const extra = { ...base?.extra, ...over?.extra };
  const out: PartMeta = { ...base, ...over };
  delete out.extra;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

/** The sidecar files an image may have, in the order they are looked for. */
export function sidecarPaths(image: string): string[] {
  return [`${image}.json`, path.join(path.dirname(image), `${path.basename(image, path.extname(image))}.json`)];
}

/**
 * The image's sidecar metadata (the first of sidecarPaths that exists), or undefined.
 * A sidecar that is not a JSON object is ERR_INVALID_ARG, naming the file.
 */
export async function readSidecar(image: string): Promise<PartMeta | undefined> {
  for (const file of sidecarPaths(image)) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      throw new DieInspectError('ERR_INVALID_ARG', `sidecar ${file}: not JSON (${(err as Error).message})`);
    }
    return toPartMeta(o as Record<string, unknown>, `sidecar ${file}`);
  }
  return undefined;
}

/** The image's identity in the store: its resolved path ('' for pixels or bytes) and the sha256 of its bytes. */
export async function imageIdentity(image: ImageInput): Promise<{ imagePath: string; imageSha256: string }> {
  if (typeof image === 'string') return { imagePath: path.resolve(image), imageSha256: await fileSha256(image) };
  const hash = createHash('sha256');
  if (image instanceof Uint8Array) hash.update(image);
  else if ('image' in image) {
    // a reference pair: both halves make the part
    for (const half of [image.image, image.reference]) {
      if (typeof half === 'string') hash.update(await fs.readFile(half));
      else hash.update(half instanceof Uint8Array ? half : half.data);
    }
  } else hash.update(image.data);
  return { imagePath: '', imageSha256: hash.digest('hex') };
}
