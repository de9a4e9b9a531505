/** `die-inspect inspect <images...> --out DIR`: the main job. */
import { createWriteStream, promises as fs } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { InspectionResult, Inspector, InspectorConfig } from '../../pipeline/inspector';
import { resultRecord, SummaryBuilder, writeAnnotated } from '../../pipeline/report';
import { DieInspectError } from '../../core/errors';
import { resolveModel } from '../../runtime/models';
import type { RoiOptions } from '../../stages/roi/base';
import { expandImageArgs, outsideOf } from '../files';
import { resumeAcross, resumeResults, watchImages } from '../watch';
import { parseMeta } from '../../pipeline/records/part-meta';
import { openRecorder, SqliteRecorder } from '../../pipeline/records/sqlite';
import type { PartMeta } from '../../pipeline/records/types';
import {
  InputLimitFlags, autoOrientOption, failOnOption,
  limitInputPixelsOption, nonNegativeInt, parseInputLimits, parseNumber, PROVIDERS_HELP, parseProviders,
  positiveInt,
} from '../options';
import { noteEngineBuild, progressBar } from '../progress';
import { formatTable } from '../table';

interface InspectCliOptions extends InputLimitFlags {
  out: string;
  /** A model, or false with --no-detector. */
  detector?: string | false;
  classifier?: string[];
  ensemble?: string;
  /** false with --no-classifiers. */
  classifiers?: boolean;
  roi: string;
  roiModel?: string;
  samEncoder?: string;
  samDecoder?: string;
  ep: string;
  imgsz?: string;
  batch: string;
  conf: string;
  defectThreshold: string;
  dieTolerance: string;
  allModes?: boolean;
  annotate: boolean;
  explain?: boolean;
  json?: boolean;
  watch?: boolean;
  settle: string;
  db?: string;
  meta?: string;
  /** false with --no-sidecars. */
  sidecars: boolean;
}

/** ERR_WRITE for an output file the system would not take more of. */
function writeFailed(file: string, err: NodeJS.ErrnoException): DieInspectError {
  const why = err.code === 'ENOSPC' ? 'no space left on the device' : err.message;
  return new DieInspectError('ERR_WRITE', `cannot write ${file}: ${why}${err.code ? ` (${err.code})` : ''}; the lines written `
    + 'before it stay, and inspect --watch with the same --out carries on from them', { cause: err });
}

function roiOptions(o: InspectCliOptions): RoiOptions {
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new DieInspectError('ERR_INVALID_ARG', `--roi ${o.roi} needs ${flag}`);
    return resolveModel(v);
  };
  if (o.roi === 'contour') return { strategy: 'contour' };
  // Without --roi-model the shipped package segmenter / box-prompt detector is used.
  const roiModel = o.roiModel ? resolveModel(o.roiModel) : undefined;
  if (o.roi === 'seg') return { strategy: 'seg', model: roiModel };
  if (o.roi === 'sam') {
    return {
      strategy: 'sam', detector: roiModel, encoder: need(o.samEncoder, '--sam-encoder'), decoder: need(o.samDecoder, '--sam-decoder'),
    };
  }
  throw new DieInspectError('ERR_INVALID_ARG', `--roi must be contour, seg or sam, got '${o.roi}'`);
}

/**
 * The images to inspect: the expanded arguments, or (watching) the folders' images
 * as they land until SIGINT/SIGTERM, after which the images in flight are finished
 * and the summary written; a second signal quits at once.
 */
async function inputSource(patterns: string[], settleMs: number | undefined, skip: ReadonlySet<string>, out: string) {
  if (settleMs === undefined) {
    const files = outsideOf(await expandImageArgs(patterns), out, patterns);
    return { images: files as Iterable<string> | AsyncIterable<string>, total: files.length as number | undefined, stop: () => undefined };
  }
  const stopper = new AbortController();
  const onSignal = () => {
    if (stopper.signal.aborted) process.exit(130);
    process.stderr.write('stopping: finishing the images in flight (again to quit now)\n');
    stopper.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stderr.write(`watching ${patterns.join(', ')} (Ctrl-C to stop)\n`);
  return {
    images: watchImages(patterns, { signal: stopper.signal, settleMs, skip, ignore: [out] }),
    total: undefined,
    // Also when the stream ends in an error: the watchers must close for the process to exit.
    stop: () => {
      stopper.abort();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** How many failed parts the terminal summary names; results.jsonl has them all. */
const LISTED_FAILURES = 20;

/** One part at a glance: verdict, file, reasons (watch's line per part, and the summary's list of failures). */
function partLine(r: InspectionResult): string {
  return `${r.verdict.padEnd(7)} ${r.path}${r.reasons.length ? `  ${r.reasons.join('; ')}` : ''}`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('inspect IC images: mode filter, ROI, defect detector, die angle, classifier ensemble, verdict')
    .argument('<images...>', 'image files, directories or glob patterns')
    .requiredOption('-o, --out <dir>', 'output directory (results.jsonl, annotated/, summary.json)')
    .option('--detector <model>', 'defect detector (path or shipped model name; default: the shipped one)')
    .option('--no-detector', 'skip the defect detector')
    .option('--classifier <model...>', 'good/defect classifiers, averaged (default: the shipped ensemble manifest)')
    .option('--ensemble <manifest>', 'an ensemble manifest (path or name) for the classifier stage')
    .option('--no-classifiers', 'skip the classifier ensemble')
    .option('--roi <strategy>', 'ROI strategy: contour, seg, sam', 'contour')
    .option('--roi-model <model>', 'seg: the YOLO-seg package model; sam: the box-prompt detector (default: the shipped ones)')
    .option('--sam-encoder <model>', 'sam: SAM image encoder ONNX')
    .option('--sam-decoder <model>', 'sam: SAM prompt decoder ONNX')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--imgsz <n>', "defect detector input size (default: the model's own; 640 for the shipped one)")
    .option('--batch <n>', 'images per batch', '16')
    .option('--conf <c>', 'lowest detection score reported', '0.25')
    .option('--defect-threshold <p>', 'ensemble defect probability that fails a part', '0.5')
    .option('--die-tolerance <deg>', '|die angle| that fails a part as die_rotation', '1')
    .option('--all-modes', 'inspect darkfield images too (default: brightfield only)')
    .option('--no-annotate', 'do not write annotated images')
    .option('--explain', 'on failed parts, blend the classifier ensemble\'s saliency map of the defect class over the '
      + 'annotated picture (and record its peak in results.jsonl)')
    .option('--json', 'print the summary as JSON')
    .addOption(limitInputPixelsOption())
    .addOption(failOnOption())
    .addOption(autoOrientOption())
    .option('--watch', 'keep watching the given folders: inspect what is there, then each new image as it lands, until Ctrl-C')
    .option('--settle <ms>', 'with --watch: how long a new file must stay unchanged before it is read', '250')
    .option('--db <file>', 'also record each part in this SQLite records store (made if missing; docs/records.md)')
    .option('--meta <key=value,...>', 'with --db: metadata of every part (lot, station, camera, part, and any other key)')
    .option('--no-sidecars', 'with --db: do not read IMAGE.EXT.json / IMAGE.json metadata beside each image')
    .action(async (patterns: string[], o: InspectCliOptions) => {
      if (o.ensemble && o.classifier) throw new DieInspectError('ERR_INVALID_ARG', '--ensemble and --classifier: give one of them');
      if (o.meta !== undefined && !o.db) throw new DieInspectError('ERR_INVALID_ARG', '--meta needs --db (the store it goes in)');
      const meta = o.meta === undefined ? undefined : parseMeta(o.meta);
      const resultsFile = path.join(o.out, 'results.jsonl');
      // The store first: a path it cannot write or a file that is not a store fails before any model loads.
      const recorder = o.db ? await openRecorder(o.db) : null;
      try {
        await inspectInto(patterns, o, resultsFile, recorder, meta);
      } finally {
        await recorder?.close();
      }
    });
}

/**
 * `inspect --watch DIRS --db FILE --out OUT` with every other option at its default, in
 * this process: what `serve --watch` runs beside the station. Ends when the watch does
 * (SIGINT, SIGTERM).
 */
export async function watchIntoStore(dirs: string[], db: string, out: string): Promise<void> {
  const program = new Command();
  registerInspect(program);
  const defaults = program.commands[0].opts() as InspectCliOptions;
  const o: InspectCliOptions = { ...defaults, out, db, watch: true };
  const recorder = await openRecorder(db);
  try {
    await inspectInto(dirs, o, path.join(out, 'results.jsonl'), recorder, undefined);
  } finally {
    await recorder.close();
  }
}

async function inspectInto(patterns: string[], o: InspectCliOptions, resultsFile: string, recorder: SqliteRecorder | null,
  meta: PartMeta | undefined): Promise<void> {
  // Watching carries on from an earlier run into the same --out (and --db): its records stay, its images are not redone.
  const { skip, lineWritten } = resumeAcross(o.watch ? await resumeResults(resultsFile) : [],
    o.watch && recorder ? await recorder.recordedPaths() : null);
  const earlier = skip.length + lineWritten.size;
  const source = await inputSource(patterns, o.watch ? nonNegativeInt(o.settle, '--settle') : undefined, new Set(skip), o.out);
  const config: InspectorConfig = {
    roi: roiOptions(o),
    providers: parseProviders(o.ep),
    batchSize: parseNumber(o.batch, '--batch'),
    conf: parseNumber(o.conf, '--conf'),
    defectThreshold: parseNumber(o.defectThreshold, '--defect-threshold'),
    dieTolerance: parseNumber(o.dieTolerance, '--die-tolerance'),
    allModes: o.allModes,
    // commander sets detector to true for the bare default of --no-detector.
    detector: o.detector === false ? false : typeof o.detector === 'string' ? o.detector : undefined,
    detectorOptions: o.imgsz ? { imgsz: positiveInt(o.imgsz, '--imgsz') } : undefined,
    classifiers: o.classifiers === false ? false : o.ensemble ?? o.classifier,
    explain: o.explain,
    ...parseInputLimits(o),
    ...(recorder ? { record: { to: recorder, meta, sidecars: o.sidecars } } : {}),
  };
  noteEngineBuild(config.providers ?? []);
  const inspector = await Inspector.create(config);
  await fs.mkdir(path.join(o.out, 'annotated'), { recursive: true });
  const jsonl = createWriteStream(resultsFile, { flags: o.watch ? 'a' : 'w' });
  // A full disk or a lost mount must end the run with its reason, not crash it: the
  // lines written before stay, and --watch on the same --out carries on from them.
  let writeError: NodeJS.ErrnoException | null = null;
  jsonl.on('error', (err) => {
    writeError ??= err;
  });
  const writeLine = async (line: string) => {
    if (!writeError && !jsonl.write(line)) {
      // Each wait takes its listeners away again: a long run must not pile up 'error' listeners.
      await new Promise<void>((res) => {
        const done = () => {
          jsonl.off('drain', done);
          jsonl.off('error', done);
          res();
        };
        jsonl.once('drain', done);
        jsonl.once('error', done);
      });
    }
    if (writeError) throw writeFailed(resultsFile, writeError);
  };
  const summary = new SummaryBuilder();
  // Watching, a line per part replaces the bar (there is no total to fill).
  const bar = source.total === undefined ? null : progressBar('inspect', 'img');
  const annotations: Array<Promise<unknown>> = [];
  // The first failures (verdict fail or error), for the summary; the rest only counted.
  const failures: InspectionResult[] = [];
  let failureCount = 0;
  const stored = { created: 0, existing: 0 };
  try {
    let done = 0;
    for await (const found of inspector.inspectStream(source.images)) {
      const r = { ...found, index: found.index + earlier };
      if (r.recorded) stored[r.recorded.created ? 'created' : 'existing']++;
      // A line results.jsonl has from before (the store lacked the part) is not written twice.
      if (!lineWritten.delete(path.resolve(r.path!))) await writeLine(JSON.stringify(resultRecord(r)) + '\n');
      summary.add(r);
      if ((r.verdict === 'fail' || r.verdict === 'error') && ++failureCount <= LISTED_FAILURES) failures.push(r);
      // A picture that cannot be written costs a warning, not the run (nor its results).
      if (o.annotate) {
        annotations.push(writeAnnotated(path.join(o.out, 'annotated'), r.path!, r, {
          limitInputPixels: config.limitInputPixels, failOn: config.failOn,
        }).catch((err: Error) => process.stderr.write(`annotate ${r.path}: ${err.message}\n`)));
      }
      // Bounded: wait for drawings when too many are in flight.
      if (annotations.length >= 32) await Promise.all(annotations.splice(0));
      if (bar) bar.update(++done, source.total!, r.verdict);
      else if (!o.json) process.stdout.write(`${partLine(r)}\n`);
    }
    await Promise.all(annotations);
  } finally {
    bar?.stop();
    source.stop();
    await new Promise<void>((res) => (writeError || jsonl.destroyed ? res() : jsonl.end((err?: Error | null) => {
      if (err) writeError ??= err;
      res();
    })));
    await inspector.close();
  }
  if (writeError) throw writeFailed(resultsFile, writeError);
  const s = summary.finish();
  const report = {
    ...s, providers: inspector.detector?.provider ?? null, out: o.out, ...(o.db ? { records: { db: o.db, ...stored } } : {}),
  };
  await fs.writeFile(path.join(o.out, 'summary.json'), JSON.stringify(report, null, 2) + '\n').catch((err) => {
    throw writeFailed(path.join(o.out, 'summary.json'), err);
  });
  if (o.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  const rows: Array<Array<string | number>> = [];
  for (const v of ['pass', 'fail', 'skipped', 'error']) rows.push([`verdict ${v}`, s.verdicts[v] ?? 0]);
  for (const [k, v] of Object.entries(s.failReasons)) rows.push([`  failed on ${k}`, v]);
  for (const [k, v] of Object.entries(s.detections)) rows.push([`detections ${k}`, v]);
  process.stdout.write(formatTable(['', 'count'], rows));
  if (failureCount) {
    process.stdout.write(`${failureCount} part${failureCount === 1 ? '' : 's'} failed or could not be inspected:\n`);
    for (const r of failures) process.stdout.write(`  ${partLine(r)}\n`);
    if (failureCount > failures.length) {
      process.stdout.write(`  ... and ${failureCount - failures.length} more (every part: ${resultsFile})\n`);
    }
  }
  // Watching, the wall time is mostly waiting for parts: no rate.
  const rate = source.total === undefined ? 'watched' : `${s.imagesPerSec.toFixed(1)} images/s`;
  process.stdout.write(`${s.images} images in ${s.seconds.toFixed(2)} s: ${rate} ` +
    `(per image: roi ${s.meanStageMs.roiMs.toFixed(1)} ms, detect ${s.meanStageMs.detectMs.toFixed(1)} ms, ` +
    `classify ${s.meanStageMs.classifyMs.toFixed(1)} ms)\n`);
  process.stdout.write(`results: ${path.join(o.out, 'results.jsonl')}  annotated: ${path.join(o.out, 'annotated')}/  ` +
    `summary: ${path.join(o.out, 'summary.json')}\n`);
  if (o.db) {
    process.stdout.write(`records: ${o.db} (${stored.created} part${stored.created === 1 ? '' : 's'} recorded`
      + `${stored.existing ? `, ${stored.existing} held already` : ''})\n`);
  }
}
