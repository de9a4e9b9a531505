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
import { webcrypto } from 'crypto';
import { promises as fsp } from 'fs';
import os from 'os';
import path from 'path';
import { fileSha256 } from './hash';

/** `DIE_INSPECT_CACHE_DIR`, else `$XDG_CACHE_HOME/die-inspect`, else `~/.cache/die-inspect`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIE_INSPECT_CACHE_DIR) return path.resolve(env.DIE_INSPECT_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'die-inspect');
}

/**
 * The folder for this model's bytes (its engines and its timing cache), created if
 * missing; null where there is nothing safe to key on (a path that is not a regular
 * file: the native loader reports it) or the folder cannot be made.
 */
export async function defaultTrtCacheDir(model: string | Uint8Array, ortVersion: string): Promise<string | null> {
  let digest: string;
  if (typeof model === 'string') {
    try {
      if (!(await fsp.stat(model)).isFile()) return null;
      digest = await fileSha256(model);
    } catch {
      return null;
    }
  } else {
    // WebCrypto hashes on the thread pool: a 24 MB buffer does not hold up the event loop
    digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', model)).toString('hex');
  }
  const dir = path.join(cacheRoot(), 'tensorrt', `ort-${ortVersion}`, digest.slice(0, 32));
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch {
    return null;
  }
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `build` holding `dir/.lock`, so that one process at a time loads (and on a first
 * run builds and writes) the engines of that folder: workers of a service starting
 * together would otherwise all build them and write the same files at once, and a
 * half-written engine would fail every later load. A lock whose process is gone (or,
 * from another host, that is over 30 minutes old) is taken over; where no lock can be
 * made (a read-only folder) `build` runs unlocked.
 */
export async function withCacheLock<T>(dir: string, build: () => Promise<T>, pollMs = 250): Promise<T> {
  const lock = path.join(dir, '.lock');
  for (;;) {
    let fh;
    try {
      fh = await fsp.open(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return build();
      if (await isStale(lock)) {
        await fsp.rm(lock, { force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    heldHere.add(lock);
    try {
      await fh.writeFile(`${process.pid} ${os.hostname()}`);
      break;
    } catch {
      // a lock that cannot say whose it is would hold the others up: go without it
      heldHere.delete(lock);
      await fsp.rm(lock, { force: true });
      return build();
    } finally {
      await fh.close();
    }
  }
  try {
    return await build();
  } finally {
    heldHere.delete(lock);
    await fsp.rm(lock, { force: true });
  }
}

/** Lock files this process holds now. */
const heldHere = new Set<string>();

/** Locks older than this whose holder cannot be asked (another host or container) are taken over. */
const FOREIGN_LOCK_MS = 30 * 60 * 1000;

/** A lock still without its holder's pid after this long was left by a process that died writing it. */
const UNWRITTEN_LOCK_MS = 10 * 1000;

/** Whether a live process is loading (or building) the engines of this folder now. */
export async function lockHeld(dir: string): Promise<boolean> {
  const lock = path.join(dir, '.lock');
  return (await fsp.stat(lock).then(() => true, () => false)) && !(await isStale(lock));
}

async function isStale(lock: string): Promise<boolean> {
  const [text, st] = await Promise.all([fsp.readFile(lock, 'utf8').catch(() => ''), fsp.stat(lock).catch(() => null)]);
  const [pidText, host] = text.split(' ');
  const pid = Number(pidText);
  if (!st) return false;
  // An empty file is a lock being written this instant, unless it has stayed empty.
  if (!(pid > 0)) return Date.now() - st.mtimeMs > UNWRITTEN_LOCK_MS;
  if (host !== os.hostname()) return Date.now() - st.mtimeMs > FOREIGN_LOCK_MS;
  // Our own pid on a lock we do not hold is a previous life of this process (a
  // container restarted after a crash gets the same pid back).
  return pid === process.pid ? !heldHere.has(lock) : !alive(pid);
}
