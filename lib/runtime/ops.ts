/** Native building blocks usable on their own: NMS, letterbox preprocessing, runtime facts. */
import { native } from '../core/errors';
import { ImageInput, InputLimits, toNativeImages } from './images';
import { DecodedImage, EncodeOptions, loadNative, NmsOptions, PreprocessOptions } from './binding';

export type { EncodeOptions, LetterboxInfo, NmsOptions, PreprocessOptions } from './binding';

/** Greedy NMS in C++; returns kept indices, best first. */
export function nms(boxes: Float32Array, scores: Float32Array, classIds?: Int32Array | null, options: NmsOptions = {}): Int32Array {
  return loadNative().nms(boxes, scores, classIds ?? null, { ...options });
}

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
export async function decodeImage(image: ImageInput, options: InputLimits = {}): Promise<DecodedImage> {
  const [img] = toNativeImages(image);
  return native(() => loadNative().decodeImage(img, { ...options }));
}

/** Encodes an image (raw pixels, a path or a Buffer) as PNG, JPEG, BMP or TIFF. */
export async function encodeImage(image: ImageInput, options: EncodeOptions = {}): Promise<Buffer> {
  const [img] = toNativeImages(image);
  return native(() => loadNative().encodeImage(img, { ...options }));
}

/**
 * A saliency map (values 0..1, row-major width x height) as a 16-bit grey PNG, value x 65535:
 * the raw map at full precision in a file any image tool reads. Encoded off the JS thread.
 */
export async function encodeMapPng(map: { data: Float32Array; width: number; height: number }): Promise<Buffer> {
  return native(() => loadNative().encodeMapPng(map));
}
