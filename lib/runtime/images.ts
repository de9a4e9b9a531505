/** What callers may pass as an image, and its normalisation for the addon. */
import { DieInspectError } from '../core/errors';

/** File extensions of the image formats the decoder reads. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff']);

/** The default of `limitInputPixels`: 16383 x 16383. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 16383 * 16383;

/** Guards every call that decodes images. */
export interface InputLimits {
  /**
   * Refuse images of more pixels than this (width x height, read from the header before
   * anything is decoded, or from a raw image's size) with ERR_IMAGE_TOO_LARGE, as a
   * few kilobytes of PNG can claim gigapixels and the decoder would allocate them. A TIFF of
   * more than 4 samples a pixel counts as width x height x ceil(samples / 4) pixels.
   * Default 268402689 (16383 x 16383); 0 or false: no limit.
   */
  limitInputPixels?: number | boolean;
  /**
   * How damaged pixel data is treated. 'warning' (default): a JPEG whose data the decoder
   * had to patch up (corrupt entropy data, a segment that ends early, stray bytes before a
   * marker) fails with ERR_IMAGE_DECODE, so a damaged picture never gets a verdict.
   * 'error': only what the decoder cannot read at all fails; the rest is inspected as decoded,
   * and the result carries `warning` (never set under 'warning': a complaint fails the image).
   */
  failOn?: 'warning' | 'error';
  /**
   * Turn a JPEG upright by its EXIF Orientation (2-8: mirrored, turned, or both) as it is
   * decoded, before the models see it: results (sizes, boxes, quads, crops) are then in the
   * upright image's pixels. Default false: pixels as stored, the tag ignored. TIFFs are not
   * affected (libtiff's reader applies their Orientation's mirrorings either way).
   */
  autoOrient?: boolean;
}

/** Raw interleaved 8-bit pixels (BGR order unless `rgb`). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  rgb?: boolean;
}

/** One picture: a file path, an encoded JPEG/PNG/BMP/TIFF in memory, or raw pixels. */
export type SingleImage = string | Buffer | Uint8Array | RawImage;

/**
 * An image compared with an aligned reference of the same scene (a defect-free
 * template, a golden board) of the same size. It is decoded as one image whose
 * RGB planes are the image, the reference and their absolute difference, in
 * grey: the input of models trained on such pairs (`Detector.needsReference`).
 */
export interface ReferencePair {
  image: SingleImage;
  reference: SingleImage;
  /**
   * Register the reference to the image first (shift and rotation, by ECC), for references
   * not captured at exactly the same position; the reference may then be of another size,
   * and one that cannot be registered fails its image with ERR_ALIGN. Default false: the
   * two must match pixel for pixel.
   */
  align?: boolean;
}

/** What every image-taking call accepts. */
export type ImageInput = SingleImage | ReferencePair;

function isRaw(v: unknown): v is RawImage {
  return typeof v === 'object' && v !== null && 'data' in v && 'width' in v && 'height' in v;
}

function isReferencePair(v: unknown): v is ReferencePair {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'reference' in v;
}

// Everything the addon would refuse for the whole call is refused here, per image,
// so that one malformed input can be reported as its own (submit() relies on it).
function single(img: unknown, where: string): SingleImage {
  if (typeof img === 'string') {
    if (img.length === 0) throw new DieInspectError('ERR_INVALID_ARG', `${where}: empty path`);
    return img;
  }
  if (img instanceof Uint8Array) return img;
  if (isRaw(img)) {
    if (!(img.data instanceof Uint8Array)) throw new DieInspectError('ERR_INVALID_ARG', `${where}: raw image data must be a Uint8Array`);
    if (img.rgb !== undefined && img.rgb !== null && typeof img.rgb !== 'boolean') {
      throw new DieInspectError('ERR_INVALID_ARG', `${where}: rgb must be true or false`);
    }
    return img;
  }
  throw new DieInspectError('ERR_INVALID_ARG', `${where}: expected a path, a Buffer or {data, width, height, channels}`);
}

/** Metadata `planes` of a model trained on reference pairs. */
export const REFERENCE_PAIR_PLANES = 'image,reference,difference';

/**
 * Validates the shape of inputs without copying pixel data. `pairs` true: every
 * input must be a reference pair (a pair model); false: none may be (any other
 * model: either mismatch would return confident nonsense rather than fail).
 */
export function toNativeImages(images: ImageInput | ImageInput[], pairs?: boolean): ImageInput[] {
  const list = Array.isArray(images) ? images : [images];
  return list.map((img, i) => {
    const isPair = isReferencePair(img);
    if (pairs !== undefined && isPair !== pairs) {
      throw new DieInspectError('ERR_INVALID_ARG', pairs
        ? `image ${i}: this model compares each image with an aligned reference `
          + `(metadata planes ${REFERENCE_PAIR_PLANES}): pass { image, reference }`
        : `image ${i}: this model takes single images, not { image, reference } pairs`);
    }
    if (isPair) {
      if (img.align !== undefined && typeof img.align !== 'boolean') {
        throw new DieInspectError('ERR_INVALID_ARG', `image ${i}.align: expected true or false`);
      }
      return { image: single(img.image, `image ${i}.image`), reference: single(img.reference, `image ${i}.reference`), align: img.align };
    }
    return single(img, `image ${i}`);
  });
}
