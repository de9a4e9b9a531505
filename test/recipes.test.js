'use strict';
// The training recipes' own tests (python unittest, models/recipes/tests): the channel
// pruner, the slim-neck detector, checkpoints and exports of pruned models. They need
// Debian's torch (scripts/install-system-deps.sh --recipes); without it they are skipped,
// except under CI, which installs it.
const assert = require('assert');
const path = require('path');
const { execFile, spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const PYTHON = '/usr/bin/python3';

function torchImportable() {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore' });
  return r.status === 0;
}

describe('training recipes (python unittest)', function () {
  this.timeout(300000);

  it('models/recipes/tests pass', async function () {
    if (!torchImportable()) {
      if (process.env.CI) throw new Error(`${PYTHON} cannot import torch, onnx and numpy: CI installs them with scripts/install-system-deps.sh --recipes`);
      this.skip();
    }
    const { code, output } = await new Promise((resolve) => {
      execFile(PYTHON, ['-m', 'unittest', 'discover', '-s', 'models/recipes/tests', '-v'],
        { cwd: ROOT, maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: '1' } },
        (err, stdout, stderr) => resolve({ code: err ? err.code : 0, output: stdout + stderr }));
    });
    assert.strictEqual(code, 0, output.slice(-6000));
    assert.match(output, /\nOK/);
  });
});
