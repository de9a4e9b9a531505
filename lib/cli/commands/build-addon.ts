/** `die-inspect build-addon`: the source build, where no prebuilt addon loads. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Command } from 'commander';
import { DieInspectError } from '../../core/errors';

export function registerBuildAddon(program: Command): void {
  program
    .command('build-addon')
    .description('build the native addon from source (where no prebuilt one fits this machine), or say what the build needs')
    .option('--force', 'build even when an addon already loads')
    .action((o: { force?: boolean }) => {
      const script = path.join(__dirname, '..', '..', '..', 'scripts', 'build-addon.js');
      const r = spawnSync(process.execPath, [script, ...(o.force ? ['--force'] : [])], { stdio: 'inherit' });
      if (r.status !== 0) throw new DieInspectError('ERR_ADDON_LOAD', 'the addon was not built (see above)');
    });
}
