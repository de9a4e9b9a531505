/** Annotated images: outlines and labels drawn natively, returned encoded. */
import { DieInspectError, native, toDieInspectError } from '../core/errors';
import { ImageInput, toNativeImages } from '../runtime/images';
import { AnnotateOptions, HeatmapOverlay, loadNative, Shape, TextPlacement } from '../runtime/binding';

export type { AnnotateOptions, HeatmapOverlay, Shape, TextPlacement };

/** Colours are BGR. */
export async function annotateImage(image: ImageInput, shapes: Shape[], options: AnnotateOptions = {}): Promise<Buffer> {
  const addon = loadNative();
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
export function layoutTexts(size: { width: number; height: number }, shapes: Shape[],
  options: Pick<AnnotateOptions, 'maxSide'> = {}): TextPlacement[] {
  if (!size || typeof size !== 'object') throw new DieInspectError('ERR_INVALID_ARG', 'layoutTexts: size is {width, height}');
  const addon = loadNative();
  try {
    return addon.layoutTexts(size.width, size.height, shapes, options);
  } catch (err) {
    throw toDieInspectError(err);
  }
}
