/** `die-inspect ensemble -m A -m B ... --data VAL --out FILE.json`: fit how classifiers are combined and write the manifest. */
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { readClassificationDataset } from '../../eval/datasets';
import { CalibrationChoice, ENSEMBLE_CANDIDATES, EnsembleCandidate } from '../../eval/ensemble-choice';
import { fitEnsemble } from '../../eval/run-ensemble-fit';
import { writeAtomically } from '../../runtime/atomic-write';
import { fmt, withProgress } from '../eval-shared';
import { nonNegativeInt, parseNumber, parseProviders, positiveInt, PROVIDERS_HELP } from '../options';
import { formatTable } from '../table';

interface EnsembleCliOptions {
  model: string[];
  data: string;
  out: string;
  positive?: string;
  candidates: string;
  calibration: string;
  folds: string;
  seed: string;
  name?: string;
  budgetMs?: string;
  costMs?: string;
  imgsz?: string;
  batch?: string;
  ep: string;
  json?: boolean;
}

const CALIBRATIONS: CalibrationChoice[] = ['auto', 'temperature', 'isotonic', 'none'];

export function registerEnsemble(program: Command): void {
  program
    .command('ensemble')
    .description('fit how two-class classifiers are combined (equal or fitted weights, logit or rank mean) and calibrated, '
      + 'on validation data, and write the ensemble manifest that the Inspector and eval --ensemble read')
    .requiredOption('-m, --model <file>', 'a member classifier (name or path; repeat for each member)',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .requiredOption('-d, --data <path>', 'validation data: class folders or a CSV of path,label (never the split you report on)')
    .requiredOption('-o, --out <file>', 'where to write the manifest (JSON)')
    .option('--positive <class>', 'the positive class, by name or id (default 1)')
    .option('--candidates <list>', 'the combinations compared', ENSEMBLE_CANDIDATES.join(','))
    .option('--calibration <c>',
      'after combining: auto (temperature or isotonic, whichever cross-validates better), temperature, isotonic or none', 'auto')
    .option('--folds <k>', 'cross-validation folds on the validation data', '5')
    .option('--seed <s>', 'seed of the fold assignment', '1')
    .option('--name <name>', 'the ensemble\'s name, kept in the manifest')
    .option('--budget-ms <ms>', 'the most the members may cost together, milliseconds an image: every set of members within it is tried')
    .option('--cost-ms <list>', 'with --budget-ms: each member\'s cost (comma-separated, in -m order) instead of measuring it here')
    .option('--imgsz <n>', 'input size for models with dynamic height/width')
    .option('--batch <n>', 'images per model call')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--json', 'print the comparison as JSON')
    .action(async (o: EnsembleCliOptions) => {
      if (!o.model.length) throw new DieInspectError('ERR_INVALID_ARG', 'ensemble: give each member with -m');
      const candidates = o.candidates.split(',').map((c) => c.trim()).filter(Boolean) as EnsembleCandidate[];
      const bad = candidates.find((c) => !ENSEMBLE_CANDIDATES.includes(c));
      if (bad !== undefined || !candidates.length) {
        throw new DieInspectError('ERR_INVALID_ARG', `--candidates: some of ${ENSEMBLE_CANDIDATES.join(', ')}, got '${o.candidates}'`);
      }
      if (!CALIBRATIONS.includes(o.calibration as CalibrationChoice)) {
        throw new DieInspectError('ERR_INVALID_ARG', `--calibration must be one of ${CALIBRATIONS.join(', ')}, got '${o.calibration}'`);
      }
      const folds = positiveInt(o.folds, '--folds');
      const seed = nonNegativeInt(o.seed, '--seed');
      const budget = o.budgetMs === undefined ? undefined : parseNumber(o.budgetMs, '--budget-ms');
      const costs = o.costMs === undefined ? undefined : o.costMs.split(',').map((v) => parseNumber(v, '--cost-ms'));
      if (costs && budget === undefined) throw new DieInspectError('ERR_INVALID_ARG', '--cost-ms goes with --budget-ms');
      if (costs && costs.length !== o.model.length) {
        throw new DieInspectError('ERR_INVALID_ARG', `--cost-ms: one cost per member (${o.model.length}), got ${costs.length}`);
      }
      const data = await readClassificationDataset(o.data);
      const fit = await withProgress(() => '', (onProgress) => fitEnsemble(o.model, data, {
        classifier: {
          providers: parseProviders(o.ep), imgsz: o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined,
          maxBatch: o.batch ? positiveInt(o.batch, '--batch') : undefined,
        },
        positive: o.positive, candidates, calibration: o.calibration as CalibrationChoice, folds, seed, budget, costs,
        manifestFile: o.out, name: o.name, dataLabel: o.data, onProgress,
      }));
      for (const f of fit.failed.slice(0, 10)) process.stderr.write(`warning: skipped ${f.path}: ${f.error?.code ?? 'a member failed'}\n`);
      await writeAtomically(o.out, JSON.stringify(fit.manifest, null, 2) + '\n');
      const c = fit.choice;
      if (o.json) {
        process.stdout.write(JSON.stringify({ out: o.out, chosen: c.chosen.candidate, rule: fit.manifest.rule,
          weights: fit.manifest.members.map((m) => m.weight), calibration: fit.manifest.calibration, fit: fit.manifest.fit }) + '\n');
        return;
      }
      process.stdout.write(`${c.samples} validation images, ${c.folds}-fold cross-validation (seed ${c.seed}):\n`);
      const spent = fit.manifest.fit?.costsMs as number[] | undefined;
      const full = c.candidates.filter((x) => x.members.length === o.model.length);
      if (spent) {
        const sets = new Set(c.candidates.map((x) => x.members.join(','))).size;
        process.stdout.write(`costs ${spent.map((v) => v.toFixed(2)).join(', ')} ms an image; ${sets} member sets within ${budget} ms`
          + `${full.length ? '' : ' (not all the members)'}\n`);
      }
      const row = (name: string, f: { logLoss: number; auc: number; ece: number }, cal: string) =>
        [name, fmt(f.logLoss, 4), fmt(f.auc, 5), fmt(f.ece, 4), cal];
      process.stdout.write(formatTable(['combination', 'log-loss', 'AUC', 'ECE', 'calibration'], [
        ...c.members.map((f, i) => row(`member ${o.model[i]}`, f, '')),
        ...[...full, ...(full.includes(c.chosen) ? [] : [c.chosen])].map((x) => row(
          x.candidate + (x.members.length < o.model.length ? ` of ${x.members.map((j) => o.model[j]).join(' + ')}` : '')
          + (x === c.chosen ? ' (chosen)' : ''), x.crossValidated, x.combination.calibration?.method ?? 'none')),
      ]));
      const cal = fit.manifest.calibration;
      const calText = !cal ? 'none'
        : cal.method === 'temperature' ? `temperature ${cal.temperature.toFixed(3)}` : `isotonic (${cal.x.length} points)`;
      process.stdout.write(`chosen: ${c.chosen.candidate} (rule ${fit.manifest.rule}, members `
        + `${fit.manifest.members.map((m) => `${m.model} ${m.weight.toFixed(3)}`).join(', ')}; calibration ${calText})\nwrote ${o.out}\n`);
    });
}
