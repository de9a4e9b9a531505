/** `die-inspect providers`: which execution providers load on this machine, and why not. */
import { Command } from 'commander';
import path from 'path';
import { runtimeInfo } from '../../runtime/ops';
import { cacheRoot } from '../../runtime/trt-cache';
import { ModelSession, ProviderName } from '../../runtime/session';
import { tinyProbeModel } from '../../runtime/onnx/probe-model';

export function registerProviders(program: Command): void {
  program
    .command('providers')
    .description('try each execution provider (cpu, cuda, tensorrt) and report what loads and why not')
    .option('--device <id>', 'GPU device id', '0')
    .option('--json', 'print JSON')
    .action(async (o: { device: string; json?: boolean }) => {
      const rt = runtimeInfo();
      const trtCache = path.join(cacheRoot(), 'tensorrt');
      const results: Array<{ provider: ProviderName; available: boolean; reason: string }> = [];
      for (const p of ['tensorrt', 'cuda', 'cpu'] as ProviderName[]) {
        // CPU as the floor so that a provider which cannot load still gives a session and its reason
        const s = await ModelSession.create(tinyProbeModel(), {
          providers: p === 'cpu' ? [p] : [p, 'cpu'], deviceId: Number(o.device), trtEngineCacheDir: false, trtTimingCacheDir: false,
        });
        const attempt = s.info.providerAttempts.find((a) => a.provider === p);
        results.push({ provider: p, available: s.provider === p, reason: s.provider === p ? '' : attempt?.reason ?? 'not used' });
        s.close();
      }
      if (o.json) {
        process.stdout.write(JSON.stringify({ ortVersion: rt.ortVersion, compiledProviders: rt.compiledProviders, providers: results,
          tensorrtCache: trtCache }, null, 2) + '\n');
        return;
      }
      process.stdout.write(`ONNX Runtime ${rt.ortVersion}; compiled in: ${rt.compiledProviders.join(', ')}\n`);
      for (const r of results) {
        process.stdout.write(`${r.provider.padEnd(9)} ${r.available ? 'available' : `unavailable: ${r.reason}`}\n`);
      }
      process.stdout.write(`TensorRT engine cache: ${trtCache} (npx die-inspect cache)\n`);
      if (!results[1].available) {
        process.stdout.write('GPU providers: see docs/gpu.md (scripts/install-gpu-providers.js)\n');
      }
    });
}
