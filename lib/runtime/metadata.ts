/** Reads what a model's metadata and outputs say: class names (Ultralytics-style `names`), input size, task. */
import type { ModelCard } from './models';
import type { ModelInfo, TensorInfo } from './session';

/** A model input size: one side of a square, or [height, width]. */
export type Imgsz = number | [number, number];

/**
 * Parses `{0: 'die_crack', 1: 'die_rotation'}` (a Python dict literal, as
 * Ultralytics writes it), a JSON object or a JSON array into an index-ordered list.
 */
export function parseClassNames(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed)) return parsed.map(String);
    if (parsed && typeof parsed === 'object') return fromEntries(Object.entries(parsed as Record<string, unknown>));
  } catch {
    // not JSON: fall through to the Python literal form
  }
  const entries: Array<[string, unknown]> = [];
  const re = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) entries.push([m[1], m[2] ?? m[3]]);
  if (entries.length) return fromEntries(entries);
  const list = /^\[(.*)\]$/s.exec(trimmed);
  if (list) {
    const items = [...list[1].matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1] ?? x[2]);
    if (items.length) return items;
  }
  return undefined;
}

function fromEntries(entries: Array<[string, unknown]>): string[] | undefined {
  const out: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i > 100000) return undefined;
    out[i] = String(v);
  }
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = String(i);
  return out;
}

/** A numeric metadata value a recipe recorded as JSON (`"[320, 320]"`, `"0.5"`). */
export function metadataNumbers(meta: Record<string, string>, key: string): number[] | undefined {
  try {
    const v: unknown = JSON.parse(meta[key] ?? '');
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
    if (typeof v === 'number') return [v];
  } catch {
    // absent or not JSON
  }
  return undefined;
}

/** An input size given as one side or [height, width], as [height, width]; `fallback` when unset. */
export function heightWidth(size: Imgsz | undefined, fallback: number): [number, number] {
  if (Array.isArray(size)) return size;
  return [size ?? fallback, size ?? fallback];
}

/** The input size the recipe trained at (`imgsz`: one side, or [height, width]), when it recorded one. */
export function metadataImgsz(meta: Record<string, string>): Imgsz | undefined {
  const v = metadataNumbers(meta, 'imgsz');
  if (!v?.length) return undefined;
  return v.length === 1 ? v[0] : [v[0], v[1]];
}

/** A tensor shape as `info` prints it: `batch, 2` (unnamed dynamic sizes as `?`). */
export function shapeText(shape: TensorInfo['shape']): string {
  return shape.map((d) => d ?? '?').join(', ');
}

/**
 * What a model does, from what it says: Ultralytics' `task` metadata where present,
 * else its outputs: [batch, classes] is a classifier, [batch, a, b] a YOLO detector,
 * and one beside mask prototypes (rank 4) a segmenter. Undefined when neither fits.
 */
export function modelTask(info: Pick<ModelInfo, 'metadata' | 'outputs'>): ModelCard['task'] | undefined {
  const declared = info.metadata.task;
  if (declared === 'detect' || declared === 'classify' || declared === 'segment') return declared;
  const rank = info.outputs[0]?.shape.length;
  if (rank === 2) return 'classify';
  if (rank === 3) return info.outputs.some((o) => o.shape.length === 4) ? 'segment' : 'detect';
  return undefined;
}
