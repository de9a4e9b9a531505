'use strict';
// The review station's JSON API over a real store: every endpoint, its bad input (400 with
// { error: { code, message } }), unknown parts (404), bodies over the limit (413), the token
// (401), the live feed, and images found by part id only: dot segments, absolute paths,
// symlinks and percent-encoded variants never reach a file.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { run } = require('./helpers/cli');
const { Inspector, openRecorder, startReviewServer, DieInspectError } = require('../dist');

const SAMPLES = path.join(__dirname, '..', 'samples', 'images');
const TOKEN = 'serve-test-token-1';

/** A raw request: the path is sent exactly as given (fetch would resolve its dot segments first). */
function request(port, method, rawPath, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        let json = null;
        if (/json/.test(res.headers['content-type'] ?? '')) json = JSON.parse(buf.toString('utf8'));
        resolve({ status: res.statusCode, headers: res.headers, json, body: buf });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const post = (port, id, value, headers = {}) => request(port, 'POST', `/api/parts/${id}/review`, {
  body: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers },
});

function assertError(res, status, code) {
  assert.strictEqual(res.status, status, `${status} expected, got ${res.status}: ${res.body.toString().slice(0, 200)}`);
  assert.ok(res.json && res.json.error, 'a JSON error body');
  if (code) assert.strictEqual(res.json.error.code, code);
  assert.strictEqual(typeof res.json.error.message, 'string');
}

describe('review station API', function () {
  this.timeout(300000);
  let tmp, db, recorder, station, port, parts;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-serve-api-'));
    const images = path.join(tmp, 'images');
    fs.mkdirSync(images);
    for (const f of ['000000.jpg', '000001.jpg', '000002.jpg', '000003.jpg', '000007.jpg']) {
      fs.copyFileSync(path.join(SAMPLES, f), path.join(images, f));
    }
    db = path.join(tmp, 'line.sqlite');
    const inspector = await Inspector.create({ record: { to: db, meta: { lot: 'L7', station: '2' } } });
    await inspector.inspect(fs.readdirSync(images).map((f) => path.join(images, f)));
    await inspector.close();
    recorder = await openRecorder(db);
    station = await startReviewServer({ recorder, port: 0, pollMs: 100 });
    port = station.port;
    parts = await recorder.parts();
    assert.ok(parts.some((p) => p.verdict === 'fail') && parts.some((p) => p.verdict === 'pass'), 'both verdicts among the parts');
  });
  after(async () => {
    await station?.close();
    await recorder?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('GET / and the assets: the package\'s own files, with a CSP that loads nothing from elsewhere', async () => {
    const page = await request(port, 'GET', '/');
    assert.strictEqual(page.status, 200);
    assert.match(page.body.toString(), /\/assets\/app\.js/);
    assert.match(page.headers['content-security-policy'], /default-src 'self'/);
    for (const a of ['app.js', 'api.js', 'part.js', 'charts.js', 'style.css', 'preact-htm.js']) {
      const res = await request(port, 'GET', `/assets/${a}`);
      assert.strictEqual(res.status, 200, a);
      // An import, a stylesheet or a script from elsewhere (an SVG namespace URI is not a load).
      assert.doesNotMatch(res.body.toString(), /(\bfrom\s*|\bimport\s*\(?\s*|url\(\s*|(src|href)=)['"]?(https?:)?\/\//i, `${a} loads nothing remote`);
    }
    assert.strictEqual((await request(port, 'GET', `/part/${parts[0].id}`)).status, 200);
    assertError(await request(port, 'GET', '/assets/nothing.js'), 404, 'ERR_NOT_FOUND');
  });

  it('GET /api/config: reviewer, token, classes', async () => {
    const res = await request(port, 'GET', '/api/config');
    assert.strictEqual(res.status, 200);
    assert.deepStrictEqual(res.json.classes, ['die_crack', 'die_rotation']);
    assert.strictEqual(res.json.tokenRequired, false);
  });

  it('GET /api/parts: newest first, filters, paging; bad values are 400', async () => {
    const all = await request(port, 'GET', '/api/parts');
    assert.strictEqual(all.status, 200);
    assert.deepStrictEqual(all.json.parts.map((p) => p.id), parts.map((p) => p.id).reverse());
    const fails = await request(port, 'GET', '/api/parts?verdict=fail&lot=L7');
    assert.ok(fails.json.parts.length > 0 && fails.json.parts.every((p) => p.effectiveVerdict === 'fail' && p.lot === 'L7'));
    assert.strictEqual((await request(port, 'GET', '/api/parts?lot=nope')).json.parts.length, 0);
    const page = await request(port, 'GET', '/api/parts?limit=2&offset=1&order=oldest');
    assert.deepStrictEqual(page.json.parts.map((p) => p.id), parts.slice(1, 3).map((p) => p.id));
    const from = await request(port, 'GET', `/api/parts?from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
    assert.strictEqual(from.json.parts.length, 0);
    for (const q of ['verdict=maybe', 'limit=0', 'limit=abc', 'limit=5000', 'offset=-1', 'from=yesterday', 'reviewed=yes',
      'order=random', 'bogus=1', 'lot=a&lot=b', 'run=0', `lot=${'x'.repeat(3000)}`]) {
      assertError(await request(port, 'GET', `/api/parts?${q}`), 400, 'ERR_INVALID_ARG');
    }
  });

  it('GET /api/parts/:id: the whole part; unknown or malformed ids are 404', async () => {
    const failed = parts.find((p) => p.verdict === 'fail' && p.detections.length);
    const res = await request(port, 'GET', `/api/parts/${failed.id}`);
    assert.strictEqual(res.status, 200);
    assert.strictEqual(res.json.part.id, failed.id);
    assert.strictEqual(res.json.defects.length, failed.detections.length);
    assert.ok(res.json.part.classification.members.length > 0);
    assert.strictEqual(res.json.images.crop, `/images/${failed.id}/crop.jpg`);
    for (const id of ['999999', 'abc', '1.5', '-1', '0x1', '1e3', '9'.repeat(30)]) {
      assertError(await request(port, 'GET', `/api/parts/${id}`), 404, 'ERR_NOT_FOUND');
    }
  });

  it('GET /api/stats and /api/rates: the line view\'s figures, filtered', async () => {
    const s = await request(port, 'GET', '/api/stats');
    assert.strictEqual(s.status, 200);
    assert.strictEqual(s.json.parts, parts.length);
    assert.strictEqual((s.json.verdicts.pass ?? 0) + (s.json.verdicts.fail ?? 0), parts.length);
    assert.ok(s.json.pareto.length > 0 && s.json.reasons.length > 0);
    assert.strictEqual(s.json.angles.counts.reduce((a, b) => a + b, 0), parts.filter((p) => p.dieAngle !== null).length);
    assert.strictEqual((await request(port, 'GET', '/api/stats?verdict=pass')).json.verdicts.fail, undefined);
    assertError(await request(port, 'GET', '/api/stats?verdict=bad'), 400, 'ERR_INVALID_ARG');
    const r = await request(port, 'GET', '/api/rates');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.reviewed, 0);
    assertError(await request(port, 'GET', '/api/rates?to=never'), 400, 'ERR_INVALID_ARG');
  });

  it('POST /api/parts/:id/review: stored with the reviewer; the effective verdict and the rates follow', async () => {
    const failed = parts.filter((p) => p.verdict === 'fail');
    const passed = parts.find((p) => p.verdict === 'pass');
    const next = await request(port, 'GET', '/api/next-unreviewed-fail');
    assert.strictEqual(next.json.id, failed[0].id);
    const overturn = await post(port, failed[0].id, { reviewer: 'ann', decision: 'overturn', comment: 'dust' });
    assert.strictEqual(overturn.status, 201, overturn.body.toString());
    assert.strictEqual(overturn.json.review.reviewer, 'ann');
    assert.strictEqual(overturn.json.part.effectiveVerdict, 'pass');
    assert.strictEqual((await recorder.part(failed[0].id)).effectiveVerdict, 'pass');
    const after = await request(port, 'GET', `/api/next-unreviewed-fail?after=${failed[0].id}`);
    assert.notStrictEqual(after.json.id, failed[0].id);
    const confirm = await post(port, passed.id, { reviewer: 'bob', decision: 'confirm' });
    assert.strictEqual(confirm.status, 201);
    const rates = (await request(port, 'GET', '/api/rates')).json;
    assert.strictEqual(rates.falseCalls, 1);
    assert.strictEqual(rates.falseCallRate, 1);
    assert.strictEqual(rates.escapeRate, 0);
    const list = (await request(port, 'GET', '/api/parts?verdict=pass')).json.parts.map((p) => p.id);
    assert.ok(list.includes(failed[0].id), 'the reviewed verdict is the one filters see');
    if (failed[1]) {
      const boxes = [{ label: 'die_crack', box: [10, 10, 40, 30] }];
      const relabel = await post(port, failed[1].id, { reviewer: 'ann', decision: 'relabel', boxes });
      assert.strictEqual(relabel.status, 201, relabel.body.toString());
      assert.deepStrictEqual(relabel.json.review.boxes, boxes);
    }
  });

  it('POST review: bad bodies are 400, 413 or 415, never a crash', async () => {
    const id = parts[0].id;
    assertError(await post(port, id, '{"decision":'), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, '[1, 2]'), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, 'null'), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, { reviewer: 'ann', decision: 'maybe' }), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, { decision: 'confirm' }), 400, 'ERR_INVALID_ARG');  // no reviewer, no default
    assertError(await post(port, id, { reviewer: 'ann', decision: 'confirm', at: '2020-01-01' }), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, { reviewer: 'ann', decision: 'relabel', boxes: [{ label: 'x', box: [5, 5, 1, 1] }] }), 400);
    assertError(await post(port, id, { reviewer: 42, decision: 'confirm' }), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, id, { reviewer: 'ann', decision: 'confirm', comment: ['x'] }), 400, 'ERR_INVALID_ARG');
    assertError(await post(port, 999999, { reviewer: 'ann', decision: 'confirm' }), 404, 'ERR_NOT_FOUND');
    const form = await request(port, 'POST', `/api/parts/${id}/review`, {
      body: 'decision=confirm', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(form, 415, 'ERR_INVALID_ARG');
    const big = await post(port, id, JSON.stringify({ reviewer: 'ann', decision: 'confirm', comment: 'x'.repeat(70 * 1024) }));
    assertError(big, 413, 'ERR_TOO_LARGE');
    assertError(await request(port, 'GET', `/api/parts/${id}/review`), 405);
    assertError(await request(port, 'POST', '/api/parts', { body: '{}', headers: { 'content-type': 'application/json' } }), 405);
    assertError(await request(port, 'GET', '/api/parts', { headers: { host: 'evil.example:80' } }), 403, 'ERR_UNAUTHORIZED');
    assert.strictEqual((await request(port, 'GET', '/api/config')).status, 200, 'still serving');
  });

  it('images: found by part id only; traversal, absolute paths, symlinks and encodings are 400 or 404', async () => {
    const id = parts[0].id;
    for (const kind of ['thumb', 'annotated', 'crop']) {
      const res = await request(port, 'GET', `/images/${id}/${kind}.jpg`);
      assert.strictEqual(res.status, 200, `${kind}: ${res.body.toString().slice(0, 200)}`);
      assert.strictEqual(res.headers['content-type'], 'image/jpeg');
      assert.deepStrictEqual([...res.body.subarray(0, 2)], [0xff, 0xd8]);
    }
    const link = path.join(tmp, 'link.jpg');
    fs.symlinkSync('/etc/passwd', link);
    const image = encodeURIComponent(parts[0].imagePath);
    const attempts = [
      '/images/../../etc/passwd', '/images/%2e%2e/%2e%2e/etc/passwd', '/images/1/..%2F..%2Fetc%2Fpasswd', '/images//etc/passwd',
      `/images/${image}`, `/images/${image}/thumb.jpg`, '/images/%2Fetc%2Fpasswd/thumb.jpg', `/images${link}`,
      `/images/${encodeURIComponent(link)}/crop.jpg`, '/images/1/thumb.jpg/../../../../etc/passwd', '/images/%252e%252e/etc/passwd',
      '/images/1/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/../../package.json', '/assets/%2e%2e%2fpackage.json',
      '/assets/..%5c..%5cpackage.json', '/images/1/thumb.jpg%00.png', '/images/999999/thumb.jpg', '/images/1/other.jpg',
      '/images/abc/thumb.jpg', '/etc/passwd', '//etc/passwd', '/images/1/..;/thumb.jpg', '/assets/%2E%2E/package.json',
    ];
    for (const a of attempts) {
      const res = await request(port, 'GET', a);
      assert.ok(res.status === 400 || res.status === 404, `${a}: ${res.status}`);
      assert.ok(res.json?.error?.code, `${a}: a JSON error`);
      assert.doesNotMatch(res.body.toString(), /root:/, `${a} leaked a file`);
    }
    // A recorded image replaced by a symlink to another file is not the image inspected: 404.
    const victim = parts[parts.length - 1];
    fs.rmSync(victim.imagePath);
    fs.symlinkSync('/etc/passwd', victim.imagePath);
    for (const kind of ['thumb', 'annotated', 'crop']) {
      assertError(await request(port, 'GET', `/images/${victim.id}/${kind}.jpg`), 404, 'ERR_NOT_FOUND');
    }
  });

  it('GET /api/events: parts recorded by another process\'s store appear on the feed, filtered', async () => {
    const feed = (q) => new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/api/events${q}` }, (res) => {
        assert.strictEqual(res.statusCode, 200);
        assert.match(res.headers['content-type'], /text\/event-stream/);
        const events = [];
        let text = '';
        res.on('data', (d) => {
          text += d;
          for (let i; (i = text.indexOf('\n\n')) >= 0; text = text.slice(i + 2)) {
            const block = text.slice(0, i);
            const ev = /^event: (.*)$/m.exec(block)?.[1], data = /^data: (.*)$/m.exec(block)?.[1];
            if (ev) events.push({ ev, data: JSON.parse(data) });
          }
        });
        resolve({ events, close: () => req.destroy() });
      });
      req.on('error', reject);
    });
    const all = await feed('');
    const none = await feed('?lot=elsewhere');
    assertError(await request(port, 'GET', '/api/events?verdict=bad'), 400, 'ERR_INVALID_ARG');
    const more = path.join(tmp, 'more');
    fs.mkdirSync(more);
    fs.copyFileSync(path.join(SAMPLES, '000005.jpg'), path.join(more, 'new.jpg'));
    const inspector = await Inspector.create({ record: { to: db, meta: { lot: 'L8' } } });
    const [r] = await inspector.inspect([path.join(more, 'new.jpg')]);
    await inspector.close();
    const deadline = Date.now() + 10000;
    while (!all.events.some((e) => e.ev === 'parts') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const got = all.events.filter((e) => e.ev === 'parts').flatMap((e) => e.data.parts);
    assert.deepStrictEqual(got.map((p) => p.id), [r.recorded.partId]);
    assert.strictEqual(got[0].lot, 'L8');
    assert.strictEqual(none.events.filter((e) => e.ev === 'parts').length, 0);
    all.close();
    none.close();
  });

  it('a token: reviews need it (401 without), reads do not; any address but loopback needs one', async () => {
    const guarded = await startReviewServer({ recorder, port: 0, token: TOKEN, reviewer: 'cy' });
    try {
      const id = parts[0].id;
      assertError(await post(guarded.port, id, { decision: 'confirm' }), 401, 'ERR_UNAUTHORIZED');
      assertError(await post(guarded.port, id, { decision: 'confirm' }, { authorization: 'Bearer wrong-token-00' }), 401);
      assertError(await post(guarded.port, id, { decision: 'confirm' }, { authorization: `Bearer ${TOKEN}x` }), 401);
      const ok = await post(guarded.port, id, { decision: 'confirm' }, { authorization: `Bearer ${TOKEN}` });
      assert.strictEqual(ok.status, 201);
      assert.strictEqual(ok.json.review.reviewer, 'cy', 'the station\'s --reviewer where the body gives none');
      assert.strictEqual((await request(guarded.port, 'GET', '/api/config')).json.tokenRequired, true);
      assert.strictEqual((await request(guarded.port, 'GET', '/api/parts')).status, 200);
    } finally {
      await guarded.close();
    }
    await assert.rejects(startReviewServer({ recorder, host: '0.0.0.0', port: 0 }),
      (e) => e instanceof DieInspectError && e.code === 'ERR_INVALID_ARG' && /token/.test(e.message));
    await assert.rejects(startReviewServer({ recorder, port: 0, token: 'short' }), { code: 'ERR_INVALID_ARG' });
  });

  it('serve: usage mistakes exit 2', async () => {
    const noToken = await run(['serve', '--db', db, '--host', '0.0.0.0', '--port', '0']);
    assert.strictEqual(noToken.code, 2, noToken.stderr);
    assert.match(noToken.stderr, /needs a token/);
    assert.strictEqual((await run(['serve', '--db', db, '--port', 'x'])).code, 2);
    assert.strictEqual((await run(['serve', '--db', db, '--port', '70000'])).code, 2);
    assert.strictEqual((await run(['serve', '--db', db, '--token', 'abcdefgh1', '--token-file', '/nope'])).code, 2);
    assert.strictEqual((await run(['serve'])).code, 2);
  });

  it('serve --watch inspects a folder into the store it serves, and stops on SIGTERM', async () => {
    const { spawn } = require('child_process');
    const { BIN } = require('./helpers/cli');
    const dir = path.join(tmp, 'watched'), store = path.join(tmp, 'watched.sqlite');
    fs.mkdirSync(dir);
    const proc = spawn(process.execPath, [BIN, 'serve', '--db', store, '--watch', dir, '--port', '0', '--out', path.join(tmp, 'w-out')]);
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    try {
      const until = async (test, what) => {
        for (const deadline = Date.now() + 90000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
          const v = await test();
          if (v) return v;
        }
        throw new Error(`${what}; output:\n${out}`);
      };
      const wport = Number(await until(() => /review station: http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1], 'no URL'));
      await until(() => /watching/.test(out), 'not watching');
      fs.copyFileSync(path.join(SAMPLES, '000001.jpg'), path.join(dir, 'a.jpg'));
      const listed = await until(async () => (await request(wport, 'GET', '/api/parts')).json.parts[0], 'the part never showed');
      assert.strictEqual(listed.imageName, 'a.jpg');
    } finally {
      proc.kill('SIGTERM');
    }
    assert.strictEqual(await exited, 0, out);
    assert.match(out, /records: .*watched\.sqlite \(1 part recorded\)/);
  });
});
