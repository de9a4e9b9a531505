/**
 * Loads the C++ addon: a local build (made from source) when there is one, else
 * the prebuild of the platform package (scripts/load-addon.js). The types below are the
 * addon's raw surface; the classes in the other modules wrap it.
 */
import * as path from 'path';
import { DieInspectError } from '../core/errors';

export interface NativeTensorInfo {
  name: string;
  type: string;
  shape: Array<number | string | null>;
}

export interface NativeModelInfo {
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
  metadata: Record<string, string>;
  producer: string;
  graphName: string;
  description: string;
  domain: string;
  version: number;
  provider: string;
  providerAttempts: Array<{ provider: string; ok: boolean; reason: string }>;
}

export interface NativeItemError {
  code: string;
  message: string;
}

/** What aligning a reference found (see ReferencePair.align). */
export interface Registration {
  /** An image pixel (x, y) lies on the reference at R(angle) (x, y) + (dx, dy): pixels, degrees. */
  dx: number;
  dy: number;
  angle: number;
  /** ECC's correlation of the registered pair, 0..1 (below 0.7 the image fails with ERR_ALIGN). */
  correlation: number;
}

export interface NativeDetectImage {
  error?: NativeItemError;
  width?: number;
  height?: number;
  boxes?: Float32Array;
  scores?: Float32Array;
  classIds?: Int32Array;
  registration?: Registration;
  warning?: string;
}

export interface NativeDetectResult {
  images: NativeDetectImage[];
  layout: string;
  numClasses: number;
  inputHeight: number;
  inputWidth: number;
}

export interface NativeClassifyImage {
  error?: NativeItemError;
  width?: number;
  height?: number;
  probabilities?: Float32Array;
  registration?: Registration;
  warning?: string;
}

/** One image of session.segment(): the best YOLO-seg detection and its mask's quad. */
export interface NativeSegmentImage {
  error?: NativeItemError;
  width?: number;
  height?: number;
  box?: [number, number, number, number];
  score?: number;
  classId?: number;
  maskArea?: number;
  quad?: Array<[number, number]>;
}

/** One image of samSegment(): the chosen mask's quad. */
export interface NativeSamImage {
  error?: NativeItemError;
  width?: number;
  height?: number;
  maskIndex?: number;
  iouPrediction?: number;
  maskArea?: number;
  quad?: Array<[number, number]>;
}

export interface NativeTensor {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
  dims: number[];
  type?: string;
}

export type NativeSingleImage = string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: number; rgb?: boolean };
export type NativeImage = NativeSingleImage | { image: NativeSingleImage; reference: NativeSingleImage; align?: boolean };

export interface NativeSession {
  info(): NativeModelInfo;
  detect(images: NativeImage[], options: Record<string, unknown>): Promise<NativeDetectResult>;
  segment(images: NativeImage[], options: Record<string, unknown>): Promise<NativeSegmentImage[]>;
  classify(images: NativeImage[], options: Record<string, unknown>): Promise<NativeClassifyImage[]>;
  run(feeds: Record<string, NativeTensor>): Promise<Record<string, Required<NativeTensor>>>;
  benchmark(options: Record<string, unknown>): Promise<{ ms: Float64Array; batch: number; height: number; width: number }>;
  close(): void;
}

export interface NativeLetterbox {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  width: number;
  height: number;
  error?: NativeItemError;
}

export interface NativeAddon {
  createSession(model: string | Uint8Array, options: Record<string, unknown>): Promise<NativeSession>;
  ortVersion: string;
  ortProviders: string[];
  nms(boxes: Float32Array, scores: Float32Array, classIds: Int32Array | null, options?: Record<string, unknown>): Int32Array;
  preprocess(images: NativeImage[], options: Record<string, unknown>): Promise<{ tensor: Float32Array; dims: number[]; images: NativeLetterbox[] }>;
  decodeImage(image: NativeImage, options: Record<string, unknown>): Promise<{ data: Buffer; width: number; height: number; channels: 3; warning?: string }>;
  encodeImage(image: NativeImage, options: Record<string, unknown>): Promise<Buffer>;
  samSegment(encoder: NativeSession, decoder: NativeSession, images: NativeImage[],
    boxes: Array<[number, number, number, number] | null>, options: Record<string, unknown>): Promise<NativeSamImage[]>;
  [key: string]: unknown;
}

let addon: NativeAddon | undefined;

/** The addon, loaded on first use so that a missing build is a clear error, not an import crash. */
export function loadNative(): NativeAddon {
  if (!addon) {
    // One search shared with the install script: local build, then the platform package.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon } = require(path.join(__dirname, '..', '..', 'scripts', 'load-addon.js')) as { loadAddon(): { addon: NativeAddon } };
    try {
      addon = loadAddon().addon;
    } catch (err) {
      throw new DieInspectError('ERR_ADDON_LOAD', (err as Error).message);
    }
  }
  return addon;
}
