#!/usr/bin/env node
'use strict';
// Does memory stay flat over a long run? Inspects the samples round after round
// (the shipped models, submit() and inspect() alternating, a bad image in every
// round) and prints resident and external memory after each; a leak shows as
// steady growth after the first rounds.
//   node --expose-gc bench/memory.js [--rounds 12] [--images 64]
const fs = require('fs');
const path = require('path');
const { Inspector } = require('..');
const { arg } = require('./helpers/args');

const mb = (b) => (b / 2 ** 20).toFixed(1);

(async () => {
  const rounds = Number(arg('rounds', 12));
  const count = Number(arg('images', 64));
  const dir = path.join(__dirname, '..', 'samples', 'images');
  const samples = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => fs.readFileSync(path.join(dir, f)));
  const images = Array.from({ length: count }, (_, i) => (i === 5 ? Buffer.from('not an image') : samples[i % samples.length]));
  const inspector = await Inspector.create();
  const rss = [];
  try {
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) await inspector.inspect(images);
      else await Promise.all(images.map((img) => inspector.submit(img)));
      global.gc?.();
      const m = process.memoryUsage();
      rss.push(m.rss);
      process.stdout.write(`round ${String(r + 1).padStart(2)}: rss ${mb(m.rss)} MiB, external ${mb(m.external)} MiB, heap ${mb(m.heapUsed)} MiB\n`);
    }
  } finally {
    inspector.close();
  }
  if (!global.gc) process.stdout.write('(run with --expose-gc for steadier figures)\n');
  const settled = Math.min(2, rss.length - 1);
  const growth = (rss[rss.length - 1] - rss[settled]) / 2 ** 20;
  process.stdout.write(`rss from round ${settled + 1} to ${rss.length}: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB over ${(rss.length - 1 - settled) * count} images\n`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
