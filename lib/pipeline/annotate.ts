/** Annotated images: outlines and labels drawn natively, returned encoded. */
import { DieInspectError, native, toDieInspectError } from '../core/errors';
import type { Point } from '../core/geometry';
import { ImageInput, InputLimits, toNativeImages } from '../runtime/images';
import { loadNative } from '../runtime/binding';

export type Shape =
  | {
    type: 'polygon'; points: Point[]; closed?: boolean; color?: [number, number, number]; thickness?: number;
    /** Drawn beside the outline where no other text is (see layoutTexts); earlier shapes' labels get the nearer spots. */
    label?: string; fontScale?: number;
  }
  /** Drawn at `at` (its top-left), moved only to stay inside the image; labels make room for it. */
  | { type: 'text'; at: Point; text: string; color?: [number, number, number]; fontScale?: number };

export interface AnnotateOptions extends InputLimits {
  format?: 'jpg' | 'png';
  quality?: number;
  /** Downscale so the longer side is at most this (shape coordinates stay in the original pixels). */
  maxSide?: number;
}

/** Where a text shape or a polygon's label is drawn, in the drawn image's pixels (after `maxSide`). */
export interface TextPlacement {
  /** Index of its shape. */
  shape: number;
  /** Its filled background, [x1, y1, x2, y2) with x2, y2 exclusive: no two overlap while the image has room. */
  box: [number, number, number, number];
  /** A label placed away from its outline: the line drawn from the label to the outline's nearest corner. */
  leader?: [Point, Point];
}

interface NativeAnnotate {
  annotateImage(i: unknown, s: Shape[], o: AnnotateOptions): Promise<Buffer>;
  layoutTexts(width: number, height: number, s: Shape[], o: { maxSide?: number }): TextPlacement[];
}

/** Colours are BGR. */
export async function annotateImage(image: ImageInput, shapes: Shape[], options: AnnotateOptions = {}): Promise<Buffer> {
  const addon = loadNative() as unknown as NativeAnnotate;
  const [img] = toNativeImages([image]);
  return native(() => addon.annotateImage(img, shapes, options));
}

/**
 * Where `annotateImage` draws each text on an image of `size` (the same layout, without
 * the pixels): the caller's texts where they were put, and each polygon's label in shape
 * order beside its outline (above, below, either side, inside), else on the nearest free
 * spot with a leader line, never on another text while the image has room, covering as
 * little of any outline as it can, always inside the image.
 */
export function layoutTexts(size: { width: number; height: number }, shapes: Shape[], options: { maxSide?: number } = {}): TextPlacement[] {
  if (!size || typeof size !== 'object') throw new DieInspectError('ERR_INVALID_ARG', 'layoutTexts: size is {width, height}');
  const addon = loadNative() as unknown as NativeAnnotate;
  try {
    return addon.layoutTexts(size.width, size.height, shapes, options);
  } catch (err) {
    throw toDieInspectError(err);
  }
}
