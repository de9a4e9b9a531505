/**
 * `inspect --watch`: the images already in some folders, then each new one as it
 * lands, until `signal` aborts. What an earlier run recorded can be skipped, so a
 * restarted watcher carries on where it stopped. A file is taken once its size and mtime have held
 * still for `settleMs`, so an image still being copied in is not read half-written.
 */
import { watch, FSWatcher, promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../errors';
import { IMAGE_EXTENSIONS } from '../images';
import { expandImageArgs } from './files';

export interface WatchOptions {
  signal: AbortSignal;
  /** How long a file must stay unchanged before it is read. Default 250 ms. */
  settleMs?: number;
  /** Files not to yield (inspected by an earlier run). */
  skip?: ReadonlySet<string>;
}

/** The image paths an earlier run recorded in its results.jsonl (none if there is no such file). */
export async function recordedPaths(resultsFile: string): Promise<string[]> {
  const text = await fs.readFile(resultsFile, 'utf8').catch(() => '');
  const paths: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const p = (JSON.parse(line) as { path?: unknown }).path;
      if (typeof p === 'string') paths.push(p);
    } catch {
      // a line cut short by a crash: its image is inspected again
    }
  }
  return paths;
}

export async function* watchImages(dirs: string[], { signal, settleMs = 250, skip }: WatchOptions): AsyncGenerator<string> {
  for (const dir of dirs) {
    const st = await fs.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new DieInspectError('ERR_INVALID_ARG', `--watch needs folders; ${dir} is not one`);
  }
  // Keyed by absolute path, so `incoming` and `./incoming/` name the same files.
  const seen = new Set<string>([...(skip ?? [])].map((f) => path.resolve(f)));
  const ready: string[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const check = async (file: string, before: { size: number; mtimeMs: number } | null) => {
    const st = await fs.stat(file).catch(() => null);
    if (!st?.isFile()) return;  // gone again, or not a file
    if (before && st.size === before.size && st.mtimeMs === before.mtimeMs && st.size > 0) {
      seen.add(path.resolve(file));
      ready.push(file);
      notify();
      return;
    }
    schedule(file, { size: st.size, mtimeMs: st.mtimeMs });
  };
  const schedule = (file: string, before: { size: number; mtimeMs: number } | null) => {
    clearTimeout(timers.get(file));
    timers.set(file, setTimeout(() => {
      timers.delete(file);
      void check(file, before);
    }, before ? settleMs : 0));
  };
  const consider = (file: string) => {
    if (seen.has(path.resolve(file)) || !IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase())) return;
    schedule(file, null);
  };

  // Watch first, then list: a file that lands in between is seen by one or the other.
  const watchers: FSWatcher[] = dirs.map((dir) => watch(dir, { recursive: true }, (_event, name) => {
    if (name) consider(path.join(dir, name.toString()));
  }).on('error', (err) => {
    failure = err;
    notify();
  }));
  const onAbort = () => notify();
  signal.addEventListener('abort', onAbort);
  try {
    for (const file of await expandImageArgs(dirs).catch(() => [] as string[])) consider(file);
    for (;;) {
      if (failure) throw new DieInspectError('ERR_FILE_NOT_FOUND', `watching stopped: ${(failure as Error).message}`);
      if (ready.length) {
        yield ready.shift()!;
        continue;
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const w of watchers) w.close();
    for (const t of timers.values()) clearTimeout(t);
  }
}
