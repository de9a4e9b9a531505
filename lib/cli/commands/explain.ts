/**
 * `die-inspect explain -m MODEL <images...> --out DIR`: saliency maps of a classifier, an
 * ensemble manifest or a detector, as heat overlays and 16-bit PNG maps, with explain.json.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { writeAtomically } from '../../runtime/atomic-write';
import { modelTask } from '../../runtime/metadata';
import { ModelSession } from '../../runtime/session';
import { Classifier } from '../../stages/classifier';
import { Detector } from '../../stages/detector';
import { ClassifierEnsemble } from '../../stages/ensemble';
import { manifestExists } from '../../stages/ensemble-manifest';
import type { ExplainOptions, SaliencyMethod } from '../../stages/saliency';
import { ExplainRecord, writeExplanation } from '../../pipeline/explain-files';
import { expandImageArgs, outsideOf } from '../files';
import { noteEngineBuild, progressBar } from '../progress';
import {
  autoOrientOption, failOnOption,
  InputLimitFlags, limitInputPixelsOption, nonNegativeInt, parseInputLimits, parseNumber, parseProviders, positiveInt,
  PROVIDERS_HELP,
} from '../options';

interface ExplainCliOptions extends InputLimitFlags {
  model?: string;
  ensemble?: string;
  out: string;
  method?: string;
  target?: string;
  shifts?: string;
  masks?: string;
  cells?: string;
  grid?: string;
  mapSide: string;
  conf: string;
  ep: string;
  json?: boolean;
}

const METHODS: SaliencyMethod[] = ['cam', 'rise', 'occlusion'];

function explainOptions(o: ExplainCliOptions): ExplainOptions {
  if (o.method !== undefined && !METHODS.includes(o.method as SaliencyMethod)) {
    throw new DieInspectError('ERR_INVALID_ARG', `--method must be ${METHODS.join(', ')}, not ${o.method}`);
  }
  const target = o.target === undefined ? undefined : /^\d+$/.test(o.target) ? Number(o.target) : o.target;
  return {
    method: o.method as SaliencyMethod | undefined, target,
    shifts: o.shifts ? positiveInt(o.shifts, '--shifts') : undefined,
    masks: o.masks ? positiveInt(o.masks, '--masks') : undefined,
    cells: o.cells ? positiveInt(o.cells, '--cells') : undefined,
    grid: o.grid ? positiveInt(o.grid, '--grid') : undefined,
    mapSide: nonNegativeInt(o.mapSide, '--map-side'),
  };
}

/** The model to explain with: an ensemble manifest, or a classifier or detector as its outputs say. */
async function openModel(o: ExplainCliOptions): Promise<Classifier | ClassifierEnsemble | Detector> {
  const providers = parseProviders(o.ep);
  noteEngineBuild(providers);
  const limits = parseInputLimits(o);
  if (o.ensemble) return ClassifierEnsemble.create(o.ensemble, { providers, ...limits });
  const model = o.model as string;
  if (!/\.onnx$/i.test(model) && manifestExists(model)) return ClassifierEnsemble.create(model, { providers, ...limits });
  const probe = await ModelSession.create(model, { providers });
  const task = modelTask(probe.info);
  probe.close();
  if (task === 'classify') return Classifier.create(model, { providers, ...limits });
  if (task === 'detect') return Detector.create(model, { providers, conf: parseNumber(o.conf, '--conf'), ...limits });
  throw new DieInspectError('ERR_INVALID_ARG', `${model} is neither a classifier nor a detector (metadata task or output shape)`);
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('saliency maps: where a classifier\'s class or each detection rests in the image, as heat overlays')
    .argument('<images...>', 'image files, directories or glob patterns')
    .option('-m, --model <model>', 'a classifier or detector (file or shipped name), or an ensemble manifest name')
    .option('--ensemble <manifest>', 'an ensemble manifest (path or name): the members\' maps, averaged')
    .requiredOption('--out <dir>', 'where to write <index>-<name>.explain.jpg, .map.png and explain.json')
    .option('--method <m>', 'cam (classifiers with a feature output: the default), occlusion (the default otherwise, '
      + 'and for detectors) or rise')
    .option('--target <class>', 'classifiers: the class to explain, by name or index (default: the predicted class)')
    .option('--shifts <n>', 'cam: sub-cell shifts per axis (n^2 model calls per batch; 1: the plain map)', undefined)
    .option('--masks <n>', 'rise: random masks per image', undefined)
    .option('--cells <n>', 'rise: mask grid cells per side', undefined)
    .option('--grid <n>', 'occlusion: cells per side, each hidden in turn', undefined)
    .option('--map-side <px>', 'longest side of each map (0: the image\'s own size)', '512')
    .option('--conf <c>', 'detectors: the score a detection needs to be explained', '0.25')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--json', 'one JSON line per image (the explain.json record)')
    .addOption(limitInputPixelsOption())
    .addOption(failOnOption())
    .addOption(autoOrientOption())
    .action(async (patterns: string[], o: ExplainCliOptions) => {
      if (!o.model === !o.ensemble) throw new DieInspectError('ERR_INVALID_ARG', 'give one of -m/--model and --ensemble');
      const options = explainOptions(o);
      const files = outsideOf(await expandImageArgs(patterns), o.out, patterns);
      await fs.mkdir(o.out, { recursive: true });
      const model = await openModel(o);
      const limits = parseInputLimits(o);
      const records: ExplainRecord[] = [];
      const bar = o.json ? null : progressBar('explain', 'images');
      try {
        for (let i = 0; i < files.length; i += 16) {
          const batch = files.slice(i, i + 16);
          const explained = await model.explain(batch, options);
          const written = await Promise.all(explained.map((e, k) => writeExplanation(o.out, i + k, batch[k], e, limits)));
          for (const r of written) {
            records.push(r);
            if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
          }
          bar?.update(Math.min(i + 16, files.length), files.length);
        }
      } finally {
        bar?.stop();
        model.close();
      }
      await writeAtomically(path.join(o.out, 'explain.json'), JSON.stringify(records, null, 1) + '\n');
      if (o.json) return;
      for (const r of records) {
        if (r.error) process.stdout.write(`${r.path}: error ${r.error.code}: ${r.error.message}\n`);
        else if (!r.maps.length) process.stdout.write(`${r.path}: nothing to explain (no detections)\n`);
        for (const m of r.maps) {
          const box = m.box ? ` [${m.box.map((v) => v.toFixed(0)).join(', ')}]` : '';
          process.stdout.write(`${r.path}: ${m.label} ${m.score.toFixed(3)}${box}`
            + ` peak (${m.peak.x.toFixed(0)}, ${m.peak.y.toFixed(0)}) -> ${m.overlay}\n`);
        }
      }
      process.stderr.write(`maps of ${records.length} images in ${o.out}/ (explain.json lists them)\n`);
    });
}
