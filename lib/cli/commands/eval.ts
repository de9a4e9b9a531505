/** `die-inspect eval --model M --data D`: accuracy of a detector (mAP, P/R/F1) or classifier (AUC, ...) on a labelled dataset. */
import { Command, Option } from 'commander';
import { DieInspectError } from '../../core/errors';
import { DatasetFormat, detectFormat } from '../../eval/datasets';
import { evalClassification } from '../eval-classification';
import { evalDetection } from '../eval-detection';
import type { EvalCliOptions, RunOptions } from '../eval-shared';
import { noteEngineBuild } from '../progress';
import {
  failOnOption, limitInputPixelsOption, nonNegativeInt, parseInputLimits, parseNumber, PROVIDERS_HELP, parseProviders, positiveInt,
} from '../options';

const FORMATS: DatasetFormat[] = ['yolo', 'coco', 'deeppcb', 'folders', 'csv'];

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) {
    throw new DieInspectError('ERR_INVALID_ARG', `${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function unitInterval(text: string, name: string): number {
  const v = parseNumber(text, name);
  if (v < 0 || v > 1) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be within [0, 1], got '${text}'`);
  return v;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a detector (COCO mAP, P/R/F1, confusion) or classifier (AUC, accuracy, P/R/F1) on a labelled dataset')
    .option('-m, --model <file>', 'ONNX detector or classifier; a second detector is compared with the first (paired bootstrap); '
      + 'repeat classifiers to evaluate their average (ensemble) next to each member',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--ensemble <manifest>', 'classify: an ensemble manifest (a path, or a name such as default), evaluated next to each member')
    .requiredOption('-d, --data <path>', 'dataset: YOLO folder or data.yaml, COCO JSON, DeepPCB folder, class folders or CSV')
    .option('--format <f>', `dataset format (${FORMATS.join('|')}); default: guessed from --data`)
    .option('--list <file>', 'DeepPCB list file (default: test.txt, else trainval.txt)')
    .option('--task <t>', 'detect or classify (default: from the dataset format)')
    .option('--conf <c>', 'confidence for precision/recall/F1 and the confusion matrix (detect, default 0.25); '
      + 'decision threshold (binary classify, default 0.5)')
    .option('--iou <t>', 'NMS IoU threshold (detect)', '0.6')
    .option('--imgsz <n>', 'input size for models with dynamic height/width')
    .option('--batch <n>', 'images per model call (default 16 on CUDA/TensorRT, 2 on the CPU)')
    .option('--protocol <p>', 'coco, or deeppcb (a hit needs IoU > 0.33; P/R/F-score follow it)', 'coco')
    .option('--max-det <n>', 'detections kept per image and class for mAP', '100')
    .option('--bootstrap <n>', '95% confidence intervals from n resamples of the images (e.g. 1000): of mAP and each AP (detect; '
      + 'two detectors are always compared, over 1000 unless given), of AUC and the ensemble against each member (binary classify)')
    .option('--seed <s>', 'seed of the bootstrap resampling (--bootstrap, or two detectors compared)', '0')
    .option('--align', 'pair models: register each reference to its image first (shift and rotation)')
    .option('--positive <class>', 'binary classify: the positive class, by name or id (default 1)')
    .option('--plots <dir>', 'write PR (detect) or ROC (classify) curves as SVG into this folder')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    // The name eval had before every command said --ep: kept for scripts that use it, not shown.
    .addOption(new Option('--provider <providers>').hideHelp())
    .option('--json', 'print one JSON object')
    .addOption(limitInputPixelsOption())
    .addOption(failOnOption())
    .action(async (o: EvalCliOptions) => {
      const format = o.format ? oneOf(o.format, FORMATS, '--format') : await detectFormat(o.data);
      const task = o.task ? oneOf(o.task, ['detect', 'classify'] as const, '--task')
        : format === 'folders' || format === 'csv' ? 'classify' : 'detect';
      const protocol = oneOf(o.protocol, ['coco', 'deeppcb'] as const, '--protocol');
      if (task === 'classify' && protocol !== 'coco') throw new DieInspectError('ERR_INVALID_ARG', '--protocol applies to detection only');
      if (!o.model.length && !o.ensemble) throw new DieInspectError('ERR_INVALID_ARG', 'eval: give a model with -m (or --ensemble)');
      if (o.ensemble && (o.model.length || task === 'detect')) {
        throw new DieInspectError('ERR_INVALID_ARG', '--ensemble evaluates a classifier ensemble on its own: leave out -m');
      }
      const seed = nonNegativeInt(o.seed, '--seed');
      const common: RunOptions = {
        providers: parseProviders(o.provider ?? o.ep),
        imgsz: o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined,
        batch: o.batch === undefined ? undefined : positiveInt(o.batch, '--batch'),
        limits: parseInputLimits(o),
        conf: o.conf === undefined ? undefined : unitInterval(o.conf, '--conf'),
        seed,
        bootstrap: o.bootstrap === undefined ? undefined : { samples: positiveInt(o.bootstrap, '--bootstrap'), seed },
      };
      noteEngineBuild(common.providers);
      if (task === 'detect') {
        if (o.model.length > 2) throw new DieInspectError('ERR_INVALID_ARG', 'eval: one detector, or two to compare');
        await evalDetection(o, format, protocol, {
          ...common, iou: unitInterval(o.iou, '--iou'), maxDet: positiveInt(o.maxDet, '--max-det'), align: o.align,
        });
      } else {
        await evalClassification(o, format, common);
      }
    });
}
