/** `die-inspect dataset check SPLIT...`: duplicates, leaks across splits, broken images and labels, class balance. */
import { Command } from 'commander';
import { checkDataset, datasetSplits, FindingKind } from '../../eval/dataset-check';
import { parseNumber } from '../options';
import { progressBar } from '../progress';
import { formatTable } from '../table';

interface DatasetCliOptions {
  names?: string;
  near: string;
  json?: boolean;
}

const KINDS: FindingKind[] = ['duplicate', 'near-duplicate', 'corrupt-image', 'missing-label', 'orphan-label', 'bad-label',
  'unknown-class', 'box-outside', 'zero-area'];

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('check a dataset before training on it');
  dataset
    .command('check')
    .description('find exact and near duplicates (within and across splits), undecodable images, missing and orphan '
      + 'label files, bad label lines, unknown classes, boxes outside the image; count each split\'s balance')
    .argument('<splits...>', 'a data.yaml (its train/val/test), or YOLO folders as NAME=DIR or DIR')
    .option('--names <list>', 'class names, comma-separated (default: from data.yaml)')
    .option('--near <grey>', 'largest mean difference of two 16x16 grey thumbnails (0-255) that counts as a near duplicate', '2')
    .option('--json', 'print the findings and statistics as JSON')
    .action(async (args: string[], o: DatasetCliOptions) => {
      const near = parseNumber(o.near, '--near');
      const { splits, classNames } = await datasetSplits(args);
      const bar = progressBar('check', 'images');
      let r;
      try {
        r = await checkDataset(splits, { classNames: o.names ? o.names.split(',') : classNames, near,
          onProgress: (done, total) => bar.update(done, total) });
      } finally {
        bar.stop();
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const names = [...new Set(r.splits.flatMap((s) => Object.keys(s.boxes)))].sort();
      process.stdout.write(formatTable(['split', 'images', 'defect-free', ...names.map((n) => `${n} boxes`), 'small', 'medium', 'large'],
        r.splits.map((s) => [s.split, s.images, s.defectFree, ...names.map((n) => s.boxes[n] ?? 0),
          s.sizes.small, s.sizes.medium, s.sizes.large])));
      const count = (k: FindingKind, leak?: boolean) => r.findings
        .filter((f) => f.kind === k && (leak === undefined || !!f.leak === leak)).length;
      process.stdout.write('\n' + formatTable(['finding', 'count'], [
        ...KINDS.flatMap((k) => (k === 'duplicate' || k === 'near-duplicate'
          ? [[`${k} within a split`, count(k, false)], [`${k} across splits (leak)`, count(k, true)]] : [[k, count(k)]])),
      ]));
      for (const f of r.findings.slice(0, 20)) {
        process.stdout.write(`  ${f.kind.padEnd(14)} ${f.split}: ${f.path}${f.line ? `:${f.line}` : ''}`
          + `${f.of ? ` = ${f.of.split}: ${f.of.path}` : ''} (${f.detail})\n`);
      }
      if (r.findings.length > 20) process.stdout.write(`  ... ${r.findings.length - 20} more (--json lists them all)\n`);
    });
}
