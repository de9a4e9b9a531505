/** `die-inspect models`: the shipped models and their cards. */
import { existsSync, statSync } from 'fs';
import { Command } from 'commander';
import { listModels, modelCatalog } from '../../runtime/models';
import { formatTable } from '../table';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the installed models with their cards, and the model packages not installed')
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
            : m.iouMean !== undefined ? `seg ROI: IoU ${m.iouMean.toFixed(4)}, corner ${(m.cornerErrorMean ?? NaN).toFixed(2)} px`
              : m.fid !== undefined ? `FID ${m.fid.toFixed(1)}, seam ratio ${(m.seamRatio ?? NaN).toFixed(3)}`
                : c.task === 'gan-dies' ? Object.entries(c.metrics as Record<string, { fid: number }>)
                  .map(([k, v]) => `${k} FID ${v.fid.toFixed(1)}`).join(', ') : '';
        const size = existsSync(c.file) ? `${(statSync(c.file).size / 1e6).toFixed(1)} MB` : 'missing';
        return [c.name, c.task, c.role, c.classes.join(','), main, size, c.default ? 'yes' : '', c.package];
      });
      // Inputs and outputs are long: they are in the cards (--json) and models/README.md.
      process.stdout.write(formatTable(['name', 'task', 'role', 'classes', 'held-out metrics', 'size', 'default', 'package'], rows));
      process.stdout.write('cards: <name>.json beside each model (--json prints them)\n');
      const installed = new Set(cards.map((c) => c.package));
      for (const [pkg, models] of Object.entries(modelCatalog())) {
        if (!installed.has(pkg)) process.stdout.write(`not installed: ${pkg} (${Object.keys(models).join(', ')}): npm install ${pkg}\n`);
      }
    });
}
