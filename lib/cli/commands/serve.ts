/** `die-inspect serve --db FILE`: the web review station over a records store (docs/review-station.md). */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';
import { openRecorder } from '../../pipeline/records/sqlite';
import { startReviewServer } from '../../serve/server';
import { nonNegativeInt } from '../options';
import { watchIntoStore } from './inspect';

interface ServeCliOptions {
  db: string;
  watch?: string[];
  out?: string;
  port: string;
  host: string;
  token?: string;
  tokenFile?: string;
  reviewer?: string;
}

async function tokenOf(o: ServeCliOptions): Promise<string | null> {
  if (o.token !== undefined && o.tokenFile !== undefined) {
    throw new DieInspectError('ERR_INVALID_ARG', '--token and --token-file: give one');
  }
  if (o.tokenFile === undefined) return o.token ?? null;
  const text = await fs.readFile(o.tokenFile, 'utf8').catch((err: Error) => {
    throw new DieInspectError('ERR_INVALID_ARG', `--token-file ${o.tokenFile}: ${err.message}`);
  });
  // The first line: a file written by `echo` ends in a line break that is not part of the token.
  return text.split(/\r?\n/)[0].trim();
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the web review station: the line live, each part\'s pictures and detections, reviews by keyboard')
    .requiredOption('--db <file>', 'the records store to show and review (inspect --db)')
    .option('--watch <dirs...>', 'also inspect these folders\' images as they land, into the same store (inspect --watch --db)')
    .option('--out <dir>', 'with --watch: where the inspection writes results.jsonl and annotated/ (default: beside the store)')
    .option('--port <n>', 'port to listen on (0: any free one)', '8080')
    .option('--host <address>', 'address to listen on; anything but loopback needs --token', '127.0.0.1')
    .option('--token <t>', 'a token every state-changing request must carry (Authorization: Bearer T); 8 characters at least')
    .option('--token-file <file>', 'read the token from the first line of this file (keeps it out of the process list)')
    .option('--reviewer <name>', 'the reviewer\'s name where the page does not give one')
    .action(async (o: ServeCliOptions) => {
      const port = nonNegativeInt(o.port, '--port');
      if (port > 65535) throw new DieInspectError('ERR_INVALID_ARG', `--port must be 0 to 65535, got ${port}`);
      if (o.out && !o.watch) throw new DieInspectError('ERR_INVALID_ARG', '--out goes with --watch');
      const token = await tokenOf(o);
      const recorder = await openRecorder(o.db);
      const station = await startReviewServer({ recorder, host: o.host, port, token, reviewer: o.reviewer ?? null }).catch(async (err) => {
        await recorder.close();
        throw err;
      });
      // The URL line is what scripts (and the tests) read the port from; the token goes in the page's fragment, never to logs.
      process.stdout.write(`review station: ${station.url}${token ? ' (reviews need the token: open URL#token=T)' : ''}\n`);
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      try {
        const watching = o.watch
          ? watchIntoStore(o.watch, o.db, o.out ?? path.join(path.dirname(path.resolve(o.db)), 'serve-inspect'))
          : null;
        // The watch ends on the same signal (finishing its images in flight), or on its own failure.
        await (watching ? Promise.all([stopped, watching]) : stopped);
      } finally {
        await station.close();
        await recorder.close();
      }
    });
}
