/**
 * BullMQ and prom-client, loaded on first use: they take a quarter of a second to load,
 * which every other command of the package would pay. BullMQ is an optional peer
 * dependency (its msgpackr-extract runs an install script, which installing die-inspect
 * must not): where workers or producers run, `npm install bullmq@5`.
 */
import { loadOptional } from '../../runtime/optional';

type BullMQ = typeof import('bullmq');
type PromClient = typeof import('prom-client');

export function bull(): BullMQ {
  return loadOptional<BullMQ>('bullmq', 'the queue workers', 'an optional peer dependency: npm install bullmq@5');
}

export function prom(): PromClient {
  return loadOptional<PromClient>('prom-client', 'the queue workers', 'a dependency of die-inspect');
}
