#!/usr/bin/env node
'use strict';
// A closed pipe (`die-inspect ... | head`) ends the command quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
require('../dist/cli/index.js')
  .main(process.argv)
  .then((code) => { process.exitCode = code; });
