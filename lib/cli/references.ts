/** `--reference` for CLI commands: which aligned reference goes with each image. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';

export interface ReferencedImages {
  /** The images that have a reference, in order, each with its reference. */
  pairs: Array<{ image: string; reference: string }>;
  /** Images left out: with a FROM=TO rule, those whose names lack FROM (the references themselves). */
  skipped: string[];
}

/**
 * `spec` is an existing file (one golden reference for every image), an existing
 * folder (the file of the same name in it) or `FROM=TO` (the image's own path
 * with FROM in its file name replaced by TO: `_test=_temp` for DeepPCB).
 */
export async function pairWithReferences(images: string[], spec: string): Promise<ReferencedImages> {
  const st = await fs.stat(spec).catch(() => null);
  if (st?.isFile()) {
    const pairs = images.filter((f) => path.resolve(f) !== path.resolve(spec)).map((image) => ({ image, reference: spec }));
    return { pairs, skipped: [] };
  }
  if (st?.isDirectory()) {
    return { pairs: images.map((image) => ({ image, reference: path.join(spec, path.basename(image)) })), skipped: [] };
  }
  const rule = /^([^=]+)=([^=]*)$/.exec(spec);
  if (!rule) {
    throw new DieInspectError('ERR_INVALID_ARG', `--reference '${spec}' is neither a file, a folder nor a FROM=TO rule`);
  }
  const [, from, to] = rule;
  const pairs: ReferencedImages['pairs'] = [];
  const skipped: string[] = [];
  for (const image of images) {
    const name = path.basename(image);
    const at = name.lastIndexOf(from);
    if (at < 0) skipped.push(image);
    else pairs.push({ image, reference: path.join(path.dirname(image), name.slice(0, at) + to + name.slice(at + from.length)) });
  }
  if (pairs.length === 0) throw new DieInspectError('ERR_INVALID_ARG', `--reference ${spec}: no image name contains '${from}'`);
  return { pairs, skipped };
}
