/** `die-inspect quantize -m MODEL --calib DIR --out OUT.onnx`: post-training INT8 (QDQ) quantization. */
import * as path from 'path';
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { resolveModel } from '../../runtime/models';
import { int8Instructions } from '../../tools/benchmark';
import { ActivationType, CalibrationMethod, quantize } from '../../tools/quantize';
import { activationForm, weightForm } from '../../tools/quantize/qparams';
import { expandImageArgs } from '../files';
import { parseNumber, positiveInt } from '../options';
import { progressBar } from '../progress';

interface QuantizeCliOptions {
  model: string;
  calib: string[];
  out: string;
  count: string;
  method: string;
  percentile: string;
  activations: string;
  perTensor?: boolean;
  reduceRange?: boolean;
  // undefined unless --reduce-range or --no-reduce-range is given (then: auto)
  imgsz?: string;
  batch: string;
  json?: boolean;
}

function choice<T extends string>(text: string, allowed: readonly T[], name: string): T {
  if (!allowed.includes(text as T)) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be ${allowed.join(' or ')}, got '${text}'`);
  return text as T;
}

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('quantize a float32 detector or classifier to INT8 (QDQ ONNX) from calibration images')
    .requiredOption('-m, --model <file>', 'float32 ONNX model (a file or an installed model name)')
    .requiredOption('--calib <dir>', 'calibration images: a folder, files or a glob (repeatable)',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .requiredOption('-o, --out <file>', 'where to write the INT8 model')
    .option('--count <n>', 'calibration images used, evenly spaced over those found', '200')
    .option('--method <m>', 'activation ranges: percentile (clips rare outliers) or minmax', 'percentile')
    .option('--percentile <p>', 'percentile of each activation\'s values kept (--method percentile)', '99.999')
    .option('--activations <t>', 'uint8 (asymmetric: fastest on x86 CPUs) or int8 (symmetric: for TensorRT)', 'uint8')
    .option('--per-tensor', 'one weight scale per tensor instead of per output channel')
    .option('--reduce-range', '7-bit weights (default on an x86 CPU without VNNI, where full-range INT8 can saturate)')
    .option('--no-reduce-range', 'full-range INT8 weights even there')
    .option('--imgsz <n>', 'calibration size for models with dynamic height/width and no imgsz metadata')
    .option('--batch <n>', 'images per calibration call', '1')
    .option('--json', 'print the report as JSON')
    .action(async (o: QuantizeCliOptions) => {
      const method = choice<CalibrationMethod>(o.method, ['percentile', 'minmax'], '--method');
      const activations = choice<ActivationType>(o.activations, ['uint8', 'int8'], '--activations');
      const count = positiveInt(o.count, '--count');
      const percentile = parseNumber(o.percentile, '--percentile');
      const batch = positiveInt(o.batch, '--batch');
      const imgsz = o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined;
      const source = resolveModel(o.model);
      if (path.resolve(o.out) === path.resolve(source)) {
        throw new DieInspectError('ERR_INVALID_ARG', '--out must not be the model being quantized');
      }
      const images = await expandImageArgs(o.calib);
      const bar = progressBar('calibrate', 'images');
      let result;
      try {
        result = await quantize(source, {
          calibration: images, count, method, percentile, activations, perChannel: !o.perTensor, reduceRange: o.reduceRange ?? 'auto',
          imgsz, batch, out: o.out, onProgress: (done, total) => bar.update(done, total),
        });
      } finally {
        bar.stop();
      }
      const r = result.report;
      if (o.json) {
        process.stdout.write(JSON.stringify({ model: source, out: o.out, ...r, int8Instructions: int8Instructions() }, null, 2) + '\n');
        return;
      }
      const ops = Object.entries(r.nodes).map(([op, n]) => `${op} ${n}`).join(', ');
      const lines: Array<[string, string]> = [
        ['model', `${path.basename(source)} -> ${o.out}`],
        ['size', `${MiB(r.bytesBefore)} -> ${MiB(r.bytesAfter)}`],
        ['INT8 ops', ops],
        ['weights', `${r.weights} tensors, ${weightForm(r.reduceRange, r.perChannel)}`],
        ['activations', `${r.activations} (${r.calibrated} measured), ${activationForm(r.activationType)}`],
        ['calibration', `${r.images} images at ${r.inputSize.join('x')}, ${r.method}${r.percentile !== undefined ? ` ${r.percentile}` : ''}`
          + `${r.failedImages.length ? `, ${r.failedImages.length} unreadable (skipped)` : ''}, ${r.seconds.toFixed(1)} s`],
        ['this CPU', int8Instructions()],
      ];
      for (const [k, v] of lines) process.stdout.write(`${k.padEnd(12)} ${v}\n`);
      for (const s of r.skipped) process.stdout.write(`note: ${s.node} stays float: ${s.reason}\n`);
      for (const f of r.failedImages.slice(0, 5)) {
        process.stdout.write(`note: calibration image ${f.index} skipped: ${f.message} (${f.code})\n`);
      }
      process.stdout.write(`compare: die-inspect eval -m ${o.out} -m ${o.model} --data <held-out set>; `
        + `die-inspect bench -m ${o.model} -m ${o.out}\n`);
    });
}
