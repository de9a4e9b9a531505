/**
 * `die-inspect dataset check SPLIT...`: duplicates, leaks across splits, broken images and labels, class balance; with -m, the
 * labels a model confidently disagrees with; --report writes an HTML page, --write-clean the images to keep.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { writeAtomically } from '../../runtime/atomic-write';
import { checkDataset, cleanListTargets, refuseDatasetFile, writeCleanLists } from '../../eval/dataset-check';
import { datasetSplits } from '../../eval/dataset-layouts';
import { balanceTable, datasetReportHtml, findingPlace } from '../../eval/dataset-report';
import { Finding, FINDING_KINDS, SplitFormat } from '../../eval/dataset-types';
import { noteEngineBuild, progressBar } from '../progress';
import { parseNumber, parseProviders, PROVIDERS_HELP } from '../options';
import { formatTable } from '../table';

interface DatasetCliOptions {
  format?: string;
  names?: string;
  near: string;
  model?: string;
  confident: string;
  ep: string;
  report?: string;
  writeClean?: string;
  json?: boolean;
}

const FORMATS: SplitFormat[] = ['yolo', 'coco', 'folders', 'csv'];
/** Findings the terminal names, of each list; --json and --report have them all. */
const LISTED = 20;

const where = (f: Finding) => `${f.split}: ${findingPlace(f)}`;

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('check a dataset before training on it');
  dataset
    .command('check')
    .description('find exact and near duplicates (within and across splits), unreadable images, missing and orphan labels, '
      + 'bad label lines and annotations, unknown classes, boxes outside the image, listed images not on disk; count each split\'s '
      + 'balance; with -m, the labels a model confidently disagrees with')
    .argument('<splits...>', 'a data.yaml (its train/val/test), or splits as NAME=PATH or PATH: YOLO folders, COCO JSON, '
      + 'folders of class folders, CSV of path,label')
    .option('--format <f>', `the layout of every PATH (${FORMATS.join('|')}); default: guessed for each`)
    .option('--names <list>', 'class names, comma-separated (default: from data.yaml; class folders and CSV: the first split\'s)')
    .option('--near <grey>', 'largest mean difference of two 16x16 grey thumbnails (0-255) that counts as a near duplicate', '2')
    .option('-m, --model <model>', 'a classifier or detector (path or shipped model name) or a classifier ensemble manifest '
      + '(a name such as default, or a .json): report the labels it confidently disagrees with')
    .option('--confident <p>', 'how sure the model must be to disagree with a label (0.5-1)', '0.9')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--report <file.html>', 'also write a self-contained HTML report: balance charts, findings with thumbnails')
    .option('--write-clean <list>', 'also write the images to keep as an image list (several splits: one each, LIST-SPLIT.txt)')
    .option('--json', 'print the findings and statistics as JSON')
    .action(async (args: string[], o: DatasetCliOptions) => {
      const near = parseNumber(o.near, '--near');
      const confident = parseNumber(o.confident, '--confident');
      if (confident < 0.5 || confident > 1) {
        throw new DieInspectError('ERR_INVALID_ARG', `--confident must be within [0.5, 1], got '${o.confident}'`);
      }
      if (o.format !== undefined && !FORMATS.includes(o.format as SplitFormat)) {
        throw new DieInspectError('ERR_INVALID_ARG', `--format must be one of ${FORMATS.join(', ')}, got '${o.format}'`);
      }
      const providers = parseProviders(o.ep);
      const { splits, classNames } = await datasetSplits(args, { format: o.format as SplitFormat | undefined });
      // what would be written over a file of the dataset is refused before any image is read
      if (o.report) refuseDatasetFile(splits, o.report, 'the report');
      if (o.writeClean) cleanListTargets(splits, o.writeClean);
      if (o.model) noteEngineBuild(providers);
      const bar = progressBar('check', 'images');
      let r;
      try {
        r = await checkDataset(splits, { classNames: o.names ? o.names.split(',') : classNames, near, model: o.model, confident, providers,
          onProgress: (done, total) => bar.update(done, total) });
      } finally {
        bar.stop();
      }
      const lists = o.writeClean ? await writeCleanLists(r, splits, o.writeClean) : undefined;
      if (o.report) {
        const html = await datasetReportHtml(r, { title: `Dataset check: ${args.map((a) => path.basename(a)).join(' ')}` });
        await fs.mkdir(path.dirname(path.resolve(o.report)), { recursive: true });
        await writeAtomically(o.report, html);
      }
      for (const f of r.model?.failed.slice(0, 10) ?? []) {
        process.stderr.write(`warning: the model failed on ${f.path}: ${f.error?.code}\n`);
      }
      if (o.json) {
        const written = { ...(lists ? { cleanLists: lists } : {}), ...(o.report ? { report: o.report } : {}) };
        // the model's failures with their codes and messages (an Error's message is no JSON of its own)
        const failed = r.model?.failed.map((f) => ({ path: f.path, code: f.error?.code, message: f.error?.message }));
        const model = r.model && { ...r.model, failed };
        process.stdout.write(JSON.stringify({ ...r, ...(model ? { model } : {}), ...written }) + '\n');
        return;
      }
      const balance = balanceTable(r);
      process.stdout.write(formatTable(balance.header, balance.rows));
      const count = (k: string, leak?: boolean) => r.findings
        .filter((f) => f.kind === k && (leak === undefined || !!f.leak === leak)).length;
      process.stdout.write('\n' + formatTable(['finding', 'count'], [
        ...FINDING_KINDS.filter((k) => k !== 'disagreement' || r.model).flatMap((k) => (k === 'duplicate' || k === 'near-duplicate'
          ? [[`${k} within a split`, count(k, false)], [`${k} across splits (leak)`, count(k, true)]] : [[k, count(k)]])),
      ]));
      const plain = r.findings.filter((f) => f.kind !== 'disagreement');
      for (const f of plain.slice(0, LISTED)) {
        process.stdout.write(`  ${f.kind.padEnd(14)} ${where(f)}${f.of ? ` = ${f.of.split}: ${f.of.path}` : ''} (${f.detail})\n`);
      }
      if (plain.length > LISTED) process.stdout.write(`  ... ${plain.length - LISTED} more (--json lists them all)\n`);
      if (r.model) {
        const d = r.findings.filter((f) => f.kind === 'disagreement');
        process.stdout.write(`\n${r.model.name} on ${r.model.images} images: ${d.length} confident `
          + `disagreement${d.length === 1 ? '' : 's'} `
          + `(${r.model.confident} sure or more)${d.length ? ', most confident first' : ''}`
          + `${r.model.failed.length ? `; it failed on ${r.model.failed.length} images` : ''}\n`);
        for (const f of d.slice(0, LISTED)) process.stdout.write(`  ${f.score!.toFixed(3)}  ${where(f)}: ${f.says}\n`);
        if (d.length > LISTED) process.stdout.write(`  ... ${d.length - LISTED} more (--json lists them all)\n`);
      }
      for (const l of lists ?? []) process.stdout.write(`wrote ${l.file}: ${l.images} images of ${l.split} (${l.dropped} left out)\n`);
      if (o.report) process.stdout.write(`wrote ${o.report}\n`);
    });
}
