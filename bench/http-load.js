#!/usr/bin/env node
'use strict';
// examples/http-service.js under load: the service runs as one child process, autocannon
// as another (the load generator never shares the service's event loop), and this
// process samples the service's resident memory from /proc/<pid>/status every second.
// POST /inspect gets the sample JPEGs and, for --unreadable-share of the requests,
// bodies no decoder reads (random bytes, truncated JPEGs). Prints counts by kind and
// status, latency p50/p99 by kind, throughput, and RSS by 10-second window with the
// growth from the 2nd to the 6th window (or the last full one in a shorter run).
// Nothing is asserted: the exit code is 0 when the run completed, 2 for usage errors.
//   node bench/http-load.js [--duration 60] [--connections 64] [--unreadable-share 0.1]
//                           [--timeout 60] [--ep cpu] [--json]
const fs = require('fs');
const path = require('path');
const http = require('http');
const { spawn, fork } = require('child_process');

const ROOT = path.join(__dirname, '..');
const WINDOW_S = 10;
const GROWTH_LIMIT = 5; // percent, reported against, never asserted

const USAGE = 'usage: node bench/http-load.js [--duration S] [--connections N] [--unreadable-share 0..1] [--timeout S] [--ep cpu|cuda|tensorrt] [--json]';

function parseArgs(argv) {
  const opts = { duration: 60, connections: 64, unreadableShare: 0.1, timeout: 60, ep: 'cpu', json: false };
  const numeric = { '--duration': 'duration', '--connections': 'connections', '--unreadable-share': 'unreadableShare', '--timeout': 'timeout' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--ep') opts.ep = argv[++i];
    else if (numeric[a]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`);
      opts[numeric[a]] = v;
    } else if (a === '-h' || a === '--help') throw new Error('help');
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.duration >= 1)) throw new Error('--duration is at least 1 (seconds)');
  if (!(Number.isInteger(opts.connections) && opts.connections >= 1)) throw new Error('--connections is a positive integer');
  if (!(opts.unreadableShare >= 0 && opts.unreadableShare <= 1)) throw new Error('--unreadable-share is between 0 and 1');
  if (!(opts.timeout > 0)) throw new Error('--timeout is positive (seconds)');
  if (!['cpu', 'cuda', 'tensorrt'].includes(opts.ep)) throw new Error('--ep is cpu, cuda or tensorrt');
  return opts;
}

// Percentile by nearest rank on a sorted copy.
function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

// samples: [{ t: seconds since the load started, rssMiB }]. Window i (1-based) holds
// the samples with (i-1)*10 <= t < i*10; only full windows (the run lasted past i*10) count.
function rssWindows(samples, durationS, windowS = WINDOW_S) {
  const full = Math.floor(durationS / windowS);
  const windows = [];
  for (let i = 1; i <= full; i++) {
    const inside = samples.filter((s) => s.t >= (i - 1) * windowS && s.t < i * windowS);
    if (!inside.length) continue;
    windows.push({ window: i, from: (i - 1) * windowS, to: i * windowS, samples: inside.length, meanMiB: inside.reduce((a, s) => a + s.rssMiB, 0) / inside.length });
  }
  return windows;
}

// Growth from the 2nd window to the 6th, or to the last full one when there are fewer.
function rssGrowth(windows, limitPct = GROWTH_LIMIT) {
  const from = windows.find((w) => w.window === 2);
  const to = windows.find((w) => w.window === 6) ?? windows[windows.length - 1];
  if (!from || !to || to.window <= from.window) return { from: null, to: null, pct: null, verdict: 'n/a', limitPct };
  const pct = ((to.meanMiB - from.meanMiB) / from.meanMiB) * 100;
  return { from: from.window, to: to.window, pct, verdict: pct < limitPct ? 'PASS' : 'FAIL', limitPct };
}

function readRssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function startService(ep) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'examples/http-service.js'), '--port', '0', '--host', '127.0.0.1', '--ep', ep], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const fail = (why) => { child.kill('SIGKILL'); reject(new Error(`${why}\n${err}`)); };
    const timer = setTimeout(() => fail('the service did not start within 120 s'), 120000);
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the service exited (${code}) before listening\n${err}`)); });
    child.stdout.on('data', async (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m || child.port) return;
      child.port = Number(m[1]);
      for (let i = 0; i < 100; i++) {
        try {
          if ((await get(child.port, '/health')) === 200) {
            clearTimeout(timer);
            child.removeAllListeners('exit');
            return resolve(child);
          }
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      fail('the service did not answer GET /health');
    });
  });
}

function stopService(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    child.kill('SIGTERM');
  });
}

// ---- the load generator: a child process of its own ----

function bodies() {
  const dir = path.join(ROOT, 'samples/images');
  const good = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => fs.readFileSync(path.join(dir, f)));
  // Unreadable: random bytes (a fixed seed), and JPEGs cut short (markers intact, scan data missing).
  let seed = 24;
  const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; };
  const unreadable = [];
  for (let i = 0; i < 4; i++) unreadable.push(Buffer.from(Array.from({ length: 2048 + 1024 * i }, rand)));
  for (const g of good.slice(0, 4)) unreadable.push(g.subarray(0, 600));
  return { good, unreadable };
}

function generator(config) {
  const autocannon = require('autocannon');
  const { good, unreadable } = bodies();
  const share = config.unreadableShare;
  const kinds = { good: { sent: 0, byStatus: {}, latencies: [] }, unreadable: { sent: 0, byStatus: {}, latencies: [] } };
  let n = 0;
  const instance = autocannon({
    url: `http://127.0.0.1:${config.port}`,
    connections: config.connections,
    duration: config.duration,
    timeout: config.timeout,
    pipelining: 1,
    requests: [{
      method: 'POST',
      path: '/inspect',
      // Each connection has one request in flight, so its context holds that request.
      setupRequest: (req, ctx) => {
        const i = n++;
        // Exactly share of the requests are unreadable, spread evenly.
        const bad = Math.floor((i + 1) * share) > Math.floor(i * share);
        const kind = bad ? 'unreadable' : 'good';
        const list = bad ? unreadable : good;
        kinds[kind].sent++;
        ctx.kind = kind;
        ctx.start = process.hrtime.bigint();
        return { ...req, headers: { 'content-type': 'application/octet-stream' }, body: list[i % list.length] };
      },
      onResponse: (status, body, ctx) => {
        const k = kinds[ctx.kind];
        k.byStatus[status] = (k.byStatus[status] ?? 0) + 1;
        k.latencies.push(Number(process.hrtime.bigint() - ctx.start) / 1e6);
      },
    }],
  }, (err, result) => {
    if (err) { process.send({ error: String(err.stack || err) }); return; }
    process.send({
      kinds,
      autocannon: {
        requests: result.requests.total, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx,
        resets: result.resets, mismatches: result.mismatches, statusCodeStats: result.statusCodeStats,
        latencyP50: result.latency.p50, latencyP99: result.latency.p99, duration: result.duration, start: result.start,
      },
    });
  });
  process.on('SIGTERM', () => instance.stop());
}

function runGenerator(config) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--generator'], { env: { ...process.env, HTTP_LOAD_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let message = null;
    child.on('message', (m) => { message = m; });
    child.on('exit', (code) => {
      if (message?.error) reject(new Error(message.error));
      else if (!message) reject(new Error(`the load generator exited (${code}) without a result`));
      else resolve(message);
    });
    child.on('error', reject);
  });
}

// ---- the report ----

function summarise(opts, gen, rss, startedAt) {
  const kinds = {};
  for (const [name, k] of Object.entries(gen.kinds)) {
    const answered = Object.values(k.byStatus).reduce((a, b) => a + b, 0);
    kinds[name] = { sent: k.sent, answered, byStatus: k.byStatus, p50Ms: percentile(k.latencies, 50), p99Ms: percentile(k.latencies, 99) };
  }
  const all = [...gen.kinds.good.latencies, ...gen.kinds.unreadable.latencies];
  const status = (kind, code) => kinds[kind].byStatus[code] ?? 0;
  const answered = kinds.good.answered + kinds.unreadable.answered;
  const otherNon2xx = Object.entries(gen.kinds.good.byStatus).concat(Object.entries(gen.kinds.unreadable.byStatus))
    .filter(([code]) => !(Number(code) >= 200 && Number(code) < 300) && Number(code) !== 400).reduce((a, [, v]) => a + v, 0);
  const elapsedS = gen.autocannon.duration ?? opts.duration;
  const windows = rssWindows(rss, opts.duration);
  return {
    command: `node bench/http-load.js --duration ${opts.duration} --connections ${opts.connections} --unreadable-share ${opts.unreadableShare}`,
    connections: opts.connections, durationS: opts.duration, unreadableShare: opts.unreadableShare, ep: opts.ep,
    startedAt,
    requests: {
      sent: kinds.good.sent + kinds.unreadable.sent,
      answered,
      status2xx: Object.entries({ ...gen.kinds.good.byStatus }).filter(([c]) => c >= 200 && c < 300).reduce((a, [, v]) => a + v, 0)
        + Object.entries({ ...gen.kinds.unreadable.byStatus }).filter(([c]) => c >= 200 && c < 300).reduce((a, [, v]) => a + v, 0),
      status400: status('good', 400) + status('unreadable', 400),
      otherNon2xx,
      errors: gen.autocannon.errors,
      timeouts: gen.autocannon.timeouts,
      // sent but unanswered when the generator stopped at the end of --duration
      inFlightAtStop: kinds.good.sent + kinds.unreadable.sent - answered - gen.autocannon.errors,
    },
    checks: {
      everyUnreadableGot400: status('unreadable', 400) === kinds.unreadable.answered,
      everyGoodGot200: status('good', 200) === kinds.good.answered,
      status400EqualsUnreadable: status('good', 400) + status('unreadable', 400) === kinds.unreadable.answered,
      noErrorsOrTimeouts: gen.autocannon.errors === 0 && gen.autocannon.timeouts === 0,
    },
    kinds,
    latency: { p50Ms: percentile(all, 50), p99Ms: percentile(all, 99) },
    throughputPerS: answered / elapsedS,
    elapsedS,
    rss: {
      startMiB: rss.length ? rss[0].rssMiB : null,
      endMiB: rss.length ? rss[rss.length - 1].rssMiB : null,
      samples: rss.length,
      windows,
      growth: rssGrowth(windows),
    },
    machine: `${require('os').cpus().length} CPUs (${require('os').cpus()[0]?.model ?? '?'}), ${Math.round(require('os').totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  };
}

const f1 = (v) => (v == null ? 'n/a' : v.toFixed(1));

function printReport(r) {
  const q = r.requests;
  const lines = [
    `POST /inspect, ${r.connections} connections for ${r.durationS} s, ${(r.unreadableShare * 100).toFixed(0)} % unreadable (--ep ${r.ep}); ${r.machine}`,
    `requests: ${q.sent} sent, ${q.answered} answered (${f1(r.throughputPerS)}/s): ${q.status2xx} 2xx, ${q.status400} 400, ${q.otherNon2xx} other non-2xx; errors ${q.errors}, timeouts ${q.timeouts}; in flight at the stop ${q.inFlightAtStop}`,
  ];
  for (const [name, k] of Object.entries(r.kinds)) {
    const statuses = Object.entries(k.byStatus).map(([c, v]) => `${c}: ${v}`).join(', ') || 'none';
    lines.push(`  ${name.padEnd(10)} ${k.answered} answered (${statuses}); latency p50 ${f1(k.p50Ms)} ms, p99 ${f1(k.p99Ms)} ms`);
  }
  lines.push(`  all        latency p50 ${f1(r.latency.p50Ms)} ms, p99 ${f1(r.latency.p99Ms)} ms`);
  const c = r.checks;
  lines.push(`every unreadable got 400: ${c.everyUnreadableGot400 ? 'yes' : 'NO'}; every good got 200: ${c.everyGoodGot200 ? 'yes' : 'NO'}; 400s = unreadable answered: ${c.status400EqualsUnreadable ? 'yes' : 'NO'}; no errors or timeouts: ${c.noErrorsOrTimeouts ? 'yes' : 'NO'}`);
  lines.push(`service RSS: ${f1(r.rss.startMiB)} MiB at the start, ${f1(r.rss.endMiB)} MiB at the end (${r.rss.samples} samples, one a second)`);
  for (const w of r.rss.windows) lines.push(`  window ${w.window} (${w.from}-${w.to} s): mean ${f1(w.meanMiB)} MiB`);
  const g = r.rss.growth;
  lines.push(g.pct == null
    ? 'RSS growth: n/a (needs at least 2 full 10-second windows)'
    : `RSS growth from window ${g.from} to window ${g.to}: ${g.pct >= 0 ? '+' : ''}${g.pct.toFixed(2)} % (${g.verdict} against ${g.limitPct} %)`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message === 'help' ? '' : `${err.message}\n`}${USAGE}\n`);
    process.exit(err.message === 'help' ? 0 : 2);
  }
  const service = await startService(opts.ep);
  const rss = [];
  let t0 = null;
  const rssBefore = readRssMiB(service.pid);
  const startedAt = new Date().toISOString();
  const pending = runGenerator({ port: service.port, connections: opts.connections, duration: opts.duration, timeout: opts.timeout, unreadableShare: opts.unreadableShare });
  t0 = process.hrtime.bigint();
  const sample = () => {
    const v = readRssMiB(service.pid);
    if (v != null) rss.push({ t: Number(process.hrtime.bigint() - t0) / 1e9, rssMiB: v });
  };
  sample();
  const ticker = setInterval(sample, 1000);
  let gen;
  try {
    gen = await pending;
  } finally {
    clearInterval(ticker);
  }
  sample();
  const rssAfter = readRssMiB(service.pid);
  await stopService(service);
  const report = summarise(opts, gen, rss, startedAt);
  report.rss.beforeLoadMiB = rssBefore;
  report.rss.afterLoadMiB = rssAfter;
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printReport(report);
}

if (process.argv[2] === '--generator') generator(JSON.parse(process.env.HTTP_LOAD_CONFIG));
else if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { parseArgs, percentile, rssWindows, rssGrowth, printReport };
