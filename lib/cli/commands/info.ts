/** `die-inspect info <model>`: what a model takes and gives, and where it runs. */
import { Command } from 'commander';
import { shapeText } from '../../runtime/metadata';
import { ModelSession, TensorInfo } from '../../runtime/session';
import { PROVIDERS_HELP, parseProviders } from '../options';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print a model\'s inputs, outputs, metadata and the execution provider in use')
    .argument('<model>', 'ONNX model file')
    .option('--ep <providers>', PROVIDERS_HELP, 'cpu')
    .option('--json', 'print JSON')
    .action(async (model: string, opts: { ep: string; json?: boolean }) => {
      const session = await ModelSession.create(model, { providers: parseProviders(opts.ep) });
      try {
        const info = session.info;
        if (opts.json) {
          process.stdout.write(JSON.stringify(info, null, 2) + '\n');
          return;
        }
        const fmt = (t: TensorInfo) => `  ${t.name}: ${t.type} [${shapeText(t.shape)}]`;
        process.stdout.write(`provider: ${info.provider}\n`);
        for (const a of info.providerAttempts.filter((x) => !x.ok)) {
          process.stdout.write(`  ${a.provider} unavailable: ${a.reason}\n`);
        }
        process.stdout.write(`inputs:\n${info.inputs.map(fmt).join('\n')}\noutputs:\n${info.outputs.map(fmt).join('\n')}\n`);
        const meta = Object.entries(info.metadata);
        if (meta.length) process.stdout.write(`metadata:\n${meta.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
      } finally {
        session.close();
      }
    });
}
