'use strict';
// `dataset check` on generated splits with one of each problem planted, in each layout
// (YOLO, COCO JSON, class folders, CSV): it finds exactly those and nothing else; a clean
// dataset has no findings. With a model, a flipped label is the one disagreement; the
// HTML report and the clean lists are read back.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize, decodeImage, encodeImage } = require('../dist');
const { checkDataset, datasetReportHtml, datasetSplits } = require('../dist/eval');
const { run } = require('./helpers/cli');

/** [kind, split, file the finding is about (the image a label belongs to), the image it repeats, leak], sorted. */
const summary = (findings) => findings.map((x) => [x.kind, x.split, path.basename(x.image ?? x.path), x.of ? path.basename(x.of.path) : null,
  !!x.leak]).sort();

/** A distinct picture (a gradient with a seed-dependent pattern) as JPEG bytes: no near duplicate of a synthetic part. */
async function pattern(seed, width = 96, height = 80) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width, y = Math.floor(i / width);
    data.set([(x * 3 + seed * 40) & 255, (y * 5 + seed * 90) & 255, ((x ^ y) * seed) & 255], 3 * i);
  }
  return encodeImage({ data, width, height, channels: 3 }, { format: 'jpg', quality: 90 });
}

/**
 * Whether `html` is well formed: every tag closed in order (void elements and `/>` aside),
 * no `<` outside a tag or `&` outside an entity in text, every attribute value quoted.
 */
function wellFormed(html) {
  const VOID = new Set(['meta', 'img', 'br', 'hr', 'link', 'input']);
  const stack = [];
  const text = html.replace(/<style>[\s\S]*?<\/style>/, '<style></style>').replace(/^<!DOCTYPE html>/, '');
  const re = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const between = text.slice(last, m.index);
    assert.ok(!/[<>]/.test(between) && !/&(?!(amp|lt|gt|quot|#\d+);)/.test(between), `stray markup before ${m[0].slice(0, 60)}: ${between.slice(0, 80)}`);
    last = m.index + m[0].length;
    const [, close, name, , self] = m;
    if (close) assert.strictEqual(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!self && !VOID.has(name)) stack.push(name);
  }
  assert.ok(!/[<>]/.test(text.slice(last)), 'stray markup at the end');
  assert.deepStrictEqual(stack, [], 'unclosed elements');
}

describe('die-inspect dataset check', function () {
  this.timeout(120000);
  let dir;
  let train;
  let val;
  const img = (split, name) => path.join(split, 'images', name);
  const lbl = (split, name) => path.join(split, 'labels', name.replace(/\.jpg$/, '.txt'));
  const check = async (...args) => {
    const r = await run(['dataset', 'check', ...args, '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const fails = async (code, errorCode, ...args) => {
    const r = await run(['dataset', 'check', ...args]);
    assert.strictEqual(r.code, code, r.stderr);
    assert.match(r.stderr, new RegExp(`\\(${errorCode}\\)`));
    return r.stderr;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-check-'));
    await synthesize({ out: path.join(dir, 't'), count: 10, seed: 31, crops: true });
    await synthesize({ out: path.join(dir, 'v'), count: 6, seed: 32, crops: true });
    train = path.join(dir, 't', 'crops');
    val = path.join(dir, 'v', 'crops');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong in clean synthetic splits, and counts their balance', async () => {
    const r = await check(`train=${train}`, `val=${val}`);
    assert.deepStrictEqual(r.findings, []);
    assert.deepStrictEqual(r.splits.map((s) => [s.split, s.images]), [['train', 10], ['val', 6]]);
    assert.deepStrictEqual(r.classNames, ['die_crack', 'die_rotation']);
    const labelled = fs.readdirSync(path.join(train, 'labels')).filter((f) => fs.statSync(path.join(train, 'labels', f)).size > 0).length;
    assert.strictEqual(r.splits[0].defectFree, 10 - labelled);
  });

  it('finds exactly the planted problems', async () => {
    const names = fs.readdirSync(path.join(train, 'images')).sort();
    const [a, b, c, d, e, f, g, h] = names;
    fs.copyFileSync(img(train, a), img(train, 'dup.jpg'));
    fs.copyFileSync(lbl(train, a), lbl(train, 'dup.jpg'));
    fs.copyFileSync(img(train, b), img(val, 'leak.jpg'));
    fs.copyFileSync(lbl(train, b), lbl(val, 'leak.jpg'));
    fs.writeFileSync(img(val, 'near.jpg'), await encodeImage(await decodeImage(img(train, c)), { format: 'jpeg', quality: 60 }));
    fs.copyFileSync(lbl(train, c), lbl(val, 'near.jpg'));
    fs.rmSync(lbl(train, d));
    fs.writeFileSync(lbl(val, 'ghost.jpg'), '0 0.5 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, e), '0 0.98 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, f), '7 0.5 0.5 0.1 0.1\n');
    fs.appendFileSync(lbl(train, g), '1 0.5 0.5\n');
    fs.appendFileSync(lbl(train, h), '0 0.5 0.5 0 0.1\n');
    fs.writeFileSync(img(train, 'broken.jpg'), Buffer.from('not a jpeg'));
    fs.writeFileSync(lbl(train, 'broken.jpg'), '');
    const r = await check(`train=${train}`, `val=${val}`);
    const got = r.findings.map((x) => [x.kind, x.split, path.basename(x.path), x.of ? path.basename(x.of.path) : null, !!x.leak]).sort();
    // each label finding names the image it labels
    for (const x of r.findings.filter((y) => y.path.endsWith('.txt') && y.kind !== 'orphan-label')) {
      assert.strictEqual(x.image, img(train, path.basename(x.path).replace(/\.txt$/, '.jpg')));
    }
    const txt = (n) => n.replace(/\.jpg$/, '.txt');
    const expected = [
      ['duplicate', 'train', 'dup.jpg', a, false],
      ['duplicate', 'val', 'leak.jpg', b, true],
      ['near-duplicate', 'val', 'near.jpg', c, true],
      ['missing-label', 'train', d, null, false],
      ['orphan-label', 'val', 'ghost.txt', null, false],
      ['box-outside', 'train', txt(e), null, false],
      ['unknown-class', 'train', txt(f), null, false],
      ['bad-label', 'train', txt(g), null, false],
      ['zero-area', 'train', txt(h), null, false],
      ['corrupt-image', 'train', 'broken.jpg', null, false],
    ].sort();
    assert.deepStrictEqual(got, expected);
    // the labels' findings name their line: the appended one
    const box = r.findings.find((x) => x.kind === 'box-outside');
    assert.strictEqual(box.line, fs.readFileSync(lbl(train, e), 'utf8').trim().split('\n').length);
  });

  it('reads the splits of a data.yaml, and says what is wrong with its arguments', async () => {
    fs.writeFileSync(path.join(dir, 'data.yaml'), `path: ${dir}\ntrain: t/crops/images\nval: v/crops/images\nnames: [die_crack, die_rotation]\n`);
    const r = await check(path.join(dir, 'data.yaml'));
    assert.deepStrictEqual(r.splits.map((s) => s.split), ['train', 'val']);
    assert.ok(r.findings.some((x) => x.kind === 'duplicate' && x.leak));
    const missing = await run(['dataset', 'check', path.join(dir, 'nowhere')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /no such file or directory/);
    const usage = await run(['dataset', 'check', train, '--near', 'x']);
    assert.strictEqual(usage.code, 2);
  });

  it('COCO JSON: boxes outside, of no area, of unknown categories or images, bad bboxes and sizes; images missing or unlisted', async () => {
    const root = path.join(dir, 'c');
    await synthesize({ out: root, count: 6, seed: 33 });
    const file = path.join(root, 'coco.json');
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    const clean = await check(file);
    assert.deepStrictEqual(clean.findings, []);
    assert.deepStrictEqual(clean.classNames, ['die_crack', 'die_rotation']);
    const [st] = clean.splits;
    assert.deepStrictEqual([st.split, st.format, st.images], ['coco', 'coco', 6]);
    assert.strictEqual(Object.values(st.boxes).reduce((a, b) => a + b, 0), j.annotations.length);
    assert.strictEqual(st.defectFree, j.images.filter((im) => !j.annotations.some((a) => a.image_id === im.id)).length);

    const name = (id) => path.basename(j.images.find((im) => im.id === id).file_name);
    const ann = (image_id, category_id, bbox) => j.annotations.push({ id: 1000 + j.annotations.length, image_id, category_id, bbox, area: 1, iscrowd: 0 });
    ann(1, 1, [1270, 10, 40, 20]);
    ann(2, 1, [100, 100, 0, 20]);
    ann(3, 99, [100, 100, 10, 10]);
    ann(4, 1, 'x');
    ann(555, 1, [1, 1, 5, 5]);
    j.images[4].width = 640;
    j.images.push({ id: 100, file_name: 'images/gone.jpg', width: 1280, height: 960 });
    fs.copyFileSync(path.join(root, 'images', name(1)), path.join(root, 'images', 'dup.jpg'));
    j.images.push({ id: 101, file_name: 'images/dup.jpg', width: 1280, height: 960 });
    fs.writeFileSync(path.join(root, 'images', 'broken.jpg'), 'not a jpeg');
    j.images.push({ id: 102, file_name: 'images/broken.jpg', width: 1280, height: 960 });
    fs.writeFileSync(path.join(root, 'images', 'extra.jpg'), await pattern(1));
    fs.writeFileSync(file, JSON.stringify(j));
    const r = await check(`train=${file}`);
    assert.deepStrictEqual(summary(r.findings), [
      ['box-outside', 'train', name(1), null, false],
      ['zero-area', 'train', name(2), null, false],
      ['unknown-class', 'train', name(3), null, false],
      ['bad-label', 'train', name(4), null, false],
      ['bad-label', 'train', name(5), null, false],
      ['orphan-label', 'train', 'coco.json', null, false],
      ['missing-image', 'train', 'gone.jpg', null, false],
      ['duplicate', 'train', 'dup.jpg', name(1), false],
      ['corrupt-image', 'train', 'broken.jpg', null, false],
      ['unlisted-image', 'train', 'extra.jpg', null, false],
    ].sort());
    // annotation findings name the annotation; the JSON's own path is where they are
    const zero = r.findings.find((x) => x.kind === 'zero-area');
    assert.deepStrictEqual([zero.annotation, zero.path], [String(j.annotations.find((a) => a.bbox[2] === 0).id), file]);
    assert.match(r.findings.find((x) => x.kind === 'bad-label' && path.basename(x.image) === name(5)).detail, /640x960, it is 1280x960/);
  });

  describe('classification layouts', () => {
    let a;
    let b;
    before(async () => {
      await synthesize({ out: path.join(dir, 'a'), count: 8, seed: 35, crops: true });
      await synthesize({ out: path.join(dir, 'b'), count: 6, seed: 36, crops: true });
      a = path.join(dir, 'a', 'crops');
      b = path.join(dir, 'b', 'crops');
    });
    const classOf = (crops, f) => (fs.statSync(lbl(crops, f)).size ? 'defective' : 'good');
    const imagesOf = (crops) => fs.readdirSync(path.join(crops, 'images')).sort();

    it('class folders: images per class, an image in no class folder, a class the first split lacks', async () => {
      const root = path.join(dir, 'folders');
      for (const [split, crops] of [['train', a], ['val', b]]) {
        for (const f of imagesOf(crops)) {
          fs.mkdirSync(path.join(root, split, classOf(crops, f)), { recursive: true });
          fs.copyFileSync(img(crops, f), path.join(root, split, classOf(crops, f), f));
        }
      }
      const tally = (crops) => imagesOf(crops).reduce((t, f) => ({ ...t, [classOf(crops, f)]: (t[classOf(crops, f)] ?? 0) + 1 }), {});
      const clean = await check(`train=${path.join(root, 'train')}`, `val=${path.join(root, 'val')}`);
      assert.deepStrictEqual(clean.findings, []);
      assert.deepStrictEqual(clean.classNames, ['defective', 'good']);
      assert.deepStrictEqual(clean.splits.map((s) => [s.format, s.classes, s.defectFree]),
        [['folders', tally(a), tally(a).good], ['folders', tally(b), tally(b).good]]);

      fs.writeFileSync(path.join(root, 'train', 'loose.jpg'), await pattern(2));
      fs.mkdirSync(path.join(root, 'val', 'scratch'));
      fs.writeFileSync(path.join(root, 'val', 'scratch', 'odd.jpg'), await pattern(3));
      const good = fs.readdirSync(path.join(root, 'train', 'good')).sort()[0];
      const bad = fs.readdirSync(path.join(root, 'train', 'defective')).sort()[0];
      fs.copyFileSync(path.join(root, 'train', 'good', good), path.join(root, 'train', 'good', 'copy.jpg'));
      fs.copyFileSync(path.join(root, 'train', 'defective', bad), path.join(root, 'val', 'defective', 'leak.jpg'));
      fs.writeFileSync(path.join(root, 'train', 'good', 'broken.jpg'), 'nope');
      const r = await check(`train=${path.join(root, 'train')}`, `val=${path.join(root, 'val')}`);
      assert.deepStrictEqual(summary(r.findings), [
        ['missing-label', 'train', 'loose.jpg', null, false],
        ['unknown-class', 'val', 'odd.jpg', null, false],
        ['duplicate', 'train', 'copy.jpg', good, false],
        ['duplicate', 'val', 'leak.jpg', bad, true],
        ['corrupt-image', 'train', 'broken.jpg', null, false],
      ].sort());
      assert.deepStrictEqual(r.splits[1].classes, { ...tally(b), defective: tally(b).defective + 1, scratch: 1 });
    });

    it('CSV: listed images missing, rows without a label, unknown labels and ids, duplicate rows', async () => {
      const root = path.join(dir, 'csv');
      fs.mkdirSync(root);
      const rows = (crops, set) => imagesOf(crops).map((f) => `${set}/crops/images/${f},${classOf(crops, f)}`);
      // the CSV's paths are relative to its folder
      fs.symlinkSync(path.join(dir, 'a'), path.join(root, 'a'));
      fs.symlinkSync(path.join(dir, 'b'), path.join(root, 'b'));
      const write = (name, lines) => fs.writeFileSync(path.join(root, name), ['path,label', ...lines].join('\n') + '\n');
      write('train.csv', rows(a, 'a'));
      write('val.csv', rows(b, 'b'));
      const csvs = [path.join(root, 'train.csv'), path.join(root, 'val.csv')];
      const clean = await check(...csvs, '--names', 'good,defective');
      assert.deepStrictEqual(clean.findings, []);
      assert.deepStrictEqual(clean.splits.map((s) => [s.split, s.format, s.images]), [['train', 'csv', 8], ['val', 'csv', 6]]);

      const [first, second, third] = imagesOf(a);
      write('train.csv', [...rows(a, 'a'), 'a/crops/images/gone.jpg,good', `a/crops/images/${second},`, rows(a, 'a')[0]]);
      fs.writeFileSync(path.join(root, 'odd.jpg'), await pattern(4));
      fs.writeFileSync(path.join(root, 'odd2.jpg'), await pattern(5));
      write('val.csv', [...rows(b, 'b'), 'odd.jpg,scratch', 'odd2.jpg,7', `a/crops/images/${third},${classOf(a, third)}`]);
      const r = await check(...csvs, '--names', 'good,defective');
      assert.deepStrictEqual(summary(r.findings), [
        ['missing-image', 'train', 'gone.jpg', null, false],
        ['bad-label', 'train', second, null, false],
        ['duplicate', 'train', first, first, false],
        ['unknown-class', 'val', 'odd.jpg', null, false],
        ['unknown-class', 'val', 'odd2.jpg', null, false],
        ['duplicate', 'val', third, third, true],
      ].sort());
      // rows are named by their line (the header is line 1)
      assert.deepStrictEqual(r.findings.filter((x) => x.split === 'train' && x.line).map((x) => [x.kind, x.line]).sort(),
        [['bad-label', 11], ['missing-image', 10]]);
    });
  });

  describe('with a model (-m)', function () {
    let flipped;
    let emptied;
    let boxed;
    before(async () => {
      await synthesize({ out: path.join(dir, 'm'), count: 40, seed: 3, crops: true });
      const crops = path.join(dir, 'm', 'crops');
      flipped = path.join(dir, 'flipped');
      fs.cpSync(crops, flipped, { recursive: true });
      const names = fs.readdirSync(path.join(flipped, 'images')).sort();
      const text = (f) => fs.readFileSync(lbl(flipped, f), 'utf8');
      // a rotated die labelled good, a good part labelled with a crack
      emptied = names.find((f) => /^1 /m.test(text(f)));
      boxed = names.find((f) => !text(f).trim());
      fs.writeFileSync(lbl(flipped, emptied), '');
      fs.writeFileSync(lbl(flipped, boxed), '0 0.5 0.5 0.2 0.2\n');
    });
    const disagreements = (r) => r.findings.filter((x) => x.kind === 'disagreement');

    it('the default classifier ensemble finds the flipped labels, most confident first, and nothing else', async () => {
      // on the unchanged parts it is confidently wrong about none (seed 3, 40 parts)
      const clean = await check(path.join(dir, 'm', 'crops'), '-m', 'default');
      assert.deepStrictEqual(clean.findings, []);
      assert.deepStrictEqual([clean.model.task, clean.model.images, clean.model.failed], ['classify', 40, []]);
      const r = await check(flipped, '-m', 'default');
      assert.deepStrictEqual(r.findings.map((x) => [x.kind, path.basename(x.path)]).sort(),
        [['disagreement', boxed], ['disagreement', emptied]].sort());
      const [top, next] = r.findings;
      assert.ok(top.score >= next.score && next.score >= 0.9, `${top.score} ${next.score}`);
      const of = (f) => r.findings.find((x) => path.basename(x.path) === f);
      assert.match(of(emptied).says, /^defective 0\.9\d\d \(labelled no box\)$|^defective 1\.000 \(labelled no box\)$/);
      assert.match(of(boxed).says, /^good \d\.\d{3} \(labelled 1 box\)$/);
      // a stricter --confident than the model's score drops it
      const strict = await check(flipped, '-m', 'default', '--confident', String(Math.min(1, next.score + 1e-4)));
      assert.ok(disagreements(strict).length < 2);
    });

    it('the default detector finds the box without a label and the label without a box', async () => {
      const r = await check(flipped, '-m', 'die-defect-yolov7tiny');
      assert.deepStrictEqual(r.findings.map((x) => [x.kind, path.basename(x.path)]).sort(),
        [['disagreement', boxed], ['disagreement', emptied]].sort());
      assert.ok(r.findings[0].score >= r.findings[1].score);
      const of = (f) => r.findings.find((x) => path.basename(x.path) === f);
      assert.match(of(emptied).says, /^die_rotation 0\.9\d\d at \[\d+, \d+, \d+, \d+\], where no box is labelled$/);
      assert.strictEqual(of(emptied).box.length, 4);
      assert.match(of(boxed).says, /^nothing at the labelled die_crack \[/);
      assert.deepStrictEqual([of(boxed).line, of(boxed).score >= 0.9], [1, true]);
    });

    it('class folders: the image in the wrong class folder, with a loaded ensemble left open', async () => {
      const { ClassifierEnsemble } = require('../dist');
      const root = path.join(dir, 'mfolders');
      const crops = path.join(dir, 'm', 'crops');
      const names = fs.readdirSync(path.join(crops, 'images')).sort();
      for (const f of names) {
        const cls = fs.statSync(lbl(crops, f)).size ? 'defective' : 'good';
        fs.mkdirSync(path.join(root, cls), { recursive: true });
        fs.copyFileSync(img(crops, f), path.join(root, cls, f));
      }
      const moved = fs.readdirSync(path.join(root, 'good')).sort()[0];
      fs.renameSync(path.join(root, 'good', moved), path.join(root, 'defective', moved));
      const ensemble = await ClassifierEnsemble.create('default');
      try {
        const { splits } = await datasetSplits([root]);
        const r = await checkDataset(splits, { model: ensemble });
        assert.deepStrictEqual(r.findings.map((x) => [x.kind, x.split, path.basename(x.path)]), [['disagreement', 'mfolders', moved]]);
        assert.match(r.findings[0].says, /^good \d\.\d{3} \(labelled defective\)$/);
        assert.strictEqual((await ensemble.classify([path.join(root, 'defective', moved)])).length, 1);
      } finally {
        ensemble.close();
      }
    });

    it('a model that cannot judge the labels is a typed error, with the usage exit code where the mistake is the command\'s', async () => {
      await fails(1, 'ERR_FILE_NOT_FOUND', flipped, '-m', path.join(dir, 'nowhere.onnx'));
      await fails(2, 'ERR_CONFIG', flipped, '-m', 'no-such-model');
      fs.writeFileSync(path.join(dir, 'junk.onnx'), 'not a model');
      await fails(1, 'ERR_MODEL_LOAD', flipped, '-m', path.join(dir, 'junk.onnx'));
      assert.match(await fails(2, 'ERR_INVALID_ARG', path.join(dir, 'mfolders'), '-m', 'die-defect-yolov7tiny'), /is a detector/);
      await fails(2, 'ERR_INVALID_ARG', flipped, '-m', 'default', '--confident', '0.3');
      await fails(2, 'ERR_INVALID_ARG', flipped, '--format', 'voc');
    });
  });

  it('--report: one self-contained page, its text escaped, a thumbnail per finding image; --write-clean: the images to keep', async () => {
    // a file name HTML would misread, copied from a train image: one more duplicate
    const names = fs.readdirSync(path.join(train, 'images')).filter((f) => /^\d+\.jpg$/.test(f)).sort();
    fs.copyFileSync(img(train, names[9]), img(train, 'x<y&z.jpg'));
    fs.copyFileSync(lbl(train, names[9]), lbl(train, 'x<y&z.jpg'));
    const report = path.join(dir, 'out', 'report.html');
    const list = path.join(dir, 'out', 'clean.txt');
    const r = await check(`train=${train}`, `val=${val}`, '--report', report, '--write-clean', list);
    assert.strictEqual(r.report, report);
    const html = fs.readFileSync(report, 'utf8');
    wellFormed(html);
    assert.ok(!/(src|href)="(?!data:)/.test(html) && !/<(script|link|iframe)\b/.test(html), 'nothing is fetched');
    assert.ok(html.includes('x&lt;y&amp;z.jpg') && !html.includes('x<y&z'));
    // three charts (boxes per class, box sizes, defect-free share); the planted findings of the test above and this
    // duplicate: two thumbnails for each (near) duplicate (it and the image it repeats), one for each other finding
    // with an image, none for the orphan label and the undecodable image
    assert.strictEqual((html.match(/<svg /g) || []).length, 3);
    assert.strictEqual(r.findings.length, 11);
    assert.strictEqual((html.match(/<img src="data:image\/jpeg;base64,/g) || []).length, 4 * 2 + 5);
    assert.ok(!html.includes('more are listed without one'));
    const few = await datasetReportHtml(r, { thumbnails: 2 });
    assert.match(few, /Thumbnails for the first 2 findings; 9 more are listed without one\./);

    // the lists: all but the duplicates' later copies, the undecodable image and the images with broken labels
    const drop = { train: ['dup.jpg', 'x<y&z.jpg', 'broken.jpg', ...[4, 5, 6, 7].map((k) => names[k])], val: ['leak.jpg', 'near.jpg'] };
    for (const [split, dirOf] of [['train', train], ['val', val]]) {
      const want = fs.readdirSync(path.join(dirOf, 'images')).sort().filter((f) => !drop[split].includes(f))
        .map((f) => path.resolve(img(dirOf, f)) + '\n').join('');
      assert.strictEqual(fs.readFileSync(path.join(dir, 'out', `clean-${split}.txt`), 'utf8'), want);
    }
    assert.deepStrictEqual(r.cleanLists.map((l) => [l.split, l.dropped]), [['train', 7], ['val', 2]]);
    // the lists as a data.yaml's splits: what is left is the missing label file (kept); label files of the images
    // a list leaves out are no orphans
    fs.writeFileSync(path.join(dir, 'out', 'data.yaml'), 'train: clean-train.txt\nval: clean-val.txt\nnames: [die_crack, die_rotation]\n');
    const again = await check(path.join(dir, 'out', 'data.yaml'));
    assert.deepStrictEqual(summary(again.findings), [['missing-label', 'train', names[3], null, false]]);
    const count = (d) => fs.readdirSync(path.join(d, 'images')).length;
    assert.deepStrictEqual(again.splits.map((s) => [s.split, s.images]), [['train', count(train) - 7], ['val', count(val) - 2]]);
    // one split: the list is the file named; never over a file of the dataset
    const first = fs.readdirSync(path.join(val, 'images')).sort()[0];
    const before = [fs.readFileSync(img(val, first)), fs.readFileSync(lbl(val, first))];
    await fails(2, 'ERR_INVALID_ARG', val, '--write-clean', lbl(val, first));
    await fails(2, 'ERR_INVALID_ARG', val, '--report', img(val, first));
    assert.deepStrictEqual([fs.readFileSync(img(val, first)), fs.readFileSync(lbl(val, first))], before);
  });
});
