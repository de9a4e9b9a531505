/**
 * `inspect --watch`: the images already in some folders, then each new one as it
 * lands, until `signal` aborts. What an earlier run recorded can be skipped, so a
 * restarted watcher carries on where it stopped. A file is taken once its size and mtime have held
 * still for `settleMs`, so an image still being copied in is not read half-written; written
 * again under the same name (a camera that reuses one file name), it is taken again.
 */
import { watch, FSWatcher, promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../runtime/images';
import { expandImageArgs } from './files';

export interface WatchOptions {
  signal: AbortSignal;
  /** How long a file must stay unchanged before it is read. Default 250 ms. */
  settleMs?: number;
  /** Files not to yield (inspected by an earlier run). */
  skip?: ReadonlySet<string>;
  /** Folders whose files are never taken: the run's own output, when it lies inside a watched folder. */
  ignore?: string[];
}

/**
 * The image paths an earlier run recorded in its results.jsonl (none if there is no
 * such file), ready to be appended to: a last line cut short (a run killed mid-write)
 * is cut off, and its image is inspected again.
 */
export async function resumeResults(resultsFile: string): Promise<string[]> {
  let text = await fs.readFile(resultsFile, 'utf8').catch(() => '');
  if (text && !text.endsWith('\n')) {
    text = text.slice(0, text.lastIndexOf('\n') + 1);
    await fs.truncate(resultsFile, Buffer.byteLength(text));
  }
  const paths: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const p = (JSON.parse(line) as { path?: unknown }).path;
      if (typeof p === 'string') paths.push(p);
    } catch {
      // not one of ours: left as it is, and its image (if any) inspected again
    }
  }
  return paths;
}

/**
 * Where a restarted watcher stands with two records of its parts, results.jsonl and a
 * records store: an image is skipped only when both hold it. One that only the store
 * holds is inspected again for its line (the store keeps its first record); one that
 * only results.jsonl holds is inspected again for the store, its line not written twice.
 */
export function resumeAcross(lines: string[], stored: ReadonlySet<string> | null): { skip: string[]; lineWritten: Set<string> } {
  if (!stored) return { skip: lines, lineWritten: new Set() };
  const skip = lines.filter((p) => stored.has(path.resolve(p)));
  const held = new Set(skip);
  return { skip, lineWritten: new Set(lines.filter((p) => !held.has(p)).map((p) => path.resolve(p))) };
}

export async function* watchImages(dirs: string[], { signal, settleMs = 250, skip, ignore = [] }: WatchOptions): AsyncGenerator<string> {
  for (const dir of dirs) {
    const st = await fs.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new DieInspectError('ERR_INVALID_ARG', `--watch needs folders; ${dir} is not one`);
  }
  // Absolute path (so `incoming` and `./incoming/` name the same files) -> the size and
  // mtime it had when taken; null for a file an earlier run took, whose version is unknown.
  const taken = new Map<string, string | null>([...(skip ?? [])].map((f) => [path.resolve(f), null]));
  const ready: string[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  let failure: unknown = null;
  let closed = false;  // a stat still running when watching ends must not start a timer
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const check = async (file: string, before: { size: number; mtimeMs: number } | null) => {
    const st = await fs.stat(file).catch(() => null);
    if (closed || !st?.isFile()) return;  // stopped, gone again, or not a file
    if (before && st.size === before.size && st.mtimeMs === before.mtimeMs && st.size > 0) {
      const abs = path.resolve(file), version = `${st.size}:${st.mtimeMs}`;
      if (taken.get(abs) === version) return;  // an event that changed nothing (chmod, a read)
      taken.set(abs, version);
      ready.push(file);
      notify();
      return;
    }
    schedule(file, { size: st.size, mtimeMs: st.mtimeMs });
  };
  const schedule = (file: string, before: { size: number; mtimeMs: number } | null) => {
    if (closed) return;
    clearTimeout(timers.get(file));
    timers.set(file, setTimeout(() => {
      timers.delete(file);
      void check(file, before);
    }, before ? settleMs : 0));
  };
  // Without this, annotated pictures written under a watched folder would be inspected
  // in turn, and annotated again, without end.
  const ignored = ignore.map((d) => path.resolve(d) + path.sep);
  // Listed files already taken are passed over; a change event on one is looked at again.
  const consider = (file: string, changed: boolean) => {
    const abs = path.resolve(file);
    if ((!changed && taken.has(abs)) || ignored.some((d) => abs.startsWith(d))
      || !IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase())) return;
    schedule(file, null);
  };

  const watchers: FSWatcher[] = [];
  const onAbort = () => notify();
  signal.addEventListener('abort', onAbort);
  try {
    // Watch first, then list: a file that lands in between is seen by one or the other.
    for (const dir of dirs) {
      watchers.push(watch(dir, { recursive: true }, (_event, name) => {
        if (name) consider(path.join(dir, name.toString()), true);
      }).on('error', (err) => {
        failure = err;
        notify();
      }));
    }
    for (const file of await expandImageArgs(dirs).catch(() => [] as string[])) consider(file, false);
    for (;;) {
      // Stopping takes nothing more, not even what is ready: those files are not
      // recorded, so the next run takes them up.
      if (signal.aborted) return;
      if (failure) throw new DieInspectError('ERR_FILE_NOT_FOUND', `watching stopped: ${(failure as Error).message}`);
      if (ready.length) {
        yield ready.shift()!;
        continue;
      }
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    closed = true;
    signal.removeEventListener('abort', onAbort);
    for (const w of watchers) w.close();
    for (const t of timers.values()) clearTimeout(t);
  }
}
