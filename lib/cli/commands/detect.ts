/** `die-inspect detect --model M <images...>`: run any YOLO ONNX detector over images. */
import { promises as fs } from 'fs';
import { Command } from 'commander';
import { Detector } from '../../stages/detector';
import { DieInspectError } from '../../core/errors';
import { ImageInput } from '../../runtime/images';
import { writeDetectionsAnnotated } from '../../pipeline/report';
import { expandImageArgs, outsideOf } from '../files';
import { noteEngineBuild } from '../progress';
import { pairWithReferences } from '../references';
import {
  InputLimitFlags, autoOrientOption, failOnOption,
  limitInputPixelsOption, parseInputLimits, parseNumber, PROVIDERS_HELP, parseProviders, positiveInt,
} from '../options';

interface DetectCliOptions extends InputLimitFlags {
  model: string;
  conf: string;
  iou: string;
  imgsz?: string;
  ep: string;
  agnostic?: boolean;
  json?: boolean;
  annotate?: string;
  reference?: string;
  align?: boolean;
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('detect objects with a YOLOv5/v7/v8/11 ONNX model and print the boxes')
    .argument('<images...>', 'image files, directories or glob patterns')
    .requiredOption('-m, --model <file>', 'ONNX detector')
    .option('--conf <c>', 'confidence threshold', '0.25')
    .option('--iou <t>', 'NMS IoU threshold', '0.45')
    .option('--imgsz <n>', 'input size for models with dynamic height/width')
    .option('--agnostic', 'class-agnostic NMS')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--json', 'one JSON line per image')
    .option('--annotate <dir>', 'also write each image with its boxes and labels drawn to DIR/<index>-<name>.jpg')
    .option('--reference <file|dir|FROM=TO>', 'for models trained on reference pairs: the aligned defect-free reference '
      + 'of each image: one file for all, the same name in a folder, or the image name with FROM replaced by TO '
      + '(e.g. _test=_temp; images without FROM are skipped)')
    .option('--align', 'with --reference: register each reference to its image first (shift and rotation)')
    .addOption(limitInputPixelsOption())
    .addOption(failOnOption())
    .addOption(autoOrientOption())
    .action(async (patterns: string[], o: DetectCliOptions) => {
      let files = outsideOf(await expandImageArgs(patterns), o.annotate, patterns);
      // What goes to the model: the files, or each paired with its reference.
      let inputs: ImageInput[] = files;
      if (o.reference) {
        const { pairs, skipped } = await pairWithReferences(files, o.reference);
        if (skipped.length) {
          const images = `${skipped.length} image${skipped.length === 1 ? '' : 's'}`;
          process.stderr.write(`--reference ${o.reference}: ${images} without a reference skipped\n`);
        }
        files = pairs.map((p) => p.image);
        inputs = pairs.map((p) => ({ ...p, align: o.align }));
      } else if (o.align) {
        throw new DieInspectError('ERR_INVALID_ARG', '--align needs --reference');
      }
      const limits = parseInputLimits(o);
      const providers = parseProviders(o.ep);
      noteEngineBuild(providers);
      const det = await Detector.create(o.model, {
        conf: parseNumber(o.conf, '--conf'),
        iou: parseNumber(o.iou, '--iou'),
        agnostic: o.agnostic,
        imgsz: o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined,
        providers,
        ...limits,
      });
      if (det.needsReference !== Boolean(o.reference)) {
        det.close();
        throw new DieInspectError('ERR_INVALID_ARG', det.needsReference
          ? `${o.model} compares each image with an aligned reference: pass --reference`
          : `${o.model} takes single images: drop --reference`);
      }
      if (o.annotate) await fs.mkdir(o.annotate, { recursive: true });
      try {
        for (let i = 0; i < files.length; i += 16) {
          const batch = files.slice(i, i + 16);
          const results = await det.detect(inputs.slice(i, i + 16));
          const drawn = o.annotate
            ? Promise.all(results.map((r, k) => writeDetectionsAnnotated(o.annotate as string, i + k, batch[k], r, limits))) : null;
          results.forEach((r, k) => {
            if (o.json) {
              process.stdout.write(JSON.stringify({
                path: batch[k], width: r.width, height: r.height, detections: r.detections,
                registration: r.registration, warning: r.warning, error: r.error && { code: r.error.code, message: r.error.message },
              }) + '\n');
            } else if (r.error) {
              process.stdout.write(`${batch[k]}: error ${r.error.code}: ${r.error.message}\n`);
            } else {
              const g = r.registration;
              const moved = g
                ? `; reference registered by dx ${g.dx.toFixed(2)}, dy ${g.dy.toFixed(2)}, angle ${g.angle.toFixed(3)} deg` : '';
              const warned = r.warning ? `; damaged, decoded anyway (${r.warning})` : '';
              process.stdout.write(`${batch[k]} (${r.width}x${r.height}): ${r.detections.length} detections${moved}${warned}\n`);
              for (const d of r.detections) {
                process.stdout.write(`  ${d.label.padEnd(14)} ${d.score.toFixed(3)}  [${d.box.map((v) => v.toFixed(1)).join(', ')}]\n`);
              }
            }
          });
          await drawn;
        }
        if (!o.json) process.stderr.write(`provider: ${det.provider}${o.annotate ? `; annotated images in ${o.annotate}/` : ''}\n`);
      } finally {
        det.close();
      }
    });
}
