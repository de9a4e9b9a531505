'use strict';
// Runs the CLI as a user would and collects its exit code and output.
const path = require('path');
const { execFile } = require('child_process');

const BIN = path.join(__dirname, '..', '..', 'bin', 'die-inspect.js');

function run(args, options = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, ...options }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

module.exports = { run, BIN };
