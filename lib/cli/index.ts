/** `die-inspect <command>`: one module per command under ./commands. */
import { Command, CommanderError } from 'commander';
import { DieInspectError } from '../core/errors';
import { registerBench } from './commands/bench';
import { registerBuildAddon } from './commands/build-addon';
import { registerCache } from './commands/cache';
import { registerDataset } from './commands/dataset';
import { registerDetect } from './commands/detect';
import { registerEnqueue } from './commands/enqueue';
import { registerEnsemble } from './commands/ensemble';
import { registerEval } from './commands/eval';
import { registerExport } from './commands/export';
import { registerInfo } from './commands/info';
import { registerInspect } from './commands/inspect';
import { registerModels } from './commands/models';
import { registerProviders } from './commands/providers';
import { registerExplain } from './commands/explain';
import { registerQuantize } from './commands/quantize';
import { registerServe } from './commands/serve';
import { registerSynth } from './commands/synth';
import { registerWorker } from './commands/worker';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { version } = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('die-inspect')
    .description('Semiconductor die-defect inspection on ONNX Runtime (CPU, CUDA, TensorRT)')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  registerInspect(program);
  registerInfo(program);
  registerDetect(program);
  registerBench(program);
  registerEval(program);
  registerExport(program);
  registerServe(program);
  registerWorker(program);
  registerEnqueue(program);
  registerQuantize(program);
  registerEnsemble(program);
  registerDataset(program);
  registerExplain(program);
  registerProviders(program);
  registerSynth(program);
  registerModels(program);
  registerCache(program);
  registerBuildAddon(program);
  // A command's mistake shows its usage line, not its whole help; the bare program keeps its list of commands.
  for (const cmd of program.commands) cmd.showHelpAfterError(usageHint(cmd));
  return program;
}

/** Exit code of a usage mistake (a missing or unknown option, command or argument, a bad value); failures exit 1. */
export const USAGE_EXIT = 2;

/** "Usage: die-inspect <command> [options] <args>" and where the full help is. */
function usageHint(cmd: Command): string {
  return `Usage: ${cmd.createHelp().commandUsage(cmd)}\n(die-inspect ${cmd.name()} --help lists every option)`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // The command whose action ran, so a bad value it finds is answered with its usage line too.
  let active: Command | undefined;
  program.hook('preAction', (_root, cmd) => {
    active = cmd;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    // commander exits 1 for every mistake it finds (and 0 after --help or --version); it has printed the message and usage.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    if (err instanceof DieInspectError) {
      process.stderr.write(`die-inspect: ${err.message} (${err.code})\n`);
      if (err.code !== 'ERR_INVALID_ARG' && err.code !== 'ERR_CONFIG') return 1;
      if (active) process.stderr.write(`${usageHint(active)}\n`);
      return USAGE_EXIT;
    }
    process.stderr.write(`die-inspect: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
  }
}
