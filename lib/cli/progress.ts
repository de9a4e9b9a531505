/** A progress bar on stderr (only when it is a terminal, so logs stay clean). */
import { SingleBar, Presets } from 'cli-progress';
import path from 'path';
import { cacheRoot } from '../runtime/trt-cache';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function progressBar(title: string, unit = 'items'): Progress {
  if (!process.stderr.isTTY) {
    return { update() { /* silent when piped */ }, stop() { /* nothing to clear */ } };
  }
  const bar = new SingleBar({
    format: `${title} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | {label}`,
    stream: process.stderr,
    hideCursor: true,
  }, Presets.shades_classic);
  const t0 = Date.now();
  let started = false;
  return {
    update(done, total, label = '') {
      const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
      if (!started) {
        bar.start(total, done, { label, rate: rate.toFixed(1) });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label, rate: rate.toFixed(1) });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * TensorRT builds a model's engines on its first load, which can take minutes with no
 * bar to fill: say so before the wait (on a terminal only, like the bars).
 */
export function noteEngineBuild(providers: string[], stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr): void {
  if (!stream.isTTY || !providers.includes('tensorrt')) return;
  stream.write('TensorRT: the first load of a model builds its engines (minutes); '
    + `later runs reuse them from ${path.join(cacheRoot(), 'tensorrt')}\n`);
}
