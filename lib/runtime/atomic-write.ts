/** Writes a file whole or not at all: into a temporary file beside it, then renamed over it. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';

export async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw new DieInspectError('ERR_INVALID_ARG', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}
