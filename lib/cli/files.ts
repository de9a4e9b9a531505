/** Turns CLI image arguments (files, directories, simple globs) into a sorted file list. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../runtime/images';

export { IMAGE_EXTENSIONS };

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 1) > i + 1) {
      const end = glob.indexOf(']', i + 1);
      re += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    }
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(full);
  }
}

/** Directories are searched recursively for images; globs (* ? ** [ab]) are matched under their fixed prefix. */
export async function expandImageArgs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (/[*?[]/.test(arg)) {
      const parts = arg.split('/');
      const fixed = parts.slice(0, parts.findIndex((p) => /[*?[]/.test(p))).join('/') || '.';
      const all: string[] = [];
      await walk(fixed, all).catch(() => undefined);
      const re = globToRegExp(path.normalize(arg));
      out.push(...all.filter((f) => re.test(path.normalize(f))));
      continue;
    }
    const st = await fs.stat(arg).catch(() => null);
    if (!st) throw new DieInspectError('ERR_FILE_NOT_FOUND', `no such file or directory: ${arg}`);
    if (st.isDirectory()) await walk(arg, out);
    else out.push(arg);
  }
  const unique = [...new Set(out)].sort();
  if (unique.length === 0) throw new DieInspectError('ERR_INVALID_ARG', `no images found in ${args.join(' ')}`);
  return unique;
}

/**
 * The files that do not lie under `dir`: a run's own output (annotated pictures)
 * inside an input folder is not input for the next run. Refuses an empty result.
 */
export function outsideOf(files: string[], dir: string | undefined, args: string[]): string[] {
  if (!dir) return files;
  const prefix = path.resolve(dir) + path.sep;
  const kept = files.filter((f) => !path.resolve(f).startsWith(prefix));
  if (!kept.length) throw new DieInspectError('ERR_INVALID_ARG', `no images in ${args.join(' ')} outside ${dir}`);
  return kept;
}
