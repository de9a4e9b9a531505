/** Native building blocks usable on their own: NMS, letterbox preprocessing, runtime facts. */
import { native } from '../core/errors';
import { ImageInput, InputLimits, toNativeImages } from './images';
import { DieInspectError } from '../core/errors';
import { DecodedImage, EncodeOptions, loadNative, MallocInfo, MallocOptions, NmsOptions, PreprocessOptions } from './binding';

export type { EncodeOptions, LetterboxInfo, MallocInfo, MallocOptions, NmsOptions, PreprocessOptions } from './binding';

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

/**
 * Frees buffers nobody reads again at once, instead of when the garbage collector reaches
 * their objects (with a small JS heap that can be dozens of batches later): a batch's
 * upright crops, a service's request body once its result is in. Each is detached, its
 * length 0 from then on. Only for a buffer no call still in progress uses (free it after the
 * promise settles); one that is a view into a larger ArrayBuffer (Node's pool of small
 * Buffers) is left alone. Returns how many were freed.
 */
export function releaseBuffers(buffers: Uint8Array[]): number {
  if (!Array.isArray(buffers)) throw new DieInspectError('ERR_INVALID_ARG', 'releaseBuffers: pass an array of buffers');
  return buffers.length ? loadNative().releaseBuffers(buffers) : 0;
}

/**
 * Sets the process's malloc options (glibc's mallopt(); false without glibc). For a
 * long-running service: `mmapThreshold` puts buffers of that size and more (decoded images,
 * crops, input tensors, which come and go with every batch on whichever pool thread ran it)
 * in pages of their own that go back to the system when freed. Left to glibc, the threshold
 * rises to the largest chunk freed, such buffers land in one malloc arena per thread, and
 * each arena keeps its own peak. Process-wide: it changes every later allocation.
 */
export function setMallocOptions(options: MallocOptions): boolean {
  const t = options?.mmapThreshold;
  if (!(typeof t === 'number' && Number.isInteger(t) && t >= 4096 && t <= 32 * 2 ** 20)) {
    throw new DieInspectError('ERR_INVALID_ARG', `mmapThreshold must be a whole number of bytes from 4096 to 32 MiB, got ${String(t)}`);
  }
  return loadNative().mallocOptions({ mmapThreshold: t });
}

/** The C library's malloc heap (glibc's mallinfo2()), in bytes; null without glibc 2.33 or later. */
export function mallocInfo(): MallocInfo | null {
  return loadNative().mallocInfo();
}
