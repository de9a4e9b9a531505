#!/usr/bin/env node
'use strict';
// Writes models/<name>.json, a model's card, with the metrics our own `eval`
// measures on a held-out synthetic split, and regenerates models/README.md.
//   node scripts/model-card.js --name N --file N.onnx --role R --data DIR [--run RUNDIR] [--default] [--protocol deeppcb]
//       [--format deeppcb --list LIST]   (eval reads the original DeepPCB files: templates for pair models)
//       [--train-data TEXT] [--command CMD] [--notes TEXT] [--limitations "a|b"] [--eval-desc TEXT] [--gflops G]
//       (provenance text for the card; --command defaults to RUNDIR/recipe.txt)
// A package segmenter is measured by bench/roi-accuracy.js (seg strategy, fresh parts) instead.
//       [--package die-inspect-models-extra]   (where a new card goes: a model package's models/; default: models/)
//   node scripts/model-card.js --index        (README and models/packages.json only)
//   node scripts/model-card.js --compare A,B --data DIR [--imgsz 320] [--bootstrap 1000] [--int8 B --calib DIR]
//       detectors side by side in the study's Table 4.6 form (P, R, mAP with its bootstrap interval,
//       params, GFLOPs, batches of 16 per second measured in one run), saved to models/comparisons/
//       for the README; --int8 adds that model quantized by `die-inspect quantize` on --calib images
//   node scripts/model-card.js --ensemble A,B[,C...] --val VALDIR --data TESTDIR [--bootstrap 1000] [--manifest FILE]
//       classifiers alone and combined every way `die-inspect ensemble` compares (each fitted on VALDIR),
//       all measured in one pass over the held-out TESTDIR (AUC with intervals, the paired interval of
//       each combination minus the best member, ECE, log-loss); --manifest writes the chosen one there;
//       [--budget-ms MS --cost-ms A,B,...] chooses among every set of members within that cost, as `ensemble` does
//   node scripts/model-card.js --speed [A,B,...]   (default: every card)
//       each model's own speed at its input size (`bench`, batch 1 and 16) into its card
//   node scripts/model-card.js --name N --role die-defect-generator|board-generator --metrics GAN.json
//       [--row NAME] [--run RUNDIR] [--package P] [--train-data TEXT] [--command CMD] [--notes TEXT] [--limitations "a|b"]
//       a generator's card: FID / KID from `node scripts/gan-metrics.js --json GAN.json` (a board
//       generator's from its --boards row, --row, default --name), samples a second
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const modelsDir = path.join(root, 'models');
const cli = path.join(root, 'bin', 'die-inspect.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const flag = (name) => process.argv.includes(`--${name}`);
const run = (args) => JSON.parse(execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

/** good/defective CSV from a YOLO crops folder (empty label file = good). */
function classificationCsv(crops) {
  const rows = ['path,label'];
  for (const f of fs.readdirSync(path.join(crops, 'images')).sort()) {
    const lbl = path.join(crops, 'labels', f.replace(/\.[^.]+$/, '.txt'));
    const defective = fs.existsSync(lbl) && fs.readFileSync(lbl, 'utf8').trim().length > 0;
    rows.push(`${path.resolve(crops, 'images', f)},${defective ? 'defective' : 'good'}`);
  }
  const file = path.join(os.tmpdir(), `die-inspect-cls-${process.pid}.csv`);
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

// Cards live beside their models: models/ (the main package) and packages/models-*/models/.
const packagesDir = path.join(root, 'packages');
const modelPackages = () => fs.readdirSync(packagesDir).filter((d) => d.startsWith('models-')).sort()
  .map((d) => ({ pkg: JSON.parse(fs.readFileSync(path.join(packagesDir, d, 'package.json'), 'utf8')).name, dir: path.join(packagesDir, d, 'models') }));
const isCard = (f) => f.endsWith('.json') && f !== 'packages.json';
const cardDirs = () => [{ pkg: 'die-inspect', dir: modelsDir }, ...modelPackages()];
const cardDir = (name) => {
  const hit = cardDirs().find((d) => fs.existsSync(path.join(d.dir, `${name}.json`)));
  if (!hit) throw new Error(`no card ${name}.json in models/ or packages/models-*/models/`);
  return hit.dir;
};
const cardNames = () => cardDirs().flatMap((d) => fs.readdirSync(d.dir).filter(isCard).sort().map((f) => f.slice(0, -5)));
const readCard = (name) => JSON.parse(fs.readFileSync(path.join(cardDir(name), `${name}.json`), 'utf8'));
const modelFile = (card) => path.join(cardDir(card.name), card.file);
const writeCard = (dir, card) => fs.writeFileSync(path.join(dir, `${card.name}.json`), JSON.stringify(card, null, 2) + '\n');

/** models/packages.json: each model package's models and their roles, for lib/runtime/models.ts. */
function writeCatalog() {
  const catalog = {};
  for (const { pkg, dir } of modelPackages()) {
    catalog[pkg] = {};
    for (const f of fs.readdirSync(dir).filter(isCard).sort()) {
      const card = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      catalog[pkg][card.name] = card.role;
    }
  }
  fs.writeFileSync(path.join(modelsDir, 'packages.json'), JSON.stringify(catalog, null, 2) + '\n');
}

function writeIndex() {
  writeCatalog();
  const cards = cardNames().map(readCard);
  const lines = [
    '# Models',
    '',
    'Every model here was trained by the recipes in `recipes/` on data our own `synth` generated',
    '(or on the DeepPCB set), and measured by our own `die-inspect eval` on a held-out split.',
    'Each `<name>.json` is the card: task, classes, input, output, provenance (data, exact',
    'command), size and metrics. The default Inspector\'s models are here, in the main package;',
    'the others are in the model packages under `../packages/models-*/models/`, installed by',
    'name (`npm install die-inspect-models-roi`, `die-inspect-models-extra`). `npx die-inspect',
    'models` lists what is installed. Written by `node scripts/model-card.js`.',
    '',
    '| model | task | classes | input | held-out metrics | params | GFLOPs | speed | default |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cards) {
    const m = c.metrics || {};
    const metric = m.iouMean !== undefined
      ? `package IoU ${m.iouMean.toFixed(4)}, corner error ${m.cornerErrorMean.toFixed(2)} px, angle error p95 ${m.angleErrorP95.toFixed(3)} deg`
      : m.map50 !== undefined
      ? `mAP50 ${m.map50.toFixed(3)}, mAP50-95 ${m.map50_95.toFixed(3)}, P ${m.precision.toFixed(3)}, R ${m.recall.toFixed(3)}`
        + (m.deeppcb ? `; DeepPCB protocol (IoU > ${m.deeppcb.iou}) mAP ${m.deeppcb.map.toFixed(3)}, F-score ${m.deeppcb.fscore.toFixed(3)}` : '')
      : m.auc !== undefined ? `AUC ${m.auc.toFixed(4)}, acc ${m.accuracy.toFixed(3)}`
      : m.fid !== undefined ? `FID ${m.fid.toFixed(1)}, KID ${m.kid.toFixed(4)}, seam ratio ${m.seamRatio.toFixed(3)} (features: a classifier's, not Inception)`
      : c.task === 'gan-dies' ? Object.entries(m).map(([k, v]) => `${k} FID ${v.fid.toFixed(1)}, KID ${v.kid.toFixed(4)}`).join('; ')
        + ' (features: a classifier\'s, not Inception)'
      : '';
    const sp = c.speed ? `${c.speed.batch1.imagesPerSec.toFixed(1)} img/s (b1), ${c.speed.batch16.batchesPerSec.toFixed(2)} batches/s (b16) at ${c.speed.input.join('x')}, ${c.speed.provider}` : '';
    lines.push(`| ${c.name} | ${c.task} | ${c.classes.join(', ')} | ${c.input} | ${metric} | ${c.params ? (c.params / 1e6).toFixed(2) + ' M' : ''} | ${c.gflops ? c.gflops.toFixed(2) : ''} | ${sp} | ${c.default ? 'yes' : ''} |`);
  }
  const machines = [...new Set(cards.filter((c) => c.speed).map((c) => c.speed.machine))];
  if (machines.length) lines.push('', `Speed: \`die-inspect bench\` at each model's own input size on ${machines.join('; ')} (\`node scripts/model-card.js --speed\`).`);
  const compDir = path.join(modelsDir, 'comparisons');
  // by name without '.json', so a table comes before its variants (defect-detectors, then defect-detectors-second-split)
  const comparisons = fs.existsSync(compDir) ? fs.readdirSync(compDir).filter((x) => x.endsWith('.json')).map((x) => x.slice(0, -5)).sort() : [];
  for (const f of comparisons.map((x) => `${x}.json`)) {
    const c = JSON.parse(fs.readFileSync(path.join(compDir, f), 'utf8'));
    lines.push('', `## Side by side: ${f.replace(/\.json$/, '')}${c.kind === 'ensemble' ? '' : " (the study's Table 4.6 form)"}`, '',
      ...comparisonTable(c));
  }
  for (const c of cards) {
    const pkg = cardDirs().find((d) => d.dir === cardDir(c.name)).pkg;
    lines.push('', `## ${c.name}`, '', `- package: ${pkg === 'die-inspect' ? 'die-inspect (the main package)' : `${pkg} (\`npm install ${pkg}\`)`}`,
      `- task: ${c.task} (${c.role}); classes: ${c.classes.join(', ')}`, `- input: ${c.input}`, `- output: ${c.output}`,
      `- training data: ${c.training.data}`, `- command: \`${c.training.command}\``);
    if (c.training.notes) lines.push(`- notes: ${c.training.notes}`);
    if (c.evaluation) lines.push(`- evaluated on: ${c.evaluation}`);
    for (const l of c.limitations || []) lines.push(`- limitation: ${l}`);
  }
  fs.writeFileSync(path.join(modelsDir, 'README.md'), lines.join('\n') + '\n');
}

/** Detectors side by side on one held-out split; speed measured in one bench run so the ratio is fair. */
function compare() {
  const names = arg('compare').split(',');
  const data = arg('data');
  const imgsz = arg('imgsz', '320');
  const cards = names.map(readCard);
  const files = cards.map(modelFile);
  const labels = [...names];
  const int8 = arg('int8');
  if (int8) {
    const i = names.indexOf(int8);
    if (i < 0 || !arg('calib')) throw new Error('--int8 names one of the --compare models, and needs --calib DIR');
    const q = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'card-int8-')), `${int8}-int8.onnx`);
    run(['quantize', '-m', files[i], '--calib', arg('calib'), '--out', q, '--json']);
    cards.push(cards[i]);
    files.push(q);
    labels.push(`${int8} (INT8)`);
  }
  const evalDir = fs.existsSync(path.join(data, 'crops')) ? path.join(data, 'crops') : data;
  const boot = arg('bootstrap') ? ['--bootstrap', arg('bootstrap')] : [];
  const evals = files.map((f) => run(['eval', '--model', f, '--data', evalDir, '--imgsz', imgsz, ...boot, '--json']));
  const benches = [].concat(run(['bench', ...files.flatMap((f) => ['--model', f]), '--batch', '16', '--warmup', '2',
    '--iters', arg('iters', '5'), '--imgsz', imgsz, '--json']));
  const rows = labels.map((name, i) => ({
    name, precision: evals[i].precision, recall: evals[i].recall, map50: evals[i].map50, map50_95: evals[i].map50_95,
    ...(evals[i].intervals ? { map50Interval: evals[i].intervals.map50, map50_95Interval: evals[i].intervals.map50_95 } : {}),
    params: benches[i].params,
    gflops640: benches[i].gflops !== null ? benches[i].gflops * (640 / Number(imgsz)) ** 2 : cards[i].gflops,
    batchesPerSec16: benches[i].runs[0].batchesPerSec,
  }));
  const out = { data: arg('eval-desc', data), imgsz: Number(imgsz), machine: benches[0].machine, provider: benches[0].provider, rows };
  fs.mkdirSync(path.join(modelsDir, 'comparisons'), { recursive: true });
  fs.writeFileSync(path.join(modelsDir, 'comparisons', `${arg('out', names[0])}.json`), JSON.stringify(out, null, 2) + '\n');
  writeIndex();
  process.stdout.write(comparisonTable(out).join('\n') + '\n');
}

/**
 * Each classifier alone and every combination fitted on the validation split, all scored from
 * one pass of the members over the held-out split; the chosen combination's manifest is the
 * one `die-inspect ensemble` writes from the same validation split.
 */
async function ensemble() {
  const { bootstrapAuc, chooseEnsemble, expectedCalibrationError, fitEnsemble, logLoss, readClassificationDataset, rocAuc }
    = require('../dist/eval');
  const { combined } = require('../dist/eval/ensemble-choice');
  const { classifyDataset } = require('../dist/eval/run-classifier');
  const names = arg('ensemble').split(',');
  const crops = (d) => (d.endsWith('crops') ? d : path.join(d, 'crops'));
  const read = (d) => readClassificationDataset(classificationCsv(crops(d)), { format: 'csv' });
  const manifestFile = arg('manifest', path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ens-')), 'ensemble.json'));
  const valData = await read(arg('val'));
  const fit = await fitEnsemble(names, valData, {
    positive: 'defective', manifestFile, name: arg('name'), dataLabel: arg('val-desc', arg('val')),
    ...(arg('budget-ms') ? { budget: Number(arg('budget-ms')) } : {}),
    ...(arg('cost-ms') ? { costs: arg('cost-ms').split(',').map(Number) } : {}),
  });
  if (arg('manifest')) {
    fs.mkdirSync(path.dirname(manifestFile), { recursive: true });
    fs.writeFileSync(manifestFile, JSON.stringify(fit.manifest, null, 2) + '\n');
  }
  const test = await classifyDataset(names, await read(arg('data')), {});
  const pos = test.classNames.indexOf('defective');
  const y = test.labels.map((l) => (l === pos ? 1 : 0));
  const members = test.memberProbabilities.map((ps) => ps.map((p) => p[pos]));
  // every candidate of all the members (fitted without the budget, which may leave them out), and the chosen one
  const { chosen } = fit.choice;
  const everyone = arg('budget-ms') ? chooseEnsemble(fit.scores, fit.labels) : fit.choice;
  const full = everyone.candidates.filter((c) => c.members.length === names.length);
  const shown = full.includes(chosen) ? full : [...full, chosen];
  const combos = shown.map((c) => combined(members, c.combination));
  const samples = Number(arg('bootstrap', '1000'));
  const memberAuc = members.map((s) => rocAuc(s, y));
  const best = memberAuc.indexOf(Math.max(...memberAuc));
  const b = bootstrapAuc([...combos, ...members], y, { samples, seed: 0 });
  // paired: each combination minus the member best on this split, from the same resamples
  const paired = combos.map((_, k) => bootstrapAuc([combos[k], members[best]], y, { samples, seed: 0 }).firstMinus[0]);
  const figures = (p) => ({ auc: rocAuc(p, y), ece: expectedCalibrationError(p, y), logLoss: logLoss(p, y) });
  const out = {
    kind: 'ensemble', data: arg('eval-desc', arg('data')), validation: arg('val-desc', arg('val')),
    samples: y.length, positives: y.reduce((a, v) => a + v, 0), bootstrap: samples, bestMember: names[best],
    chosen: chosen.members.length < names.length ? `${chosen.candidate} of ${chosen.members.map((j) => names[j]).join(' + ')}`
      : chosen.candidate,
    ...(fit.manifest.fit.costsMs ? { costsMs: fit.manifest.fit.costsMs, budgetMs: fit.manifest.fit.budgetMs } : {}),
    rows: [
      ...names.map((name, i) => ({ name, ...figures(members[i]), aucInterval: b.auc[combos.length + i].slice(0, 2) })),
      ...shown.map((c, k) => ({
        name: c.members.length < names.length ? `${c.candidate} of ${c.members.map((j) => names[j]).join(' + ')}` : c.candidate,
        chosen: c === chosen, rule: c.combination.rule, weights: c.combination.weights.map((w) => Number(w.toFixed(4))),
        calibration: c.combination.calibration ? c.combination.calibration.method : 'none',
        validationLogLoss: c.crossValidated.logLoss, ...figures(combos[k]), aucInterval: b.auc[k].slice(0, 2),
        minusBest: paired[k].interval, aheadOfBest: paired[k].firstBetter,
      })),
    ],
  };
  fs.mkdirSync(path.join(modelsDir, 'comparisons'), { recursive: true });
  fs.writeFileSync(path.join(modelsDir, 'comparisons', `${arg('out', 'good-defect-ensemble')}.json`), JSON.stringify(out, null, 2) + '\n');
  writeIndex();
  process.stdout.write(comparisonTable(out).join('\n') + '\n');
}

/** `bench` at the model's own input size; the machine is recorded because the figures only hold there. */
function speed() {
  const list = arg('speed');
  const names = list && !list.startsWith('--') ? list.split(',') : cardNames();
  for (const name of names) {
    const card = readCard(name);
    if (card.task.startsWith('gan-')) continue;  // a generator's card times it when written (generatorCard)
    const b = run(['bench', '--model', modelFile(card), '--batch', '1,16', '--warmup', '3', '--iters', arg('iters', '20'), '--json']);
    const [one, sixteen] = b.runs;
    card.speed = {
      provider: b.provider, machine: b.machine, input: b.inputSize,
      batch1: { imagesPerSec: one.imagesPerSec, p50Ms: one.p50Ms },
      batch16: { batchesPerSec: sixteen.batchesPerSec, imagesPerSec: sixteen.imagesPerSec },
    };
    writeCard(cardDir(name), card);
    process.stdout.write(`${name}: ${one.imagesPerSec.toFixed(1)} img/s at batch 1, ${sixteen.batchesPerSec.toFixed(2)} batches/s at 16 (${b.inputSize.join('x')}, ${b.provider})\n`);
  }
  writeIndex();
}

function comparisonTable(c) {
  if (c.kind === 'ensemble') {
    const f5 = (v) => v.toFixed(5);
    const iv = (r) => (r.aucInterval ? ` (${f5(r.aucInterval[0])}-${f5(r.aucInterval[1])})` : '');
    const signed = (v) => (v < 0 ? '' : '+') + v.toFixed(5);
    return [
      `Held out: ${c.data} (${c.samples} crops, ${c.positives} defective). Combinations fitted on ${c.validation} `
        + `(weights and calibration; chosen by 5-fold cross-validated log-loss there${c.budgetMs ? `, among every set of members `
        + `whose costs (${c.costsMs.join(', ')} ms an image) fit ${c.budgetMs} ms` : ''}: **${c.chosen}**). AUC with its 95% bootstrap `
        + `interval (${c.bootstrap} resamples); "- best member": the paired interval of the combination's AUC minus that of `
        + `${c.bestMember}, the best member on this split. ECE: expected calibration error, 10 bins.`,
      '',
      '| classifier or combination | rule, weights, calibration | AUC | - best member | ECE | log-loss |',
      '|---|---|---|---|---|---|',
      ...c.rows.map((r) => `| ${r.chosen ? `**${r.name}** (chosen)` : r.name} | ${r.rule ? `${r.rule}, ${r.weights.join(' / ')}, ${r.calibration}` : 'member'} | `
        + `${f5(r.auc)}${iv(r)} | ${r.minusBest ? `${signed(r.minusBest[0])} to ${signed(r.minusBest[1])}` : ''} | `
        + `${r.ece.toFixed(4)} | ${r.logLoss.toFixed(4)} |`),
    ];
  }
  const pct = (v) => (100 * v).toFixed(1);
  const ci = (v, iv) => (iv ? `${pct(v)} (${pct(iv[0])}-${pct(iv[1])})` : pct(v));
  return [
    `Held out: ${c.data}. FPS(b16) = batches of 16 per second at ${c.imgsz}x${c.imgsz}, ${c.provider}, ${c.machine}, measured in one run.`,
    '',
    '| setting | P | R | mAP@.5 | mAP@.5:.95 | params | GFLOPs (640) | FPS(b16) |',
    '|---|---|---|---|---|---|---|---|',
    ...c.rows.map((r) => `| ${r.name} | ${pct(r.precision)} | ${pct(r.recall)} | ${ci(r.map50, r.map50Interval)} | ${ci(r.map50_95, r.map50_95Interval)} | ${(r.params / 1e6).toFixed(2)} M | ${r.gflops640.toFixed(1)} | ${r.batchesPerSec16.toFixed(2)} |`),
  ];
}

/** The recipe command of a run, relative to the repository (data/ and runs/ are git-ignored there). */
function recipeCommand(runDir) {
  return (arg('command') ?? (runDir && fs.existsSync(path.join(runDir, 'recipe.txt')) ? fs.readFileSync(path.join(runDir, 'recipe.txt'), 'utf8').trim() : ''))
    .replace(/\/\S*\/data\//g, 'data/').replace(/\/\S*\/runs\//g, 'runs/');
}

/** Samples a second at batch 1 and 16, timed here (the generator's own call, no pre- or post-processing). */
async function generatorSpeed(gen, sample) {
  const { machineDescription } = require(path.join(root, 'dist', 'tools', 'benchmark'));
  const time = async (n, iters) => {
    await sample(n);
    const ms = [];
    for (let i = 0; i < iters; i++) {
      const t = process.hrtime.bigint();
      await sample(n);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return ms[Math.floor(ms.length / 2)];
  };
  const one = await time(1, Number(arg('iters', '20')));
  const sixteen = await time(16, Math.max(3, Number(arg('iters', '20')) / 4));
  return { provider: 'cpu', machine: machineDescription(), input: [gen.height ?? gen.size, gen.width ?? gen.size],
    batch1: { imagesPerSec: 1000 / one, p50Ms: one }, batch16: { batchesPerSec: 1000 / sixteen, imagesPerSec: 16000 / sixteen } };
}

/** A generator's card: its contract from the file, FID / KID from scripts/gan-metrics.js, speed timed here. */
async function generatorCard() {
  const { DieGenerator, PackageGenerator, DEFECT_CLASSES } = require(path.join(root, 'dist'));
  const missing = ['name', 'metrics'].filter((k) => !arg(k));
  if (missing.length) throw new Error(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const name = arg('name');
  const role = arg('role');
  const file = arg('file', `${name}.onnx`);
  const pkg = arg('package');
  const outDir = pkg ? modelPackages().find((p) => p.pkg === pkg)?.dir : modelsDir;
  if (!outDir) throw new Error(`--package ${pkg}: no such model package in packages/`);
  const model = path.join(outDir, file);
  const report = JSON.parse(fs.readFileSync(arg('metrics'), 'utf8'));
  // fixed latents for timing (their values do not change the cost)
  const latents = (n, latent) => new Float32Array(n * latent).map((_, i) => Math.sin(i * 12.9898) * 1.5);
  let card;
  if (role === 'die-defect-generator') {
    const gen = await DieGenerator.create(model, { classes: DEFECT_CLASSES });
    const speed = await generatorSpeed(gen, (n) => gen.generate(latents(n, gen.latent), new Array(n).fill(0)));
    card = {
      task: 'gan-dies', classes: gen.names,
      input: `z [batch, ${gen.latent}] float32 (standard normal), class [batch] int64 (index into the classes); samples ${gen.size}x${gen.size} to [${gen.size}, ${gen.size}]`,
      output: `\`images\` [batch, 3, ${gen.size}, ${gen.size}] float RGB 0..1: the label box grown by ${gen.context} x its size on each side (metadata context), box sizes to paste at in metadata box_sizes`,
      metrics: Object.fromEntries(report.dies.map((d) => [d.class, { fid: d.gan.fid, kid: d.gan.kid, kidStd: d.gan.kidStd,
        realFloorFid: d.floor.fid, realFloorKid: d.floor.kid, real: d.gan.real, generated: d.gan.generated }])),
      speed,
    };
    await gen.close();
  } else {
    const gen = await PackageGenerator.create(model);
    const row = report.boards.find((r) => r.name === arg('row', name));
    if (!row) throw new Error(`${arg('metrics')} has no boards row '${arg('row', name)}' (--row names it)`);
    const speed = await generatorSpeed(gen, (n) => gen.generate(latents(n, gen.latent)));
    const floor = report.boards.find((r) => r.name === 'real (train)');
    card = {
      task: 'gan-packages', classes: [],
      input: `z [batch, ${gen.latent}] float32 (standard normal); images to [${gen.height}, ${gen.width}]`,
      output: `\`images\` [batch, 3, ${gen.height}, ${gen.width}] float RGB 0..1 (${gen.info.metadata.arch}, ${gen.info.metadata.tiles} x ${gen.info.metadata.tiles} tiles, coherence ${gen.info.metadata.coherence})`,
      metrics: { fid: row.fid, kid: row.kid, kidStd: row.kidStd, seamRatio: row.seamRatio, realFloorFid: floor?.fid, realFloorKid: floor?.kid,
        realSeamRatio: floor?.seamRatio, real: row.real, generated: row.generated },
      speed,
    };
    await gen.close();
  }
  const out = {
    name, file, role, ...card,
    training: { data: arg('train-data', ''), command: recipeCommand(arg('run')), notes: arg('notes', undefined) },
    evaluation: `node scripts/gan-metrics.js on ${arg('eval-desc', 'held-out real images')}; features: ${report.classifier}'s pooled last feature map (not Inception)`,
    limitations: arg('limitations') ? arg('limitations').split('|') : [],
  };
  writeCard(outDir, out);
  writeIndex();
  process.stdout.write(`wrote ${path.relative(root, path.join(outDir, `${name}.json`))}\n`);
}

/** The usage lines at the top of this file. */
function usage() {
  const head = fs.readFileSync(__filename, 'utf8').split('\n').slice(2).filter((l) => l.startsWith('//'));
  return head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n';
}

function main() {
  if (flag('help') || flag('h')) return process.stdout.write(usage());
  if (flag('index')) return writeIndex();
  if (arg('compare')) return compare();
  if (arg('ensemble')) return ensemble().catch((err) => { process.stderr.write(`${err.stack || err}\n`); process.exitCode = 1; });
  if (flag('speed')) return speed();
  if ((arg('role') ?? '').endsWith('-generator')) {
    return generatorCard().catch((err) => { process.stderr.write(`${err.stack || err}\n`); process.exitCode = 1; });
  }
  const missing = ['name', 'role', 'data'].filter((k) => !arg(k));
  if (missing.length) {
    process.stderr.write(`model-card: missing ${missing.map((k) => `--${k}`).join(', ')}\n\n${usage()}`);
    process.exitCode = 2;
    return undefined;
  }
  const name = arg('name');
  const file = arg('file', `${name}.onnx`);
  const role = arg('role');
  const data = arg('data');
  const runDir = arg('run');
  const pkg = arg('package');
  const outDir = pkg ? modelPackages().find((p) => p.pkg === pkg)?.dir : modelsDir;
  if (!outDir) throw new Error(`--package ${pkg}: no such model package in packages/`);
  const model = path.join(outDir, file);
  const task = role.endsWith('classifier') ? 'classify' : role === 'package-segmenter' ? 'segment' : 'detect';
  const recipe = recipeCommand(runDir);
  const info = run(['info', model, '--json']);
  const meta = info.metadata || {};
  let metrics;
  let card;
  const plots = path.join(modelsDir, 'plots', name);
  if (task === 'segment') {
    const out = execFileSync(process.execPath, [path.join(root, 'bench', 'roi-accuracy.js'), '--strategy', 'seg', '--model', model,
      '--count', arg('count', '200'), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    metrics = JSON.parse(out.trim().split('\n').pop());
    const bench = run(['bench', '--model', model, '--batch', '1', '--warmup', '1', '--iters', '2', '--imgsz', '640', '--json']);
    card = {
      params: bench.params, gflops: bench.gflops,
      output: '`output0` [batch, N, 5 + C + 32]: cx, cy, w, h (input pixels), objectness, class scores (sigmoid), 32 mask coefficients (raw); '
        + '`output1` [batch, 32, H/4, W/4] mask prototypes (YOLOv5-seg layout)',
    };
  } else if (task === 'detect') {
    const evalDir = fs.existsSync(path.join(data, 'crops')) ? path.join(data, 'crops') : data;
    // --protocol deeppcb adds the dataset authors' IoU > 0.33 figures beside COCO mAP;
    // --format deeppcb --list L reads the original DeepPCB files (a pair model needs their templates)
    const source = [...(arg('format') ? ['--format', arg('format')] : []), ...(arg('list') ? ['--list', arg('list')] : [])];
    const ev = run(['eval', '--model', model, '--data', evalDir, ...source, '--json', '--plots', plots, '--protocol', arg('protocol', 'coco')]);
    const bench = run(['bench', '--model', model, '--batch', '1', '--warmup', '1', '--iters', '2', '--imgsz', '640', '--json']);
    metrics = { map50: ev.map50, map50_95: ev.map50_95, precision: ev.precision, recall: ev.recall, f1: ev.f1, perClass: ev.perClass, sizes: ev.sizes, conf: ev.conf, deeppcb: ev.deeppcb };
    // --gflops: the recipe's own count, for a graph whose shapes the walk cannot follow
    card = { params: bench.params, gflops: bench.gflops ?? (Number(arg('gflops')) || undefined), output: '`output` [batch, N, 5 + C]: cx, cy, w, h (input pixels), objectness, class scores (sigmoid), YOLOv7 decoded layout' };
  } else {
    const csv = classificationCsv(data.endsWith('crops') ? data : path.join(data, 'crops'));
    const ev = run(['eval', '--model', model, '--data', csv, '--format', 'csv', '--task', 'classify', '--positive', 'defective', '--json', '--plots', plots]);
    metrics = { auc: ev.auc, accuracy: ev.accuracy, precision: ev.precision, recall: ev.recall, f1: ev.f1 };
    card = { output: '`logits` [batch, 2]: good, defective (softmax)' };
  }
  const names = (meta.names || '').match(/'([^']+)'/g)?.map((s) => s.slice(1, -1)) ?? [];
  const inputs = info.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join('; ');
  const out = {
    name,
    file,
    task,
    role,
    default: flag('default'),
    classes: names,
    input: `${inputs}, float RGB 0..1${meta.planes ? ` whose planes are ${meta.planes.split(',').join(', ')} (grey; the runtime builds them from { image, reference })` : ''}${meta.mean ? `, normalised by mean ${meta.mean} / std ${meta.std}` : ''}, ${task === 'classify' ? 'resized' : 'letterboxed (pad 114)'} to ${meta.imgsz}${meta.region ? `, region ${meta.region} of the upright crop` : ''}`,
    ...card,
    training: { data: arg('train-data', ''), command: recipe, notes: arg('notes', undefined) },
    evaluation: `die-inspect eval on ${arg('eval-desc', data)}`,
    metrics,
    limitations: arg('limitations') ? arg('limitations').split('|') : [],
  };
  writeCard(outDir, out);
  writeIndex();
  process.stdout.write(`wrote ${path.relative(root, path.join(outDir, `${name}.json`))}\n`);
}

main();
