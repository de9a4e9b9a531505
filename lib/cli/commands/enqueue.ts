/** `die-inspect enqueue --redis URL images...`: one job per image on the queue the workers take (docs/scale-out.md). */
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { parseMeta } from '../../pipeline/records/part-meta';
import { DEFAULT_QUEUE } from '../../pipeline/workers/jobs';
import { enqueue, type JobOutcome } from '../../pipeline/workers/producer';
import { expandImageArgs } from '../files';
import { positiveInt } from '../options';
import { progressBar } from '../progress';

interface EnqueueCliOptions {
  redis: string;
  queue: string;
  meta?: string;
  bytes?: boolean;
  attempts: string;
  wait?: boolean;
  timeoutMs?: string;
  json?: boolean;
}

export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description('put one inspection job per image on a Redis queue (BullMQ) for `die-inspect worker`; --wait for the results')
    .argument('<images...>', 'image files or folders (paths every worker can read)')
    .requiredOption('--redis <url>', 'the queue\'s Redis, redis://host:6379')
    .option('--queue <name>', 'the queue', DEFAULT_QUEUE)
    .option('--meta <pairs>', 'metadata of every part: lot=L42,station=3,camera=top,part=T17-04,KEY=VALUE')
    .option('--bytes', 'send each image\'s bytes in its job (no shared storage)')
    .option('--attempts <n>', 'tries for a job that fails with a retriable error (image errors are never retried)', '3')
    .option('--wait', 'wait for every job and print a summary')
    .option('--timeout-ms <ms>', 'with --wait: give up after this long')
    .option('--json', 'with --wait: one JSON line per job (its result, or its error)')
    .action(async (args: string[], o: EnqueueCliOptions) => {
      const images = await expandImageArgs(args);
      if (!images.length) throw new DieInspectError('ERR_INVALID_ARG', `no images in ${args.join(' ')}`);
      const meta = o.meta === undefined ? undefined : parseMeta(o.meta);
      const attempts = positiveInt(o.attempts, '--attempts');
      const queued = await enqueue({ redis: o.redis, queue: o.queue, images, meta, bytes: o.bytes, attempts });
      try {
        const first = queued.ids[0], last = queued.ids[queued.ids.length - 1];
        if (!o.wait) {
          process.stdout.write(`${queued.ids.length} jobs -> ${o.queue} (ids ${first}${last !== first ? `..${last}` : ''})\n`);
          return;
        }
        const bar = progressBar(`enqueue ${o.queue}`, 'jobs');
        let outcomes: JobOutcome[];
        try {
          outcomes = await queued.results({
            timeoutMs: o.timeoutMs === undefined ? undefined : positiveInt(o.timeoutMs, '--timeout-ms'),
            onEach: (x, n) => {
              if (o.json) process.stdout.write(`${JSON.stringify(x)}\n`);
              bar.update(n, queued.ids.length, x.result?.verdict ?? x.error?.code ?? '');
            },
          });
        } finally {
          bar.stop();
        }
        const verdicts = new Map<string, number>();
        for (const x of outcomes) {
          const k = x.result ? x.result.verdict : `dead letter ${x.error!.code}`;
          verdicts.set(k, (verdicts.get(k) ?? 0) + 1);
        }
        const summary = [...verdicts].map(([k, n]) => `${n} ${k}`).join(', ');
        process.stdout.write(`${outcomes.length} jobs done on ${o.queue}: ${summary}\n`);
      } finally {
        await queued.close();
      }
    });
}
