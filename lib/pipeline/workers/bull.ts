/**
 * BullMQ and prom-client, loaded on first use: they take a quarter of a second to load,
 * which every other command of the package would pay. BullMQ is an optional peer
 * dependency (its msgpackr-extract runs an install script, which installing die-inspect
 * must not): where workers or producers run, `npm install bullmq@5`.
 */
import { DieInspectError } from '../../core/errors';

type BullMQ = typeof import('bullmq');
type PromClient = typeof import('prom-client');
let bullmq: BullMQ | undefined;
let promClient: PromClient | undefined;

function load<T>(name: string, install: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(name) as T;
  } catch (err) {
    throw new DieInspectError('ERR_ADDON_LOAD', `the queue workers need ${name} (${install}), which did not load: `
      + `${(err as Error).message}`, { cause: err });
  }
}

export function bull(): BullMQ {
  bullmq ??= load<BullMQ>('bullmq', 'an optional peer dependency: npm install bullmq@5');
  return bullmq;
}

export function prom(): PromClient {
  promClient ??= load<PromClient>('prom-client', 'a dependency of die-inspect');
  return promClient;
}
