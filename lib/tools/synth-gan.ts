/**
 * Generated defects and boards for synthesize(): which parts get them, where a defect's
 * label box goes, and the generator runs, one per chunk of parts. Every draw comes from a
 * stream of its own per part (the construction of native/synth/random.h), so the same
 * seed and models give the same dataset however the parts are chunked.
 */
import { createHash } from 'crypto';
import { DieInspectError } from '../core/errors';
import type { NativeSynthOverride, NativeSynthPaste, NativeSynthPlanPart } from '../runtime/binding';
import { fileSha256 } from '../runtime/hash';
import { resolveModel } from '../runtime/models';
import type { SessionOptions } from '../runtime/session';
import { DieGenerator, PackageGenerator, RelativeSize } from '../stages/generator';

export interface GanDiesOptions {
  /** A `gan-dies` generator: an ONNX file (or a model name) or its bytes. */
  model: string | Uint8Array;
  /** Fraction of the defective parts whose defect is generated, in [0, 1]. Default 0.3. */
  share?: number;
}

export interface GanPackagesOptions {
  /** A `gan-packages` generator: an ONNX file (or a model name) or its bytes. */
  model: string | Uint8Array;
}

/** The generators a dataset used: the model as given (a path, or `sha256:<hex>` for bytes), its hash, what it made. */
export interface SynthGanSummary {
  dies?: { model: string; sha256: string; share: number; defects: number };
  packages?: { model: string; sha256: string; boards: number };
}

/** Which generators made something on one part (meta.json's `gan`): the models as the summary names them. */
export interface SynthGanUse {
  dies?: string;
  packages?: string;
}

// Streams of the per-part generator (0: the scene, 1: the upright die angle, in native/synth).
const DIES_STREAM = 2n;
const PACKAGES_STREAM = 3n;
const MASK = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function mix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

/** splitmix64, seeded per dataset, part and stream as native/synth/random.h's Random::For. */
class PartRandom {
  private state: bigint;

  constructor(seed: number, index: number, stream: bigint) {
    const offset = mix((BigInt(index) * 0xd1b54a32d192ed03n + stream * 0x8cb92ba72f3d8dd7n) & MASK);
    this.state = ((BigInt(seed) ^ GOLDEN) + offset) & MASK;
  }

  uniform(): number {
    this.state = (this.state + GOLDEN) & MASK;
    return Number(mix(this.state) >> 11n) * 2 ** -53;
  }

  /** Box-Muller, one value a call. */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  fill(out: Float32Array, offset: number, n: number): void {
    for (let i = 0; i < n; i++) out[offset + i] = this.normal();
  }
}

/**
 * Where a generated defect's label box goes on the part's upright canvas: a size drawn from
 * the class's box sizes (relative to the crop); a die_rotation box centred on the die, a
 * die_crack box shrunk until it fits inside the (upright) die and centred at a random point
 * that keeps it there; then no larger than the canvas allows around its centre.
 */
function labelBox(p: NativeSynthPlanPart, label: string, sizes: RelativeSize[], r: { uniform(): number })
  : [number, number, number, number] {
  const [rw, rh] = sizes[Math.min(sizes.length - 1, Math.floor(r.uniform() * sizes.length))];
  let w = rw * p.cropWidth;
  let h = rh * p.cropHeight;
  let [cx, cy] = p.dieCenter;
  if (label === 'die_crack') {
    const a = (p.uprightDieAngle * Math.PI) / 180;
    const c = Math.abs(Math.cos(a));
    const s = Math.abs(Math.sin(a));
    // The box's extents along the die's axes must stay within the die's sides.
    w = Math.min(w, p.dieWidth);
    h = Math.min(h, p.dieHeight);
    const fit = Math.min(1, p.dieWidth / (w * c + h * s), p.dieHeight / (w * s + h * c));
    w *= fit;
    h *= fit;
    const u = (2 * r.uniform() - 1) * Math.max(0, (p.dieWidth - (w * c + h * s)) / 2);
    const v = (2 * r.uniform() - 1) * Math.max(0, (p.dieHeight - (w * s + h * c)) / 2);
    cx += Math.cos(a) * u - Math.sin(a) * v;
    cy += Math.sin(a) * u + Math.cos(a) * v;
  }
  w = Math.min(w, 2 * cx, 2 * (p.cropWidth - cx));
  h = Math.min(h, 2 * cy, 2 * (p.cropHeight - cy));
  return [Math.max(0, cx - w / 2), Math.max(0, cy - h / 2), Math.min(p.cropWidth, cx + w / 2), Math.min(p.cropHeight, cy + h / 2)];
}

async function modelRef(model: string | Uint8Array): Promise<{ model: string; sha256: string }> {
  if (typeof model !== 'string') {
    const sha256 = createHash('sha256').update(model).digest('hex');
    return { model: `sha256:${sha256}`, sha256 };
  }
  return { model, sha256: await fileSha256(resolveModel(model)) };
}

function checkModel(o: { model?: unknown } | undefined, option: string): void {
  if (!o || typeof o !== 'object' || (typeof o.model !== 'string' && !(o.model instanceof Uint8Array))) {
    throw new DieInspectError('ERR_INVALID_ARG', `${option}.model must be a model file or its bytes`);
  }
}

interface Dies {
  generator: DieGenerator;
  share: number;
  ref: { model: string; sha256: string };
  defects: number;
}

interface Packages {
  generator: PackageGenerator;
  ref: { model: string; sha256: string };
  boards: number;
}

/** The loaded generators of one synthesize() call. */
export class SynthGenerators {
  private constructor(private readonly dies: Dies | undefined, private readonly packages: Packages | undefined) {}

  /** Checks the options and loads the generators; undefined when there are none. `classes`: the defect classes synth draws. */
  static async open(o: { ganDies?: GanDiesOptions; ganPackages?: GanPackagesOptions; session?: SessionOptions },
    classes: readonly string[]): Promise<SynthGenerators | undefined> {
    if (o.ganDies === undefined && o.ganPackages === undefined) return undefined;
    if (o.ganDies !== undefined) checkModel(o.ganDies, 'ganDies');
    if (o.ganPackages !== undefined) checkModel(o.ganPackages, 'ganPackages');
    const share = o.ganDies?.share ?? 0.3;
    if (typeof share !== 'number' || !(share >= 0 && share <= 1)) {
      throw new DieInspectError('ERR_INVALID_ARG', `ganDies.share must be a number in [0, 1], got ${String(share)}`);
    }
    let dieGenerator: DieGenerator | undefined;
    let packageGenerator: PackageGenerator | undefined;
    try {
      let dies: Dies | undefined;
      let packages: Packages | undefined;
      if (o.ganDies) {
        dieGenerator = await DieGenerator.create(o.ganDies.model, { ...o.session, classes });
        dies = { generator: dieGenerator, share, ref: await modelRef(o.ganDies.model), defects: 0 };
      }
      if (o.ganPackages) {
        packageGenerator = await PackageGenerator.create(o.ganPackages.model, o.session);
        packages = { generator: packageGenerator, ref: await modelRef(o.ganPackages.model), boards: 0 };
      }
      return new SynthGenerators(dies, packages);
    } catch (err) {
      dieGenerator?.close();
      packageGenerator?.close();
      throw err;
    }
  }

  /**
   * One chunk: per part, what synthRender changes (null: nothing) and which generators made
   * something on it. A defective part whose class the die generator has gets, with probability
   * `share`, one generated defect of that class (die_rotation where the die is rotated, else
   * die_crack) on a defect-free render; with a board generator every part gets its board.
   */
  async overrides(plan: NativeSynthPlanPart[], seed: number)
    : Promise<{ overrides: Array<NativeSynthOverride | null>; used: Array<SynthGanUse | undefined> }> {
    const overrides: Array<NativeSynthOverride | null> = plan.map(() => null);
    const used: Array<SynthGanUse | undefined> = plan.map(() => undefined);
    if (this.dies) {
      const d = this.dies;
      const g = d.generator;
      const jobs: Array<{ part: number; label: string; box: [number, number, number, number] }> = [];
      const z = new Float32Array(plan.length * g.latent);
      plan.forEach((p, k) => {
        const r = new PartRandom(seed, p.index, DIES_STREAM);
        const label = p.defects[0];
        // The share's draw comes first and always, so that it alone decides.
        if (!(r.uniform() < d.share) || label === undefined || !g.names.includes(label)) return;
        const box = labelBox(p, label, g.boxSizes[label], r);
        r.fill(z, jobs.length * g.latent, g.latent);
        jobs.push({ part: k, label, box });
      });
      if (jobs.length) {
        const images = await g.generate(z.subarray(0, jobs.length * g.latent), jobs.map((j) => g.names.indexOf(j.label)));
        const per = 3 * g.size * g.size;
        jobs.forEach((j, i) => {
          const patch = { data: images.subarray(i * per, (i + 1) * per), width: g.size, height: g.size };
          const paste = { label: j.label as NativeSynthPaste['label'], box: j.box, context: g.context, patch };
          overrides[j.part] = { defectFree: true, pastes: [paste] };
          used[j.part] = { dies: d.ref.model };
        });
        d.defects += jobs.length;
      }
    }
    if (this.packages && plan.length) {
      const pk = this.packages;
      const g = pk.generator;
      const z = new Float32Array(plan.length * g.latent);
      plan.forEach((p, k) => new PartRandom(seed, p.index, PACKAGES_STREAM).fill(z, k * g.latent, g.latent));
      const images = await g.generate(z);
      const per = 3 * g.height * g.width;
      plan.forEach((_, k) => {
        const board = { data: images.subarray(k * per, (k + 1) * per), width: g.width, height: g.height };
        overrides[k] = { ...(overrides[k] ?? {}), board };
        used[k] = { ...used[k], packages: pk.ref.model };
      });
      pk.boards += plan.length;
    }
    return { overrides, used };
  }

  summary(): SynthGanSummary {
    const { dies, packages } = this;
    return {
      ...(dies ? { dies: { ...dies.ref, share: dies.share, defects: dies.defects } } : {}),
      ...(packages ? { packages: { ...packages.ref, boards: packages.boards } } : {}),
    };
  }

  close(): void {
    this.dies?.generator.close();
    this.packages?.generator.close();
  }
}
