/** Native building blocks usable on their own: NMS, letterbox preprocessing, runtime facts. */
import { native } from './errors';
import { ImageInput, toNativeImages } from './images';
import { loadNative, NativeLetterbox } from './native';

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

export interface PreprocessOptions {
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
