/**
 * Post-training static INT8 quantization of an image model, in Node: plan what becomes INT8
 * (plan.ts), run the float model on calibration images through the same preprocessing its
 * Detector or Classifier uses and measure each planned activation (ranges.ts), then write
 * a QDQ model (rewrite.ts) and check that ONNX Runtime loads and runs it.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { DieInspectError } from '../../core/errors';
import type { SingleImage } from '../../runtime/images';
import { heightWidth, Imgsz, metadataImgsz } from '../../runtime/metadata';
import { writeAtomically } from '../../runtime/atomic-write';
import { readModelBytes } from '../../runtime/models';
import { preprocess } from '../../runtime/ops';
import type { PreprocessOptions } from '../../runtime/binding';
import { ModelSession } from '../../runtime/session';
import { Classifier } from '../../stages/classifier';
import { Detector } from '../../stages/detector';
import { REFERENCE_PAIR_PLANES } from '../../runtime/images';
import { DataType, int64 } from '../../runtime/onnx/onnx-schema';
import { int8MaySaturate } from '../benchmark';
import { OnnxModelFile } from '../../runtime/onnx/model-file';
import { calibratedTensors, planQuantization, QuantPlan } from './plan';
import { ActivationParams, activationParams, activationForm, ActivationType, weightForm } from './qparams';
import { CalibrationMethod, rangeCollector, RangeCollector } from './ranges';
import { calibrationModel, qdqModel } from './rewrite';

export type { ActivationType, CalibrationMethod };

export interface QuantizeOptions {
  /** Calibration images (files, buffers or raw pixels), typical of what the model will see. */
  calibration: SingleImage[];
  /** How many of them to use, evenly spaced over the list. Default 200. */
  count?: number;
  /** 'percentile' (default) clips rare outliers; 'minmax' keeps the extremes. */
  method?: CalibrationMethod;
  /** Percentile of each activation's values that its range keeps (method 'percentile'). Default 99.999. */
  percentile?: number;
  /** 'uint8' (default): asymmetric, ONNX Runtime's fastest on x86 CPUs; 'int8': symmetric, what TensorRT takes. */
  activations?: ActivationType;
  /** One weight scale per output channel (default; needs opset 13) or one per tensor. */
  perChannel?: boolean;
  /**
   * 7-bit weights, for x86 CPUs without VNNI, where full-range INT8 can saturate. Default
   * 'auto': on when this CPU is such a one and activations are uint8 (TensorRT's int8 never needs it).
   */
  reduceRange?: boolean | 'auto';
  /** Input size for models with dynamic height/width. Default: the model's fixed size, else its `imgsz` metadata. */
  imgsz?: Imgsz;
  /** Images per calibration call (a dynamic-batch model). Default 1. */
  batch?: number;
  /** Write the model here (atomically: nothing is left behind on failure). */
  out?: string;
  /** Called after each calibration batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface QuantizeReport {
  /** Ops that run in INT8, by type. */
  nodes: Record<string, number>;
  weights: number;
  /** Activations with a Q/DQ pair; `calibrated` of them measured, the rest share a neighbour's scale. */
  activations: number;
  calibrated: number;
  /** Convs and matrix products left in float, and why. */
  skipped: Array<{ node: string; reason: string }>;
  /** Calibration images used, and those that could not be read (skipped). */
  images: number;
  failedImages: Array<{ index: number; code: string; message: string }>;
  method: CalibrationMethod;
  percentile?: number;
  activationType: ActivationType;
  perChannel: boolean;
  reduceRange: boolean;
  inputSize: [number, number];
  bytesBefore: number;
  bytesAfter: number;
  seconds: number;
}

export interface QuantizeResult {
  model: Buffer;
  report: QuantizeReport;
}


const QUANTIZED_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger']);

/** Evenly spaced picks: calibration sees the whole folder, not its first files. */
function spread<T>(list: T[], count: number): T[] {
  if (list.length <= count) return list;
  return Array.from({ length: count }, (_, k) => list[Math.floor((k * list.length) / count)]);
}

interface InputSpec {
  name: string;
  batch: number | null;
  height: number;
  width: number;
}

function inputSpec(m: OnnxModelFile, label: string, imgsz: Imgsz | undefined): InputSpec {
  const feeds = m.feeds;
  const t = feeds[0]?.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dimParam || !int64(d.dimValue) ? null : int64(d.dimValue)));
  if (feeds.length !== 1 || t?.elemType !== DataType.FLOAT || dims.length !== 4 || (dims[1] !== null && dims[1] !== 3)) {
    throw new DieInspectError('ERR_MODEL_INPUT',
      `${label}: quantize calibrates image models with one float32 input [batch, 3, height, width]`);
  }
  const fixed = dims[2] !== null && dims[3] !== null ? [dims[2], dims[3]] as [number, number] : null;
  const recorded = metadataImgsz(m.metadata);
  const size = fixed ?? (imgsz !== undefined ? heightWidth(imgsz, 0) : recorded !== undefined ? heightWidth(recorded, 0) : null);
  if (!size) {
    throw new DieInspectError('ERR_INVALID_ARG',
      `${label}: the input's height and width are dynamic and the model records no imgsz: give the calibration size (imgsz)`);
  }
  if (fixed && imgsz !== undefined && heightWidth(imgsz, 0).join() !== fixed.join()) {
    throw new DieInspectError('ERR_INVALID_ARG',
      `${label}: the model's input is fixed at ${fixed.join('x')}; imgsz ${heightWidth(imgsz, 0).join('x')} does not fit`);
  }
  return { name: feeds[0].name ?? '', batch: dims[0], height: size[0], width: size[1] };
}

/** A loaded float model and the preprocessing its stage gives it. */
async function openStage(bytes: Uint8Array, m: OnnxModelFile, spec: InputSpec)
  : Promise<{ session: ModelSession; prep: PreprocessOptions }> {
  const imgsz: [number, number] = [spec.height, spec.width];
  const out = m.outputs[0]?.type?.tensorType?.shape?.dim ?? [];
  const classifier = m.metadata.task === 'classify' || (m.metadata.task === undefined && m.outputs.length === 1 && out.length === 2);
  const session = classifier ? await Classifier.create(bytes, { imgsz }) : await Detector.create(bytes, { imgsz });
  return { session, prep: session.preprocessOptions() };
}

/**
 * Runs the calibration model over the images; returns one range collector per tensor.
 * Images that cannot be read are reported and skipped.
 */
async function calibrate(session: ModelSession, spec: InputSpec, prep: PreprocessOptions, tensors: string[],
  images: SingleImage[], o: Required<Pick<QuantizeOptions, 'method' | 'percentile' | 'batch'>> & Pick<QuantizeOptions, 'onProgress'>) {
  const collectors = new Map<string, RangeCollector>(tensors.map((t) => [t, rangeCollector(o.method, o.percentile)]));
  // The image input's range is known exactly (every pixel value is real): never clipped.
  collectors.set(spec.name, rangeCollector('minmax', 100));
  const failed: QuantizeReport['failedImages'] = [];
  const plane = 3 * spec.height * spec.width;
  let used = 0;
  for (let start = 0; start < images.length; start += o.batch) {
    const chunk = images.slice(start, start + o.batch);
    const p = await preprocess(chunk, prep);
    const ok = p.images.map((im, k) => {
      if (im.error) failed.push({ index: start + k, code: im.error.code, message: im.error.message });
      return !im.error;
    });
    const n = ok.filter(Boolean).length;
    if (n > 0) {
      let data = p.tensor;
      if (n < chunk.length) {
        data = new Float32Array(n * plane);
        let j = 0;
        ok.forEach((good, k) => good && data.set(p.tensor.subarray(k * plane, (k + 1) * plane), plane * j++));
      }
      const outs = await session.run({ [spec.name]: { data, dims: [n, 3, spec.height, spec.width] } });
      const feed = { [spec.name]: { data } };
      for (const [t, c] of collectors) {
        const values = (outs[t] ?? feed[t])?.data;
        if (!(values instanceof Float32Array)) throw new DieInspectError('ERR_INTERNAL', `calibration: tensor '${t}' is not float32`);
        const bad = c.add(values);
        if (bad) {
          throw new DieInspectError('ERR_NAN_OUTPUT',
            `calibration: tensor '${t}' holds ${bad} NaN or infinite values on images ${start}..${start + chunk.length - 1}`);
        }
      }
      used += n;
    }
    o.onProgress?.(Math.min(start + o.batch, images.length), images.length);
  }
  if (used === 0) {
    throw new DieInspectError('ERR_IMAGE_DECODE',
      `none of the ${images.length} calibration images could be read (first: ${failed[0]?.message})`);
  }
  return { collectors, used, failed };
}

/** Scale and zero point of every planned activation; a shared one takes its source's. */
function resolveParams(plan: QuantPlan, collectors: Map<string, RangeCollector>, type: ActivationType): Map<string, ActivationParams> {
  const params = new Map<string, ActivationParams>();
  for (const t of calibratedTensors(plan)) params.set(t, activationParams(collectors.get(t)!.range(), type));
  for (const t of plan.activations) {
    let src = t;
    while (plan.sharedScale.has(src)) src = plan.sharedScale.get(src)!;
    params.set(t, params.get(src)!);
  }
  return params;
}


/**
 * Quantizes a float32 ONNX image model (detector or classifier, ours or any standard YOLO
 * export) to a QDQ INT8 model. The result keeps the model's metadata and loads like any model.
 */
export async function quantize(model: string | Uint8Array, options: QuantizeOptions): Promise<QuantizeResult> {
  const t0 = Date.now();
  const label = typeof model === 'string' ? path.basename(model) : 'model';
  const method = options.method ?? 'percentile';
  const percentile = options.percentile ?? 99.999;
  const activationType = options.activations ?? 'uint8';
  const count = options.count ?? 200;
  const batchOpt = options.batch ?? 1;
  const refuse = (bad: boolean, message: string) => {
    if (bad) throw new DieInspectError('ERR_INVALID_ARG', message);
  };
  refuse(method !== 'minmax' && method !== 'percentile', `method must be minmax or percentile, got '${method}'`);
  refuse(!(percentile > 50 && percentile <= 100), `percentile must lie in (50, 100], got ${percentile}`);
  refuse(activationType !== 'uint8' && activationType !== 'int8', `activations must be uint8 or int8, got '${activationType}'`);
  refuse(!Number.isInteger(count) || count < 1, `count must be a positive integer, got ${count}`);
  refuse(!Number.isInteger(batchOpt) || batchOpt < 1, `batch must be a positive integer, got ${batchOpt}`);
  if (!Array.isArray(options.calibration) || options.calibration.length === 0) {
    throw new DieInspectError('ERR_INVALID_ARG', 'calibration must list at least one image');
  }
  const bytes = await readModelBytes(model);

  const m = OnnxModelFile.parse(bytes, label);
  const already = m.nodes.find((n) => QUANTIZED_OPS.has(n.opType ?? ''));
  if (already) throw new DieInspectError('ERR_MODEL_INPUT', `${label} is already quantized (it has ${already.opType} nodes)`);
  if (m.opset < 10) throw new DieInspectError('ERR_MODEL_INPUT', `${label}: opset ${m.opset}; INT8 QDQ models need opset 10 or later`);
  if (m.metadata.planes === REFERENCE_PAIR_PLANES) {
    throw new DieInspectError('ERR_MODEL_INPUT', `${label} takes reference pairs; quantize calibrates single-image models`);
  }
  const spec = inputSpec(m, label, options.imgsz);
  const perChannel = (options.perChannel ?? true) && m.opset >= 13;
  const reduceRange = (options.reduceRange ?? 'auto') === 'auto' ? activationType === 'uint8' && int8MaySaturate()
    : options.reduceRange === true;
  const plan = planQuantization(m, perChannel);
  if (plan.weights.length === 0) {
    const why = plan.skipped.length ? `: ${plan.skipped[0].node} ${plan.skipped[0].reason}` : '';
    throw new DieInspectError('ERR_MODEL_INPUT',
      `${label}: nothing to quantize (no Conv, Gemm or MatMul with float32 weights on the image path${why})`);
  }
  const batch = spec.batch ?? batchOpt;
  const images = spread(options.calibration, count);

  const calib = calibrationModel(m, plan);
  const { session, prep } = await openStage(calib.bytes, m, spec);
  let measured;
  try {
    measured = await calibrate(session, spec, prep, calib.outputs, images, { method, percentile, batch, onProgress: options.onProgress });
  } finally {
    session.close();
  }
  const params = resolveParams(plan, measured.collectors, activationType);
  const description = {
    format: 'qdq', activations: activationForm(activationType), weights: weightForm(reduceRange, perChannel),
    calibration: { method, ...(method === 'percentile' ? { percentile } : {}), images: measured.used, size: [spec.height, spec.width] },
    source: createHash('sha256').update(bytes).digest('hex'),
  };
  const metadata: Record<string, string> = { quantization: JSON.stringify(description) };
  // Record the calibration size where the model had none, so a Detector feeds it the same size.
  if (metadataImgsz(m.metadata) === undefined) metadata.imgsz = JSON.stringify([spec.height, spec.width]);
  const out = Buffer.from(qdqModel(m, plan, params, { activationType, reduceRange, metadata }));

  // ONNX Runtime must take the result before anyone else sees it.
  try {
    const check = await ModelSession.create(out);
    try {
      const x = new Float32Array(3 * spec.height * spec.width).fill(0.5);
      await check.run({ [spec.name]: { data: x, dims: [1, 3, spec.height, spec.width] } });
    } finally {
      check.close();
    }
  } catch (err) {
    throw new DieInspectError('ERR_INTERNAL', `ONNX Runtime refused the quantized ${label}: ${(err as Error).message}`, { cause: err });
  }
  if (options.out) await writeAtomically(options.out, out);
  const report: QuantizeReport = {
    nodes: plan.nodes, weights: plan.weights.length, activations: plan.activations.length,
    calibrated: calibratedTensors(plan).length, skipped: plan.skipped, images: measured.used, failedImages: measured.failed,
    method, ...(method === 'percentile' ? { percentile } : {}), activationType, perChannel, reduceRange,
    inputSize: [spec.height, spec.width], bytesBefore: bytes.length, bytesAfter: out.length, seconds: (Date.now() - t0) / 1000,
  };
  return { model: out, report };
}
