/**
 * Where TensorRT keeps its engines between runs when the caller does not say. Building
 * the engines of one YOLOv7-tiny with a dynamic batch profile takes minutes, so a CLI
 * run or a service restart that rebuilds them every time is not usable.
 *
 * ONNX Runtime names cached engines after the graph's structure, not its weights, and
 * its documentation asks for the cache to be cleared when the model or the ORT version
 * changes: so the default folder is keyed by the SHA-256 of the model's bytes under
 * the ORT version. (A TensorRT upgrade under the same ORT still needs the folder removed.)
 */
import { createHash, webcrypto } from 'crypto';
import { createReadStream, promises as fsp } from 'fs';
import os from 'os';
import path from 'path';

export interface TrtCacheDirs {
  engine: string;
  timing: string;
}

/** `DIE_INSPECT_CACHE_DIR`, else `$XDG_CACHE_HOME/die-inspect`, else `~/.cache/die-inspect`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIE_INSPECT_CACHE_DIR) return path.resolve(env.DIE_INSPECT_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'die-inspect');
}

/**
 * The engine folder for this model's bytes and the timing cache folder shared by all
 * models, created if missing; null where there is nothing safe to key on (a path that is
 * not a regular file: the native loader reports it) or the folders cannot be made.
 */
export async function defaultTrtCacheDirs(model: string | Uint8Array, ortVersion: string): Promise<TrtCacheDirs | null> {
  let digest: string;
  if (typeof model === 'string') {
    try {
      if (!(await fsp.stat(model)).isFile()) return null;
      // streamed in chunks: a model with gigabytes of weights is not read into memory at once
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(model)) hash.update(chunk as Buffer);
      digest = hash.digest('hex');
    } catch {
      return null;
    }
  } else {
    // WebCrypto hashes on the thread pool: a 24 MB buffer does not hold up the event loop
    digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', model)).toString('hex');
  }
  const base = path.join(cacheRoot(), 'tensorrt', `ort-${ortVersion}`);
  const dirs = { engine: path.join(base, digest.slice(0, 32)), timing: path.join(base, 'timing') };
  try {
    await fsp.mkdir(dirs.engine, { recursive: true });
    await fsp.mkdir(dirs.timing, { recursive: true });
  } catch {
    return null;
  }
  return dirs;
}
