/** `die-inspect <command>`: one module per command under ./commands. */
import { Command, CommanderError } from 'commander';
import { DieInspectError } from '../errors';
import { registerBench } from './commands/bench';
import { registerCache } from './commands/cache';
import { registerDetect } from './commands/detect';
import { registerEval } from './commands/eval';
import { registerInfo } from './commands/info';
import { registerInspect } from './commands/inspect';
import { registerModels } from './commands/models';
import { registerProviders } from './commands/providers';
import { registerSynth } from './commands/synth';

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
  registerProviders(program);
  registerSynth(program);
  registerModels(program);
  registerCache(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof DieInspectError) {
      process.stderr.write(`die-inspect: ${err.message} (${err.code})\n`);
      return err.code === 'ERR_INVALID_ARG' || err.code === 'ERR_CONFIG' ? 2 : 1;
    }
    process.stderr.write(`die-inspect: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
  }
}
