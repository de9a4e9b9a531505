/** Annotated images: outlines and labels drawn natively, returned encoded. */
import { native } from './errors';
import type { Point } from './geometry';
import { ImageInput, InputLimits, toNativeImages } from './images';
import { loadNative } from './native';

export type Shape =
  | { type: 'polygon'; points: Point[]; closed?: boolean; color?: [number, number, number]; thickness?: number }
  | { type: 'text'; at: Point; text: string; color?: [number, number, number]; fontScale?: number };

export interface AnnotateOptions extends InputLimits {
  format?: 'jpg' | 'png';
  quality?: number;
  /** Downscale so the longer side is at most this (shape coordinates stay in the original pixels). */
  maxSide?: number;
}

/** Colours are BGR. */
export async function annotateImage(image: ImageInput, shapes: Shape[], options: AnnotateOptions = {}): Promise<Buffer> {
  const addon = loadNative() as unknown as { annotateImage(i: unknown, s: Shape[], o: AnnotateOptions): Promise<Buffer> };
  const [img] = toNativeImages([image]);
  return native(() => addon.annotateImage(img, shapes, options));
}
