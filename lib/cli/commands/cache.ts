/** `die-inspect cache`: where TensorRT engines are kept, how much they take, and clearing them. */
import { Command } from 'commander';
import { promises as fsp } from 'fs';
import path from 'path';
import { cacheRoot } from '../../trt-cache';
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
      const rows: Array<{ folder: string; bytes: number }> = [];
      for (const ort of (await fsp.readdir(root).catch(() => [] as string[])).sort()) {
        for (const key of (await fsp.readdir(path.join(root, ort)).catch(() => [] as string[])).sort()) {
          const folder = path.join(root, ort, key);
          rows.push({ folder, bytes: await folderBytes(folder) });
        }
      }
      if (o.clear) await fsp.rm(root, { recursive: true, force: true });
      if (o.json) {
        process.stdout.write(JSON.stringify({ root, cleared: Boolean(o.clear), folders: rows }, null, 2) + '\n');
        return;
      }
      const total = rows.reduce((s, r) => s + r.bytes, 0);
      if (rows.length) {
        process.stdout.write(formatTable(['folder', 'MB'], rows.map((r) => [path.relative(root, r.folder), (r.bytes / 1e6).toFixed(1)])));
      }
      process.stdout.write(`${o.clear ? 'removed' : 'TensorRT cache'}: ${root} (${rows.length} folders, ${(total / 1e6).toFixed(1)} MB)\n`);
    });
}
