'use strict';
// Runs the CLI as a user would and collects its exit code and output.
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');

const BIN = path.join(__dirname, '..', '..', 'bin', 'die-inspect.js');
// TensorRT engine caches made by CLI runs under test go to a temporary folder, not ~/.cache
const ENV = { ...process.env, DIE_INSPECT_CACHE_DIR: path.join(os.tmpdir(), 'die-inspect-test-cache') };

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, env: ENV }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

module.exports = { run, BIN };
