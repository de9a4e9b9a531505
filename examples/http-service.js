#!/usr/bin/env node
'use strict';
// A small inspection service: POST the bytes of one image (JPEG, PNG, BMP or TIFF)
// to /inspect and get its verdict as JSON. Requests that arrive together share a
// model batch through Inspector.submit(). GET /health says whether it is up.
//   node examples/http-service.js [--port 8080] [--host 127.0.0.1] [--ep cuda] [--max-mb 50] [--max-pending 256]
//                                 [--mmap-threshold-kb 256]
// SIGINT/SIGTERM: stop accepting, answer what is in flight, free the models.
// Memory stays level under load: each request body is freed once its answer is in, and
// image-sized buffers get pages of their own (--mmap-threshold-kb; 0 leaves glibc's own
// rule), which go back to the system when a batch frees them.
const http = require('http');
const { Inspector, releaseBuffers, setMallocOptions } = require('die-inspect');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

// Bad input is the client's fault; anything else is ours.
const STATUS = { ERR_INVALID_ARG: 400, ERR_IMAGE_DECODE: 400, ERR_FILE_NOT_FOUND: 400, ERR_IMAGE_TOO_LARGE: 413, ERR_BUSY: 503 };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

// Past maxBytes the rest is read and dropped (memory stays bounded), so that the
// client, still sending, gets its 413 rather than a reset connection.
function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBytes) reject(Object.assign(new Error(`body over ${maxBytes} bytes`), { code: 'ERR_IMAGE_TOO_LARGE' }));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

async function main() {
  const port = Number(arg('port', 8080));
  const host = arg('host', '127.0.0.1');
  const maxBytes = Number(arg('max-mb', 50)) * 1024 * 1024;
  const chains = { tensorrt: ['tensorrt', 'cuda', 'cpu'], cuda: ['cuda', 'cpu'], cpu: ['cpu'] };
  const providers = chains[arg('ep', 'cpu')];
  if (!providers) throw new Error('--ep is tensorrt, cuda or cpu');
  const mmapKb = Number(arg('mmap-threshold-kb', 256));
  if (!(Number.isInteger(mmapKb) && mmapKb >= 0)) throw new Error('--mmap-threshold-kb is a whole number of KiB, 0 for glibc\'s own');
  // Decoded images, crops and input tensors come and go with every batch, each on whichever
  // pool thread ran it: glibc would keep them in one arena per thread, each at its own peak.
  if (mmapKb > 0) setMallocOptions({ mmapThreshold: mmapKb * 1024 });
  // Past --max-pending waiting requests, new ones get 503 at once instead of a growing queue.
  const inspector = await Inspector.create({ providers, maxPending: Number(arg('max-pending', 256)) });

  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, { ok: true, provider: inspector.detector?.provider ?? null });
    if (req.method !== 'POST' || req.url !== '/inspect') return send(res, 404, { error: { code: 'NOT_FOUND', message: 'POST /inspect or GET /health' } });
    let image;
    try {
      image = await readBody(req, maxBytes);
      const r = await inspector.submit(image);
      if (r.error && r.verdict === 'error' && r.error.code !== 'ERR_ROI_NOT_FOUND') {
        return send(res, STATUS[r.error.code] ?? 500, { error: { code: r.error.code, message: r.error.message } });
      }
      return send(res, 200, {
        verdict: r.verdict, reasons: r.reasons, mode: r.mode ?? null, dieAngle: r.dieAngle,
        detections: r.detections, classification: r.classification, timings: r.timings,
        ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
      });
    } catch (err) {
      return send(res, STATUS[err.code] ?? 500, { error: { code: err.code ?? 'ERR_INTERNAL', message: err.message } });
    } finally {
      // Waiting its turn, the body outlived two young-generation collections; left to the
      // collector it would wait for a full one, which a small JS heap puts off by minutes.
      if (image) releaseBuffers([image]);
    }
  });

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    // close() waits for the requests in flight; the models go after them.
    server.close(() => inspector.close());
    server.closeIdleConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.listen(port, host, () => {
    const { port: bound } = server.address();
    process.stdout.write(`listening on http://${host}:${bound} (provider ${inspector.detector?.provider ?? 'none'})\n`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
