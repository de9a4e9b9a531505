/**
 * A recorded part's pictures, drawn by the native annotate and warp code: a thumbnail, the
 * annotated image and the upright crop. A picture is found by part id only (the path is
 * the store's), and only while the file is still the one inspected (its sha256).
 */
import { annotateImage } from '../pipeline/annotate';
import { annotationShapes } from '../pipeline/report';
import { recordedCrop } from '../pipeline/records/export';
import type { PartRecord, Recorder } from '../pipeline/records/types';
import { fileSha256 } from '../runtime/hash';
import { RequestError } from './http';

export type PictureKind = 'thumb' | 'annotated' | 'crop';
export const PICTURE_KINDS: readonly PictureKind[] = ['thumb', 'annotated', 'crop'];

const THUMB_SIDE = 240;
const ANNOTATED_SIDE = 1600;
/** Pictures kept drawn (a thumbnail is about 10 KB, an annotated image about 200 KB). */
const CACHE_ENTRIES = 400;

export class PictureCache {
  private readonly drawn = new Map<string, Promise<Buffer>>();

  constructor(private readonly recorder: Recorder) {}

  /** The JPEG of one picture of a part; ERR_NOT_FOUND for no such part, an image gone or changed, or no crop. */
  get(part: PartRecord, kind: PictureKind): Promise<Buffer> {
    // The verdict drawn is the effective one: a review changes the picture.
    const key = `${part.id}:${kind}:${part.review?.id ?? 0}`;
    let p = this.drawn.get(key);
    if (!p) {
      p = this.draw(part, kind);
      p.catch(() => this.drawn.delete(key));
      this.drawn.set(key, p);
      if (this.drawn.size > CACHE_ENTRIES) this.drawn.delete(this.drawn.keys().next().value!);
    }
    return p;
  }

  private async draw(part: PartRecord, kind: PictureKind): Promise<Buffer> {
    if (!part.imagePath) throw new RequestError('ERR_NOT_FOUND', `part ${part.id} was recorded from pixels, not a file`);
    if (kind === 'crop') {
      const crop = await recordedCrop(this.recorder, part);
      if (typeof crop === 'string') throw new RequestError('ERR_NOT_FOUND', `part ${part.id} has no upright crop: ${crop}`);
      return crop.jpg;
    }
    const sha = await fileSha256(part.imagePath).catch(() => null);
    if (sha !== part.imageSha256) {
      throw new RequestError('ERR_NOT_FOUND', `part ${part.id}: its image is ${sha === null ? 'gone' : 'changed since it was inspected'}`);
    }
    const shapes = annotationShapes({ ...part, verdict: part.effectiveVerdict });
    // A thumbnail is too small for the texts: outlines only.
    const drawn = kind === 'thumb' ? shapes.filter((s) => s.type === 'polygon').map((s) => ({ ...s, label: undefined })) : shapes;
    return annotateImage(part.imagePath, drawn, {
      format: 'jpg', quality: kind === 'thumb' ? 75 : 88, maxSide: kind === 'thumb' ? THUMB_SIDE : ANNOTATED_SIDE,
    });
  }
}
