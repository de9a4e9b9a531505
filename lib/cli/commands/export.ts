/** `die-inspect export --db FILE`: reviewed parts as a training set (`--reviewed --out DIR`), parts as a CSV (`--csv FILE`). */
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { exportPartsCsv, exportReviewed } from '../../pipeline/records/export';
import { openRecorder } from '../../pipeline/records/sqlite';
import type { PartQuery } from '../../pipeline/records/types';
import type { Verdict } from '../../pipeline/inspection-types';
import { positiveInt } from '../options';

interface ExportCliOptions {
  db: string;
  reviewed?: boolean;
  out?: string;
  csv?: string;
  verdict?: string;
  class?: string;
  lot?: string;
  station?: string;
  camera?: string;
  run?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

const VERDICTS: Verdict[] = ['pass', 'fail', 'skipped', 'error'];

function queryOf(o: ExportCliOptions): PartQuery {
  if (o.verdict !== undefined && !VERDICTS.includes(o.verdict as Verdict)) {
    throw new DieInspectError('ERR_INVALID_ARG', `--verdict must be pass, fail, skipped or error, got '${o.verdict}'`);
  }
  for (const k of ['from', 'to'] as const) {
    if (o[k] !== undefined && Number.isNaN(new Date(o[k]!).getTime())) {
      throw new DieInspectError('ERR_INVALID_ARG', `--${k} must be a date or time (2025-03-01, 2025-03-01T06:00Z), got '${o[k]}'`);
    }
  }
  const q: PartQuery = {
    verdict: o.verdict as Verdict | undefined, class: o.class, lot: o.lot, station: o.station, camera: o.camera,
    run: o.run === undefined ? undefined : positiveInt(o.run, '--run'), from: o.from, to: o.to,
  };
  for (const k of Object.keys(q) as Array<keyof PartQuery>) if (q[k] === undefined) delete q[k];
  return q;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('out of a records store: reviewed parts as a YOLO crops dataset and good/defect CSV (--reviewed --out), '
      + 'or parts as a CSV for spreadsheets (--csv)')
    .requiredOption('--db <file>', 'the records store (inspect --db)')
    .option('--reviewed', 'the reviewed parts as OUT/crops: images/, labels/, data.yaml, good_defect.csv (with --out)')
    .option('-o, --out <dir>', 'with --reviewed: the folder to write')
    .option('--csv <file>', 'the parts as one CSV, a row a part (with its latest review)')
    .option('--verdict <v>', 'only parts of this effective verdict (pass, fail, skipped, error; a review\'s verdict counts)')
    .option('--class <label>', 'only parts with a defect of this class (reviewed boxes, else the detections)')
    .option('--lot <lot>', 'only parts of this lot')
    .option('--station <station>', 'only parts of this station')
    .option('--camera <camera>', 'only parts of this camera')
    .option('--run <id>', 'only parts of this run')
    .option('--from <time>', 'only parts inspected at or after this time (ISO 8601)')
    .option('--to <time>', 'only parts inspected before this time (ISO 8601)')
    .option('--json', 'print what was written as JSON')
    .action(async (o: ExportCliOptions) => {
      if (!o.reviewed && !o.csv) {
        throw new DieInspectError('ERR_INVALID_ARG', 'export: say what to write: --reviewed --out DIR, --csv FILE, or both');
      }
      if (o.reviewed && !o.out) throw new DieInspectError('ERR_INVALID_ARG', 'export --reviewed needs --out DIR');
      if (o.out && !o.reviewed) throw new DieInspectError('ERR_INVALID_ARG', '--out goes with --reviewed');
      const query = queryOf(o);
      const recorder = await openRecorder(o.db);
      try {
        const report: Record<string, unknown> = { db: o.db };
        if (o.csv) {
          report.csv = { file: o.csv, parts: await exportPartsCsv(recorder, o.csv, query) };
          if (!o.json) process.stdout.write(`${(report.csv as { parts: number }).parts} parts -> ${o.csv}\n`);
        }
        if (o.reviewed) {
          const r = await exportReviewed(recorder, o.out!, query);
          report.reviewed = r;
          if (!o.json) {
            process.stdout.write(`${r.written.good + r.written.defective} reviewed parts -> ${r.crops} (${r.written.good} good, `
              + `${r.written.defective} defective; classes ${r.classes.join(', ') || '(none)'})\n`);
            if (r.skipped.length) {
              process.stdout.write(`${r.skipped.length} reviewed part${r.skipped.length === 1 ? '' : 's'} left out:\n`);
              for (const s of r.skipped) process.stdout.write(`  part ${s.partId} ${s.imagePath}: ${s.reason}\n`);
            }
          }
        }
        if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
      } finally {
        await recorder.close();
      }
    });
}
