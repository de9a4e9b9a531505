/** `die-inspect cache`: where TensorRT engines are kept, how much they take, and clearing them. */
import { Command } from 'commander';
import { promises as fsp } from 'fs';
import path from 'path';
import { cacheRoot, lockHeld } from '../../runtime/trt-cache';
import { formatTable } from '../table';

/** Bytes under a folder (0 when it does not exist). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await fsp.stat(p)).size;
  }
  return total;
}

export function registerCache(program: Command): void {
  program
    .command('cache')
    .description('list the TensorRT engine caches (one folder per model and ONNX Runtime version); --clear removes them')
    .option('--clear', 'remove every cached engine and timing cache (after upgrading TensorRT)')
    .option('--json', 'print JSON')
    .action(async (o: { clear?: boolean; json?: boolean }) => {
      const root = path.join(cacheRoot(), 'tensorrt');
      const rows: Array<{ folder: string; bytes: number; inUse: boolean }> = [];
      for (const ort of (await fsp.readdir(root).catch(() => [] as string[])).sort()) {
        for (const key of (await fsp.readdir(path.join(root, ort)).catch(() => [] as string[])).sort()) {
          const folder = path.join(root, ort, key);
          rows.push({ folder, bytes: await folderBytes(folder), inUse: await lockHeld(folder) });
        }
      }
      // A folder a live process is building engines into is left alone: removing it mid-build loses the build.
      const removed = o.clear ? rows.filter((r) => !r.inUse) : [];
      for (const r of removed) await fsp.rm(r.folder, { recursive: true, force: true });
      if (o.json) {
        const report = { root, cleared: Boolean(o.clear), folders: rows, removed: removed.map((r) => r.folder) };
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const mb = (list: typeof rows) => (list.reduce((s, r) => s + r.bytes, 0) / 1e6).toFixed(1);
      if (rows.length) {
        process.stdout.write(formatTable(['folder', 'MB', 'in use'],
          rows.map((r) => [path.relative(root, r.folder), (r.bytes / 1e6).toFixed(1), r.inUse ? 'yes' : ''])));
      }
      if (o.clear) {
        const kept = rows.length - removed.length;
        process.stdout.write(`removed: ${removed.length} folders, ${mb(removed)} MB from ${root}${kept ? `; kept ${kept} in use` : ''}\n`);
      } else {
        process.stdout.write(`TensorRT cache: ${root} (${rows.length} folders, ${mb(rows)} MB)\n`);
      }
    });
}
