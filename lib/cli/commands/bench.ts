/** `die-inspect bench --model M [...]`: FPS the way the main study measured it, and end to end. */
import * as path from 'path';
import { Command } from 'commander';
import { benchmarkModel, BenchReport } from '../../tools/benchmark';
import { expandImageArgs } from '../files';
import { parseIntList, parseNumber, parseProviders, positiveInt } from '../options';
import { noteEngineBuild, progressBar } from '../progress';
import { formatTable } from '../table';

interface BenchCliOptions {
  model: string[];
  batch: string;
  ep: string[];
  fp16?: boolean;
  warmup: string;
  iters: string;
  imgsz?: string;
  images?: string;
  threads?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** A figure to print, '-' where there is none. */
const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark models: batches/s, images/s, latency percentiles, end-to-end rate, params, GFLOPs')
    .requiredOption('-m, --model <file>', 'ONNX model (repeat for a side-by-side table)', collect, [])
    .option('--batch <list>', 'batch sizes', '1,16')
    .option('--ep <providers>', 'execution provider chain (repeat to compare), e.g. tensorrt or cuda,cpu', collect, [])
    .option('--fp16', 'TensorRT fp16')
    .option('--warmup <n>', 'warm-up iterations', '10')
    .option('--iters <n>', 'timed iterations', '100')
    .option('--imgsz <n>', 'input size for dynamic models (default: the model\'s fixed or trained size, else 640)')
    .option('--images <dir>', 'real images for the end-to-end rate (default: generated 1280x960 JPEGs)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--json', 'print JSON')
    .action(async (o: BenchCliOptions) => {
      const chains = (o.ep.length ? o.ep : ['cpu']).map(parseProviders);
      noteEngineBuild(chains.flat());
      const images = o.images ? await expandImageArgs([o.images]) : undefined;
      const reports: BenchReport[] = [];
      const jobs = o.model.flatMap((m) => chains.map((c) => ({ model: m, providers: c })));
      const bar = progressBar('bench', 'steps');
      let base = 0;
      try {
        for (const job of jobs) {
          const report = await benchmarkModel(job.model, {
            batches: parseIntList(o.batch, '--batch'),
            providers: job.providers,
            fp16: o.fp16,
            warmup: parseNumber(o.warmup, '--warmup'),
            iters: parseNumber(o.iters, '--iters'),
            imgsz: o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined,
            images,
            intraOpThreads: o.threads ? parseNumber(o.threads, '--threads') : undefined,
            onProgress: (done, total, label) => bar.update(base + done, jobs.length * total, `${path.basename(job.model)} ${label}`),
            // Without a terminal there is no bar: a line per run as it finishes (stderr, so --json stays parseable).
            onRun: process.stderr.isTTY ? undefined : (run, provider) => process.stderr.write(
              `bench ${path.basename(job.model)} ${provider} batch ${run.batch}: `
              + `${f(run.imagesPerSec)} images/s (${f(run.batchesPerSec)} batches/s), p50 ${f(run.p50Ms, 2)} ms, `
              + `end to end ${f(run.endToEndImagesPerSec)} images/s\n`),
          });
          base += report.runs.length * 2;
          reports.push(report);
        }
      } finally {
        bar.stop();
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
        return;
      }
      const rows = reports.flatMap((r) => r.runs.map((run) => [
        path.basename(r.model), r.provider, run.batch, f(run.batchesPerSec), f(run.imagesPerSec), f(run.p50Ms, 2), f(run.p95Ms, 2),
        f(run.p99Ms, 2), f(run.endToEndImagesPerSec), `${(r.params / 1e6).toFixed(2)} M`, f(r.gflops),
      ]));
      process.stdout.write(formatTable(['model', 'provider', 'batch', 'batches/s', 'images/s', 'p50 ms', 'p95 ms', 'p99 ms',
        'e2e img/s', 'params', 'GFLOPs'], rows));
      for (const r of reports) {
        for (const a of r.providerAttempts.filter((x) => !x.ok)) {
          process.stdout.write(`note: ${a.provider} unavailable for ${path.basename(r.model)}: ${a.reason.split('\n')[0].slice(0, 200)}\n`);
        }
      }
      process.stdout.write(`input ${reports[0].inputSize.join('x')}, machine: ${reports[0].machine}\n`);
    });
}
