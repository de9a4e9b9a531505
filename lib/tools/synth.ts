/**
 * Seeded synthetic die dataset: rendering runs in C++ (native/synth), this
 * module writes the files. The layout is a contract that eval, the recipes
 * and the tests read:
 *
 *   DIR/images/000000.jpg              brightfield (other modes: 000000-darkfield-white.jpg, ...)
 *   DIR/masks/000000.png               package mask (with `masks`)
 *   DIR/meta.json                      one object an image (see SynthMeta)
 *   DIR/coco.json                      defect boxes on the full images
 *   DIR/crops/{images,labels}/, DIR/crops/data.yaml   upright crops as a YOLO dataset (with `crops`)
 *
 * With generators (`ganDies`, `ganPackages`, lib/tools/synth-gan.ts) each chunk is planned
 * first (synthPlan), the generators run on it, and their pixels go into the render.
 * With `boardsOnly` the images show the board alone and meta.json holds SynthBoardMeta.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DieInspectError, native } from '../core/errors';
import type { Point, Quad } from '../core/geometry';
import { loadNative } from '../runtime/binding';
import type { AcquisitionMode, NativeAddon, NativeSynthOptions, NativeSynthPart, SynthLabel } from '../runtime/binding';
import { synthOptions } from '../runtime/native-options';
import type { SessionOptions } from '../runtime/session';
import { GanDiesOptions, GanPackagesOptions, SynthGanSummary, SynthGanUse, SynthGenerators } from './synth-gan';

export type { GanDiesOptions, GanPackagesOptions, Point, Quad, SynthGanSummary, SynthGanUse, SynthLabel };

/** Classes of the defect detector, in model order. */
export const DEFECT_CLASSES = ['die_crack', 'die_rotation'] as const;

export interface SynthMeta {
  file: string;
  part: number;
  mode: AcquisitionMode;
  width: number;
  height: number;
  meansBgr: number[];
  /** TL, TR, BR, BL of the upright package, in image pixels (continuous coordinates). */
  packageQuad: Quad;
  /** Direction of the package's top edge, degrees in [0, 360), clockwise on screen. */
  packageAngle: number;
  dieQuad: Point[];
  /** Die rotation relative to the package, degrees, clockwise on screen. */
  dieAngle: number;
  defects: SynthLabel[];
  /** Flaws a detector must ignore (cracks on the LED region). */
  distractors: SynthLabel[];
  crop: { file: string | null; width: number; height: number; dieQuad: Point[]; toImage: number[] };
  mask: string | null;
  /**
   * The generators that made something on this part: `dies` its defect (the label with `source: 'gan'`;
   * `dieAngle` and `dieQuad` are then the upright die drawn under it), `packages` its board.
   */
  gan?: SynthGanUse;
}

/** A meta.json entry of a `boardsOnly` dataset: the image, no package. */
export type SynthBoardMeta = Pick<SynthMeta, 'file' | 'part' | 'mode' | 'width' | 'height' | 'meansBgr' | 'gan'> & { board: true };

export interface SynthOptions extends Omit<NativeSynthOptions, 'start' | 'count' | 'distractorRate' | 'overrides'> {
  out: string;
  /** Parts to render: ids 0 to count - 1. */
  count: number;
  /** Generated die defects on a share of the defective parts. */
  ganDies?: GanDiesOptions;
  /** Generated boards behind every package. */
  ganPackages?: GanPackagesOptions;
  /** How the generators' sessions are made (providers, threads). Default: the CPU. */
  session?: SessionOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface SynthSummary {
  images: number;
  parts: number;
  seconds: number;
  imagesPerSec: number;
  defects: Record<string, number>;
  /** With generators: which, and what they made. */
  gan?: SynthGanSummary;
}

const CHUNK = 16;

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function roundDeep<T>(v: T): T {
  if (typeof v === 'number') return round(v) as unknown as T;
  if (Array.isArray(v)) return v.map(roundDeep) as unknown as T;
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)])) as T;
  }
  return v;
}

function stem(part: number): string {
  return String(part).padStart(6, '0');
}

function yoloLine(l: SynthLabel, w: number, h: number): string {
  const cls = DEFECT_CLASSES.indexOf(l.label as (typeof DEFECT_CLASSES)[number]);
  const [x1, y1, x2, y2] = l.cropBox;
  const f = (v: number) => v.toFixed(6);
  return `${cls} ${f((x1 + x2) / 2 / w)} ${f((y1 + y2) / 2 / h)} ${f((x2 - x1) / w)} ${f((y2 - y1) / h)}`;
}

/** Renders and writes a synthetic dataset; the same seed gives identical labels. */
export async function synthesize(o: SynthOptions): Promise<SynthSummary> {
  const addon = loadNative();
  const modes = o.modes ?? ['brightfield'];
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.count) || o.count < 0) throw new DieInspectError('ERR_INVALID_ARG', 'count must be a non-negative integer');
  if (o.boardsOnly && (o.crops || o.masks)) {
    throw new DieInspectError('ERR_INVALID_ARG', 'boardsOnly renders no package, so it has no crops or masks');
  }
  if (o.boardsOnly && o.ganDies) {
    throw new DieInspectError('ERR_INVALID_ARG', 'boardsOnly renders no package, so there is no die to paste a generated defect on');
  }
  // Loaded (and checked) before anything is written.
  const generators = await SynthGenerators.open(o, DEFECT_CLASSES);
  try {
    return await write(o, addon, generators, { modes, seed });
  } finally {
    generators?.close();
  }
}

async function write(o: SynthOptions, addon: NativeAddon, generators: SynthGenerators | undefined,
  { modes, seed }: { modes: AcquisitionMode[]; seed: number }): Promise<SynthSummary> {
  const dirs = ['images', ...(o.masks ? ['masks'] : []), ...(o.crops ? ['crops/images', 'crops/labels'] : [])];
  for (const d of dirs) await fs.mkdir(path.join(o.out, d), { recursive: true });

  const meta: Array<SynthMeta | SynthBoardMeta> = [];
  const coco = {
    info: { description: `die-inspect synthetic dies, seed ${seed}` },
    images: [] as Array<{ id: number; file_name: string; width: number; height: number }>,
    annotations: [] as Array<{ id: number; image_id: number; category_id: number; bbox: number[]; area: number; iscrowd: 0 }>,
    categories: DEFECT_CLASSES.map((name, i) => ({ id: i + 1, name, supercategory: 'defect' })),
  };
  const defects: Record<string, number> = {};
  const width = o.width ?? 1280;
  const height = o.height ?? 960;
  const source = { ...o, seed, width, height, modes };
  const render = async (start: number): Promise<{ parts: NativeSynthPart[]; used: Array<SynthGanUse | undefined> }> => {
    const chunk = { start, count: Math.min(CHUNK, o.count - start) };
    if (!generators) return { parts: await native(() => addon.synthRender(synthOptions(source, chunk))), used: [] };
    const plan = await native(() => addon.synthPlan(synthOptions(source, chunk)));
    const { overrides, used } = await generators.overrides(plan, seed);
    return { parts: await native(() => addon.synthRender(synthOptions(source, chunk, overrides))), used };
  };
  const request = (start: number) => {
    const next = render(start);
    next.catch(() => undefined);  // awaited in turn; a failure while the chunk before it is written is not unhandled
    return next;
  };

  const t0 = process.hrtime.bigint();
  let pending = o.count > 0 ? request(0) : undefined;
  for (let start = 0; pending; start += CHUNK) {
    const { parts, used } = await pending;
    // Render the next chunk while this one is written.
    pending = start + CHUNK < o.count ? request(start + CHUNK) : undefined;
    const writes: Array<Promise<void>> = [];
    for (const [k, p] of parts.entries()) {
      const s = stem(p.index);
      const gan = used[k];
      const real = o.boardsOnly ? [] : p.labels.filter((l) => l.label !== 'led_crack');
      const distractors = o.boardsOnly ? [] : p.labels.filter((l) => l.label === 'led_crack');
      for (const l of real) defects[l.label] = (defects[l.label] ?? 0) + 1;
      const maskFile = p.mask ? `masks/${s}.png` : null;
      if (p.mask) writes.push(fs.writeFile(path.join(o.out, maskFile as string), p.mask));
      const cropFile = p.crop ? `crops/images/${s}.jpg` : null;
      if (p.crop) {
        writes.push(fs.writeFile(path.join(o.out, cropFile as string), p.crop));
        const lines = real.map((l) => yoloLine(l, p.cropWidth, p.cropHeight));
        writes.push(fs.writeFile(path.join(o.out, `crops/labels/${s}.txt`), lines.map((l) => l + '\n').join('')));
      }
      for (const im of p.images) {
        const file = `images/${s}${im.mode === 'brightfield' ? '' : '-' + im.mode}.jpg`;
        writes.push(fs.writeFile(path.join(o.out, file), im.data));
        if (o.boardsOnly) {
          meta.push(roundDeep({ file, part: p.index, mode: im.mode, width, height, meansBgr: im.meansBgr, board: true as const,
            ...(gan ? { gan } : {}) }));
          continue;
        }
        const id = coco.images.length + 1;
        coco.images.push({ id, file_name: file, width, height });
        for (const l of real) {
          const [x1, y1, x2, y2] = l.box.map(round);
          coco.annotations.push({ id: coco.annotations.length + 1, image_id: id,
            category_id: DEFECT_CLASSES.indexOf(l.label as (typeof DEFECT_CLASSES)[number]) + 1,
            bbox: [x1, y1, round(x2 - x1), round(y2 - y1)], area: round((x2 - x1) * (y2 - y1)), iscrowd: 0 });
        }
        const entry = roundDeep({
          file, part: p.index, mode: im.mode, width, height, meansBgr: im.meansBgr,
          packageQuad: p.packageQuad, packageAngle: p.packageAngle, dieQuad: p.dieQuad, dieAngle: p.dieAngle,
          defects: real, distractors,
          crop: { file: cropFile, width: p.cropWidth, height: p.cropHeight, dieQuad: p.dieQuadCrop, toImage: [] as number[] },
          mask: maskFile, ...(gan ? { gan } : {}),
        });
        // The homography keeps full precision: 1e-4 on a rotation entry is 0.1 px at the far corner.
        entry.crop.toImage = p.cropToImage.map((v) => Number(v.toPrecision(12)));
        meta.push(entry);
      }
    }
    await Promise.all(writes);
    o.onProgress?.(Math.min(start + CHUNK, o.count), o.count);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await fs.writeFile(path.join(o.out, 'meta.json'), `[\n${meta.map((m) => JSON.stringify(m)).join(',\n')}\n]\n`);
  await fs.writeFile(path.join(o.out, 'coco.json'), JSON.stringify(coco) + '\n');
  if (o.crops) {
    await fs.writeFile(path.join(o.out, 'crops/data.yaml'), `# die-inspect synth --seed ${seed}: upright package crops\n`
      + `path: .\ntrain: images\nval: images\nnc: ${DEFECT_CLASSES.length}\nnames: [${DEFECT_CLASSES.join(', ')}]\n`);
  }
  return { images: meta.length, parts: o.count, seconds, imagesPerSec: meta.length / Math.max(seconds, 1e-9), defects,
    ...(generators ? { gan: generators.summary() } : {}) };
}
