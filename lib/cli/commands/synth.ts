/** `die-inspect synth --out DIR --count N --seed S [--gan-dies MODEL] [--gan-packages MODEL]`: write a synthetic die dataset. */
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { ACQUISITION_MODES, AcquisitionMode } from '../../stages/roi/base';
import { synthesize } from '../../tools/synth';
import { nonNegativeInt, parseNumber, parseProviders, PROVIDERS_HELP } from '../options';
import { progressBar } from '../progress';

interface SynthCliOptions {
  out: string;
  count: string;
  seed: string;
  size: string;
  modes: string;
  crops?: boolean;
  masks?: boolean;
  boardsOnly?: boolean;
  goodFraction?: string;
  ganDies?: string;
  ganShare?: string;
  ganPackages?: string;
  ep: string;
  json?: boolean;
}

function parseSize(text: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new DieInspectError('ERR_INVALID_ARG', `--size must look like 1280x960, got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

function parseModes(text: string): AcquisitionMode[] {
  const names = text === 'all' ? ACQUISITION_MODES : text.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!ACQUISITION_MODES.includes(n as AcquisitionMode)) {
      throw new DieInspectError('ERR_INVALID_ARG', `unknown mode '${n}' (${ACQUISITION_MODES.join(', ')} or all)`);
    }
  }
  return names as AcquisitionMode[];
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('render a seeded synthetic dataset of IC packages with die defects and full ground truth')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('-n, --count <n>', 'number of parts', '100')
    .option('-s, --seed <s>', 'random seed (same seed, same dataset)', '0')
    .option('--size <WxH>', 'image size', '1280x960')
    .option('--modes <list>', `acquisition modes per part: ${ACQUISITION_MODES.join(',')} or all`, 'brightfield')
    .option('--crops', 'also write upright crops as a YOLO dataset (crops/)')
    .option('--masks', 'also write package masks (masks/)')
    .option('--boards-only', 'the board alone, no package (training images for a background generator)')
    .option('--good-fraction <f>', 'fraction of defect-free parts', '0.3333')
    .option('--gan-dies <model>', 'a die-defect generator (ONNX, task gan-dies): generated defects on a share of the defective parts')
    .option('--gan-share <f>', 'with --gan-dies: fraction of the defective parts whose defect is generated (default 0.3)')
    .option('--gan-packages <model>', 'a board generator (ONNX, task gan-packages): generated boards behind the packages')
    .option('--ep <providers>', `the generators' ${PROVIDERS_HELP}`, 'cpu')
    .option('--json', 'print the summary as JSON')
    .action(async (o: SynthCliOptions) => {
      const count = nonNegativeInt(o.count, '--count');
      const seed = nonNegativeInt(o.seed, '--seed');
      const [width, height] = parseSize(o.size);
      if (o.ganShare !== undefined && o.ganDies === undefined) {
        throw new DieInspectError('ERR_INVALID_ARG', '--gan-share needs --gan-dies');
      }
      const share = o.ganShare === undefined ? undefined : parseNumber(o.ganShare, '--gan-share');
      if (share !== undefined && !(share >= 0 && share <= 1)) {
        throw new DieInspectError('ERR_INVALID_ARG', `--gan-share must lie in [0, 1], got '${o.ganShare}'`);
      }
      const providers = parseProviders(o.ep);
      const bar = progressBar('synth', 'parts');
      let summary;
      try {
        summary = await synthesize({
          out: o.out, count, seed, width, height, modes: parseModes(o.modes), crops: o.crops, masks: o.masks, boardsOnly: o.boardsOnly,
          goodFraction: o.goodFraction === undefined ? undefined : parseNumber(o.goodFraction, '--good-fraction'),
          ganDies: o.ganDies === undefined ? undefined : { model: o.ganDies, share },
          ganPackages: o.ganPackages === undefined ? undefined : { model: o.ganPackages },
          session: { providers },
          onProgress: (done, total) => bar.update(done, total),
        });
      } finally {
        bar.stop();
      }
      if (o.json) {
        process.stdout.write(JSON.stringify({ out: o.out, seed, ...summary }) + '\n');
      } else {
        const d = Object.entries(summary.defects).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
        const { dies, packages } = summary.gan ?? {};
        const made = [...(dies ? [`${dies.defects} defects by ${dies.model}`] : []),
          ...(packages ? [`${packages.boards} boards by ${packages.model}`] : [])];
        process.stdout.write(`wrote ${summary.images} images (${summary.parts} parts) to ${o.out} in ${summary.seconds.toFixed(2)} s: ` +
          `${summary.imagesPerSec.toFixed(1)} images/s at ${width}x${height}; defects: ${d}` +
          `${made.length ? `; generated: ${made.join(', ')}` : ''}\n`);
      }
    });
}
