/** Native building blocks usable on their own: NMS, letterbox preprocessing, runtime facts. */
import { native } from '../core/errors';
import { ImageInput, InputLimits, RawImage, toNativeImages } from './images';
import { loadNative, NativeLetterbox } from './binding';

export interface NmsOptions {
  iou?: number;
  agnostic?: boolean;
  /** Candidates with score <= conf are dropped first. */
  conf?: number;
  /** 0 = unlimited. */
  maxDet?: number;
  topK?: number;
}

/** Greedy NMS in C++; returns kept indices, best first. */
export function nms(boxes: Float32Array, scores: Float32Array, classIds?: Int32Array | null, options: NmsOptions = {}): Int32Array {
  return loadNative().nms(boxes, scores, classIds ?? null, { ...options });
}

export interface PreprocessOptions extends InputLimits {
  width?: number;
  height?: number;
  resize?: 'letterbox' | 'stretch';
  padValue?: number;
  scale?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  swapRB?: boolean;
}

export type LetterboxInfo = NativeLetterbox;

/** Decodes and letterboxes images into one NCHW float32 tensor, off the main thread. */
export async function preprocess(images: ImageInput | ImageInput[], options: PreprocessOptions = {}) {
  const list = toNativeImages(images);
  return native(() => loadNative().preprocess(list, { ...options }));
}

/** ONNX Runtime version and the providers compiled into the loaded core library. */
export function runtimeInfo(): { ortVersion: string; compiledProviders: string[] } {
  const a = loadNative();
  return { ortVersion: a.ortVersion, compiledProviders: a.ortProviders };
}

/**
 * Decodes any supported image into raw 8-bit BGR pixels (off the main thread);
 * `warning`: with failOn 'error', what the decoder let pass in a damaged image.
 */
export async function decodeImage(image: ImageInput, options: InputLimits = {}): Promise<RawImage & { data: Buffer; channels: 3; warning?: string }> {
  const [img] = toNativeImages(image);
  return native(() => loadNative().decodeImage(img, { ...options }));
}

/** Encodes an image (raw pixels, a path or a Buffer) as PNG, JPEG, BMP or TIFF. */
export async function encodeImage(image: ImageInput, options: { format?: 'png' | 'jpg' | 'bmp' | 'tiff'; quality?: number } & InputLimits = {}): Promise<Buffer> {
  const [img] = toNativeImages(image);
  return native(() => loadNative().encodeImage(img, { ...options }));
}
