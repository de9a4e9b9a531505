'use strict';
// The HTTP service example, run as a user would run it.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { Inspector } = require('../dist');

const SERVICE = path.join(__dirname, '..', 'examples', 'http-service.js');
const SAMPLES = path.join(__dirname, '..', 'samples', 'images');

async function post(port, body) {
  const res = await fetch(`http://127.0.0.1:${port}/inspect`, { method: 'POST', body });
  return { status: res.status, json: await res.json() };
}

describe('examples/http-service.js', function () {
  this.timeout(120000);

  it('answers concurrent POSTs with the verdicts inspect() gives, maps bad input to 4xx, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [SERVICE, '--port', '0', '--max-mb', '1']);
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`service exited: ${stderr}`)));
    });
    try {
      const files = ['000000.jpg', '000001.jpg', '000002.jpg', '000003.jpg'].map((f) => path.join(SAMPLES, f));
      const inspector = await Inspector.create();
      const expected = await inspector.inspect(files);
      inspector.close();
      const [health, ...answers] = await Promise.all([
        fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status),
        ...files.map((f) => post(port, fs.readFileSync(f))),
        post(port, Buffer.from('not an image')),
        post(port, Buffer.alloc(2 * 1024 * 1024)),
      ]);
      assert.strictEqual(health, 200);
      files.forEach((f, i) => {
        assert.strictEqual(answers[i].status, 200, JSON.stringify(answers[i].json));
        assert.strictEqual(answers[i].json.verdict, expected[i].verdict, f);
        assert.deepStrictEqual(answers[i].json.reasons, expected[i].reasons, f);
      });
      assert.deepStrictEqual([answers[4].status, answers[4].json.error.code], [400, 'ERR_IMAGE_DECODE']);
      assert.deepStrictEqual([answers[5].status, answers[5].json.error.code], [413, 'ERR_IMAGE_TOO_LARGE']);
    } finally {
      child.kill('SIGTERM');
    }
    assert.strictEqual(await exited, 0, stderr);
  });
});
