/**
 * The FPS protocol of the main study (random input, warm-up, timed runs, no
 * NMS), reported both as batches/s and images/s with latency percentiles, plus
 * the end-to-end rate of the real pipeline (decode -> preprocess -> run -> NMS).
 */
import { readFileSync } from 'fs';
import * as os from 'os';
import { Classifier } from '../stages/classifier';
import { Detector } from '../stages/detector';
import { ImageInput, SingleImage } from '../runtime/images';
import { graphStats } from '../runtime/onnx/graph-stats';
import { resolveModel } from '../runtime/models';
import { heightWidth, metadataImgsz, modelTask } from '../runtime/metadata';
import { encodeImage } from '../runtime/ops';
import { ModelSession, ProviderName } from '../runtime/session';

export interface BenchRun {
  batch: number;
  batchesPerSec: number;
  imagesPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Decode -> preprocess -> run -> NMS on encoded images, images per second. */
  endToEndImagesPerSec: number | null;
}

export interface BenchReport {
  model: string;
  params: number;
  gflops: number | null;
  provider: ProviderName;
  providerAttempts: Array<{ provider: string; ok: boolean; reason: string }>;
  inputSize: [number, number];
  machine: string;
  runs: BenchRun[];
}

export interface BenchOptions {
  batches?: number[];
  providers?: ProviderName[];
  fp16?: boolean;
  warmup?: number;
  iters?: number;
  /** Input size for dynamic models. Default: a fixed input's size, else the metadata imgsz, else 640. */
  imgsz?: number;
  /** Images for the end-to-end rate (a pair model takes each with the next as its reference); default: generated JPEGs of `e2eSize`. */
  images?: SingleImage[];
  e2eSize?: [number, number];
  /** Timed end-to-end batches per run. Default: iters / 4, at least 2. */
  e2eIters?: number;
  intraOpThreads?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Each batch size's figures as soon as they are measured, with the provider that ran them. */
  onRun?: (run: BenchRun, provider: ProviderName) => void;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest-rank on the sorted sample.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, `
    + `${os.platform()}-${os.arch()}, node ${process.version}`;
}

/**
 * The widest INT8 dot-product instructions this CPU offers: ONNX Runtime's kernels pick the
 * widest one, and INT8 models gain most with VNNI or AMX (one instruction per 4-byte dot
 * product, no int16 intermediate). Read from /proc/cpuinfo (Linux); 'unknown' elsewhere.
 */
export function int8Instructions(): string {
  let flags: Set<string>;
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(?:flags|Features)\s*:(.*)$/m.exec(text)?.[1] ?? '';
    flags = new Set(line.trim().split(/\s+/));
  } catch {
    return 'unknown';
  }
  if (flags.has('amx_int8')) return 'AMX-INT8';
  if (flags.has('avx512_vnni')) return 'AVX-512 VNNI';
  if (flags.has('avx_vnni')) return 'AVX-VNNI';
  if (flags.has('avx512bw')) return 'AVX-512 (no VNNI)';
  if (flags.has('avx2')) return 'AVX2 (no VNNI)';
  if (flags.has('i8mm')) return 'NEON I8MM';
  if (flags.has('asimddp')) return 'NEON dot product';
  return flags.size > 1 ? 'no INT8 dot-product instructions' : 'unknown';
}

/** x86 without VNNI or AMX: INT8 kernels there add pairs of u8 x s8 products into int16, which can saturate. */
export function int8MaySaturate(): boolean {
  return / \(no VNNI\)$/.test(int8Instructions());
}

/** Synthetic test images: textured JPEGs, so decoding costs what real ones do. */
export async function syntheticImages(count: number, width: number, height: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < Math.min(count, 8); i++) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = 3 * (y * width + x);
        data[o] = (x * 3 + i * 40) & 255;
        data[o + 1] = (y * 5 + ((x >> 4) & 1) * 90) & 255;
        data[o + 2] = ((x ^ y) + i * 17) & 255;
      }
    }
    out.push(await encodeImage({ data, width, height, channels: 3 }, { format: 'jpg', quality: 90 }));
  }
  while (out.length < count) out.push(out[out.length % 8]);
  return out;
}

export async function benchmarkModel(model: string, o: BenchOptions = {}): Promise<BenchReport> {
  model = resolveModel(model);
  const batches = o.batches ?? [1, 16];
  const iters = o.iters ?? 100;
  const warmup = o.warmup ?? 10;
  const sessionOptions = { providers: o.providers ?? (['cpu'] as ProviderName[]), fp16: o.fp16, intraOpThreads: o.intraOpThreads };
  const session = await ModelSession.create(model, sessionOptions);
  const input = session.info.inputs[0];
  const fixedH = typeof input?.shape[2] === 'number' ? (input.shape[2] as number) : undefined;
  const fixedW = typeof input?.shape[3] === 'number' ? (input.shape[3] as number) : undefined;
  // A dynamic model runs at the size it was trained for (metadata imgsz), as Detector does.
  const [dynamicH, dynamicW] = heightWidth(o.imgsz ?? metadataImgsz(session.info.metadata), 640);
  const height = fixedH ?? dynamicH;
  const width = fixedW ?? dynamicW;
  const stats = await graphStats(model, { batch: 1, height, width });
  const task = modelTask(session.info);
  const detector = task === 'detect' || task === 'segment';
  const total = batches.length * 2;
  let done = 0;
  const runs: BenchRun[] = [];
  try {
    for (const batch of batches) {
      o.onProgress?.(done, total, `batch ${batch}: ORT session`);
      const r = await session.benchmark({ batch, warmup, iters, height, width });
      const sorted = Float64Array.from(r.ms).sort();
      const meanMs = sorted.reduce((s, v) => s + v, 0) / sorted.length;
      o.onProgress?.(++done, total, `batch ${batch}: end to end`);
      const e2e = await endToEnd(model, sessionOptions, detector, batch, Math.max(2, o.e2eIters ?? Math.ceil(iters / 4)), height, width, o);
      o.onProgress?.(++done, total, `batch ${batch}: done`);
      const run: BenchRun = {
        batch,
        batchesPerSec: 1000 / meanMs,
        imagesPerSec: (1000 / meanMs) * batch,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        p99Ms: percentile(sorted, 99),
        endToEndImagesPerSec: e2e,
      };
      runs.push(run);
      o.onRun?.(run, session.info.provider);
    }
  } finally {
    session.close();
  }
  return {
    model,
    params: stats.params,
    gflops: stats.gflops,
    provider: session.info.provider,
    providerAttempts: session.info.providerAttempts,
    inputSize: [height, width],
    machine: machineDescription(),
    runs,
  };
}

async function endToEnd(model: string, sessionOptions: object, detector: boolean, batch: number, iters: number,
  height: number, width: number, o: BenchOptions): Promise<number | null> {
  const [ew, eh] = o.e2eSize ?? [1280, 960];
  const pool = o.images ?? (await syntheticImages(batch, ew, eh));
  const images = Array.from({ length: batch }, (_, i) => pool[i % pool.length]);
  const runner = detector
    ? await Detector.create(model, { ...sessionOptions, imgsz: [height, width], maxBatch: batch, conf: 0.25 })
    : await Classifier.create(model, { ...sessionOptions, imgsz: [height, width], maxBatch: batch });
  try {
    // A pair model decodes two images per input: each image with the next as its reference.
    const inputs: ImageInput[] = runner.needsReference
      ? images.map((image, i) => ({ image, reference: images[(i + 1) % images.length] }))
      : images;
    const call = () => (runner instanceof Detector ? runner.detect(inputs) : runner.classify(inputs));
    await call(); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) await call();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return (iters * batch) / seconds;
  } finally {
    runner.close();
  }
}
