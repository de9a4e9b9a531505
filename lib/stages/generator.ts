/**
 * Image generators trained elsewhere and exported to ONNX, checked against their contract
 * when they load:
 *
 *   task gan-dies      z float32 [batch, latent], class int64 [batch] (index into `names`)
 *                      -> images float32 [batch, 3, S, S], RGB 0..1; metadata names, latent,
 *                      imgsz S, context, box_sizes
 *   task gan-packages  z float32 [batch, latent] -> images float32 [batch, 3, H, W], RGB 0..1;
 *                      metadata latent, imgsz [H, W]
 *
 * A model that does not fit is ERR_MODEL_LOAD; a run whose output does not fit is
 * ERR_OUTPUT_LAYOUT, and one with NaN or infinite values ERR_NAN_OUTPUT.
 */
import { DieInspectError } from '../core/errors';
import type { NativeSession, NativeTensor } from '../runtime/binding';
import { metadataNumbers, parseClassNames, shapeText } from '../runtime/metadata';
import { ModelSession, SessionOptions, TensorInfo } from '../runtime/session';

export type GeneratorTask = 'gan-dies' | 'gan-packages';

/** A label box's size relative to the upright package crop: [width / crop width, height / crop height]. */
export type RelativeSize = [number, number];

export interface DieGeneratorOptions extends SessionOptions {
  /** The class names the caller can use; a model naming another is refused. */
  classes: readonly string[];
}

/** An input or output as the contract has it: its element type, and each dim a number (fixed) or null (any). */
interface TensorSpec {
  name: string;
  type: string;
  dims: Array<number | null>;
}

function fail(label: string, message: string): never {
  throw new DieInspectError('ERR_MODEL_LOAD', `${label}: ${message}`);
}

function fixed(d: TensorInfo['shape'][number]): number | null {
  return typeof d === 'number' && d >= 0 ? d : null;
}

/** Checks a tensor against its spec; the batch dim it fixes (undefined: any). */
function checkTensor(label: string, kind: 'input' | 'output', t: TensorInfo | undefined, spec: TensorSpec): number | undefined {
  if (!t) fail(label, `no ${kind} '${spec.name}'`);
  const want = `${spec.type} [${spec.dims.map((d) => d ?? '?').join(', ')}]`;
  if (t.type !== spec.type || t.shape.length !== spec.dims.length) {
    fail(label, `${kind} '${spec.name}' is ${t.type} [${shapeText(t.shape)}], the contract says ${want}`);
  }
  spec.dims.forEach((d, i) => {
    const got = fixed(t.shape[i]);
    if (d !== null && got !== null && got !== d) {
      fail(label, `${kind} '${spec.name}' is [${shapeText(t.shape)}], the contract says ${want}`);
    }
  });
  return fixed(t.shape[0]) ?? undefined;
}

function positiveInt(label: string, meta: Record<string, string>, key: string): number {
  const v = metadataNumbers(meta, key);
  if (!v || v.length !== 1 || !Number.isInteger(v[0]) || v[0] < 1) {
    fail(label, `metadata '${key}' must be a positive integer, got '${meta[key] ?? ''}'`);
  }
  return v[0];
}

/**
 * What both kinds share: the task check, the latent size, the fixed batch if any, and runs
 * in batches of that size (the last one padded) whose outputs are checked.
 */
abstract class Generator extends ModelSession {
  readonly latent: number;
  /** Samples per run for a model exported with a fixed batch; undefined: any number at once. */
  readonly fixedBatch: number | undefined;
  protected readonly label: string;

  /** `others`: the inputs beside z. */
  protected constructor(handle: NativeSession, label: string, task: GeneratorTask, others: TensorSpec[]) {
    super(handle);
    this.label = label;
    const meta = this.info.metadata;
    if (meta.task !== task) fail(label, `metadata task is '${meta.task ?? ''}', a ${task} generator says '${task}'`);
    this.latent = positiveInt(label, meta, 'latent');
    const inputs: TensorSpec[] = [{ name: 'z', type: 'float32', dims: [null, this.latent] }, ...others];
    const names = this.info.inputs.map((t) => t.name).sort();
    const want = inputs.map((s) => s.name).sort();
    if (names.join(',') !== want.join(',')) fail(label, `inputs are ${names.join(', ') || 'none'}; the contract says ${want.join(', ')}`);
    const batches = new Set<number>();
    for (const s of inputs) {
      const b = checkTensor(label, 'input', this.info.inputs.find((t) => t.name === s.name), s);
      if (b !== undefined) batches.add(b);
    }
    if (batches.size > 1 || batches.has(0)) fail(label, 'its inputs disagree on the batch size');
    this.fixedBatch = [...batches][0];
  }

  /** `n` samples: feeds(start, size) gives a run's inputs; the images [n, 3, height, width], checked. */
  protected async sample(n: number, height: number, width: number,
    feeds: (start: number, size: number) => Record<string, NativeTensor>): Promise<Float32Array> {
    const per = 3 * height * width;
    const step = this.fixedBatch ?? Math.max(n, 1);
    const out = new Float32Array(n * per);
    for (let start = 0; start < n; start += step) {
      const outs = await this.run(feeds(start, step));
      const images = outs.images;
      const dims = images?.dims ?? [];
      if (!images || images.type !== 'float32' || dims.join(',') !== [step, 3, height, width].join(',')) {
        throw new DieInspectError('ERR_OUTPUT_LAYOUT', `${this.label}: output 'images' came as ${images?.type ?? 'nothing'} `
          + `[${dims.join(', ')}], the contract says float32 [${step}, 3, ${height}, ${width}]`);
      }
      const data = images.data as Float32Array;
      const used = Math.min(step, n - start) * per;
      for (let i = 0; i < used; i++) {
        if (!Number.isFinite(data[i])) {
          throw new DieInspectError('ERR_NAN_OUTPUT', `${this.label}: output 'images' holds NaN or infinite values `
            + `(sample ${start + Math.floor(i / per)} of ${n})`);
        }
      }
      out.set(data.subarray(0, used), start * per);
    }
    return out;
  }
}

/** Die defects: one square patch per (z, class), the label box in its middle (see `context`). */
export class DieGenerator extends Generator {
  /** The class of each `class` index. */
  readonly names: string[];
  /** The patch side S. */
  readonly size: number;
  /** The patch is the label box grown by context x its width left and right and x its height above and below. */
  readonly context: number;
  /** Per class, the label box sizes the generator was trained on, relative to the upright crop. */
  readonly boxSizes: Record<string, RelativeSize[]>;

  private constructor(handle: NativeSession, label: string, classes: readonly string[]) {
    super(handle, label, 'gan-dies', [{ name: 'class', type: 'int64', dims: [null] }]);
    const meta = this.info.metadata;
    const names = parseClassNames(meta.names);
    if (!names?.length) fail(label, `metadata 'names' must be a JSON array of class names, got '${meta.names ?? ''}'`);
    for (const n of names) if (!classes.includes(n)) fail(label, `metadata names '${n}', which is none of ${classes.join(', ')}`);
    if (new Set(names).size !== names.length) fail(label, `metadata 'names' lists a class twice: ${meta.names}`);
    this.names = names;
    const imgsz = metadataNumbers(meta, 'imgsz');
    if (!imgsz || !(imgsz.length === 1 || (imgsz.length === 2 && imgsz[0] === imgsz[1])) || !Number.isInteger(imgsz[0]) || imgsz[0] < 1) {
      fail(label, `metadata 'imgsz' must be the patch side (a positive integer), got '${meta.imgsz ?? ''}'`);
    }
    this.size = imgsz[0];
    const context = metadataNumbers(meta, 'context');
    if (!context || context.length !== 1 || !(context[0] >= 0 && context[0] <= 4)) {
      fail(label, `metadata 'context' must be a number in [0, 4], got '${meta.context ?? ''}'`);
    }
    this.context = context[0];
    this.boxSizes = parseBoxSizes(label, meta.box_sizes, names);
    checkTensor(label, 'output', this.info.outputs.find((t) => t.name === 'images'),
      { name: 'images', type: 'float32', dims: [null, 3, this.size, this.size] });
  }

  /** Loads and checks a die generator; ERR_MODEL_LOAD (the session closed) when it does not fit the contract. */
  static async create(model: string | Uint8Array, options: DieGeneratorOptions): Promise<DieGenerator> {
    const handle = await ModelSession.open(model, options);
    try {
      return new DieGenerator(handle, modelLabel(model), options.classes);
    } catch (err) {
      handle.close();
      throw err;
    }
  }

  /** One patch per sample: `z` holds classes.length x latent values, `classes` indices into `names`. [n, 3, S, S] RGB 0..1. */
  async generate(z: Float32Array, classes: number[]): Promise<Float32Array> {
    const n = classes.length;
    if (z.length !== n * this.latent) throw new DieInspectError('ERR_INVALID_ARG', `${this.label}: z needs ${n} x ${this.latent} values`);
    if (!classes.every((c) => Number.isInteger(c) && c >= 0 && c < this.names.length)) {
      throw new DieInspectError('ERR_INVALID_ARG', `${this.label}: class indices lie in [0, ${this.names.length})`);
    }
    return this.sample(n, this.size, this.size, (start, size) => {
      const zs = new Float32Array(size * this.latent);
      zs.set(z.subarray(start * this.latent, Math.min(n, start + size) * this.latent));
      const cs = new BigInt64Array(size);
      for (let i = 0; i < size && start + i < n; i++) cs[i] = BigInt(classes[start + i]);
      return { z: { data: zs, dims: [size, this.latent] }, class: { data: cs, dims: [size] } };
    });
  }
}

/** Boards: one image per z, resized to the synthetic image by the caller. */
export class PackageGenerator extends Generator {
  readonly height: number;
  readonly width: number;

  private constructor(handle: NativeSession, label: string) {
    super(handle, label, 'gan-packages', []);
    const imgsz = metadataNumbers(this.info.metadata, 'imgsz');
    if (!imgsz || imgsz.length < 1 || imgsz.length > 2 || !imgsz.every((v) => Number.isInteger(v) && v >= 1)) {
      fail(label, `metadata 'imgsz' must be [height, width] (positive integers), got '${this.info.metadata.imgsz ?? ''}'`);
    }
    this.height = imgsz[0];
    this.width = imgsz[imgsz.length - 1];
    checkTensor(label, 'output', this.info.outputs.find((t) => t.name === 'images'),
      { name: 'images', type: 'float32', dims: [null, 3, this.height, this.width] });
  }

  /** Loads and checks a board generator; ERR_MODEL_LOAD (the session closed) when it does not fit the contract. */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<PackageGenerator> {
    const handle = await ModelSession.open(model, options);
    try {
      return new PackageGenerator(handle, modelLabel(model));
    } catch (err) {
      handle.close();
      throw err;
    }
  }

  /** One board per sample: `z` holds n x latent values. [n, 3, H, W] RGB 0..1. */
  async generate(z: Float32Array): Promise<Float32Array> {
    if (z.length % this.latent !== 0) throw new DieInspectError('ERR_INVALID_ARG', `${this.label}: z needs n x ${this.latent} values`);
    const n = z.length / this.latent;
    return this.sample(n, this.height, this.width, (start, size) => {
      const zs = new Float32Array(size * this.latent);
      zs.set(z.subarray(start * this.latent, Math.min(n, start + size) * this.latent));
      return { z: { data: zs, dims: [size, this.latent] } };
    });
  }
}

function modelLabel(model: string | Uint8Array): string {
  return typeof model === 'string' ? model : 'generator (bytes)';
}

/** `{"die_crack": [[w, h], ...], ...}`: every class in `names` with at least one size in (0, 1]. */
function parseBoxSizes(label: string, text: string | undefined, names: string[]): Record<string, RelativeSize[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    fail(label, `metadata 'box_sizes' must be a JSON object of [[w, h], ...] per class, got '${text ?? ''}'`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) fail(label, "metadata 'box_sizes' must be a JSON object");
  const out: Record<string, RelativeSize[]> = {};
  for (const n of names) {
    const sizes = (parsed as Record<string, unknown>)[n];
    const ok = Array.isArray(sizes) && sizes.length > 0 && sizes.every((s) => Array.isArray(s) && s.length === 2
      && s.every((v) => typeof v === 'number' && v > 0 && v <= 1));
    if (!ok) fail(label, `metadata 'box_sizes' needs a non-empty list of [w, h] in (0, 1] for '${n}'`);
    out[n] = (sizes as RelativeSize[]).map(([w, h]) => [w, h]);
  }
  return out;
}
