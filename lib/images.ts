/** What callers may pass as an image, and its normalisation for the addon. */
import { DieInspectError } from './errors';
import type { NativeImage } from './native';

/** File extensions of the image formats the decoder reads. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff']);

/** Raw interleaved 8-bit pixels (BGR order unless `rgb`). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  rgb?: boolean;
}

/** A file path, an encoded JPEG/PNG/BMP/TIFF in memory, or raw pixels. */
export type ImageInput = string | Buffer | Uint8Array | RawImage;

function isRaw(v: unknown): v is RawImage {
  return typeof v === 'object' && v !== null && 'data' in v && 'width' in v && 'height' in v;
}

/** Validates the shape of inputs without copying pixel data. */
export function toNativeImages(images: ImageInput | ImageInput[]): NativeImage[] {
  const list = Array.isArray(images) ? images : [images];
  return list.map((img, i) => {
    if (typeof img === 'string' || img instanceof Uint8Array) return img;
    if (isRaw(img)) return img;
    throw new DieInspectError('ERR_INVALID_ARG', `image ${i}: expected a path, a Buffer or {data, width, height, channels}`);
  });
}
