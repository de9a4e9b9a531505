#!/usr/bin/env node
'use strict';
// Adds a classifier's last feature map as a second output (metadata cam_features), so that
// Classifier.explain() draws class activation maps: `node scripts/add-cam-output.js IN.onnx [OUT.onnx]`
// (default: IN rewritten in place). Weights and the first output are untouched.
const fs = require('fs');
const { withCamOutput } = require('../dist/runtime/onnx/cam-head');
const { writeAtomically } = require('../dist/runtime/atomic-write');

async function main() {
  const [input, output = input] = process.argv.slice(2);
  if (!input) {
    process.stderr.write('usage: node scripts/add-cam-output.js IN.onnx [OUT.onnx]\n');
    process.exit(2);
  }
  const bytes = fs.readFileSync(input);
  const out = withCamOutput(bytes, input);
  if (out === bytes) {
    process.stdout.write(`${input}: already has its feature output\n`);
    return;
  }
  await writeAtomically(output, Buffer.from(out));
  process.stdout.write(`${output}: feature output added (${(out.length / 1e6).toFixed(2)} MB)\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
