/** `die-inspect models`: the shipped models and their cards. */
import { existsSync, statSync } from 'fs';
import { Command } from 'commander';
import { listModels } from '../../models';
import { formatTable } from '../table';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the models shipped in models/ with their cards')
    .option('--json', 'print the cards as JSON')
    .action((o: { json?: boolean }) => {
      const cards = listModels();
      if (o.json) {
        process.stdout.write(JSON.stringify(cards, null, 2) + '\n');
        return;
      }
      if (!cards.length) {
        process.stdout.write('no models shipped in models/\n');
        return;
      }
      const rows = cards.map((c) => {
        const m = c.metrics as Record<string, number | undefined>;
        const main = m.map50 !== undefined ? `mAP50 ${m.map50.toFixed(3)}, mAP50-95 ${(m.map50_95 ?? NaN).toFixed(3)}`
          : m.auc !== undefined ? `AUC ${m.auc.toFixed(4)}`
            : m.iouMean !== undefined ? `seg ROI: IoU ${m.iouMean.toFixed(4)}, corner ${(m.cornerErrorMean ?? NaN).toFixed(2)} px` : '';
        const size = existsSync(c.file) ? `${(statSync(c.file).size / 1e6).toFixed(1)} MB` : 'missing';
        return [c.name, c.task, c.role, c.classes.join(','), main, size, c.default ? 'yes' : ''];
      });
      // Inputs and outputs are long: they are in the cards (--json) and models/README.md.
      process.stdout.write(formatTable(['name', 'task', 'role', 'classes', 'held-out metrics', 'size', 'default'], rows));
      process.stdout.write('cards: models/<name>.json and models/README.md\n');
    });
}
