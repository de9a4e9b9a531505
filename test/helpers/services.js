'use strict';
// The Redis and PostgreSQL of the scale-out tests (scripts/services.sh start). Outside CI
// a suite whose services are down is skipped, saying why; in CI a missing service fails.
const net = require('net');

const REDIS = process.env.DIE_INSPECT_REDIS || 'redis://127.0.0.1:6390';
const PG = process.env.DIE_INSPECT_PG || 'postgres://postgres@127.0.0.1:5440/die_inspect';

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port) });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** In a before hook: skips the suite (outside CI) or fails it (in CI) unless `needs` are up. */
async function requireServices(ctx, needs = ['redis', 'pg']) {
  const urls = { redis: REDIS, pg: PG };
  const down = [];
  for (const n of needs) if (!(await reachable(urls[n]))) down.push(`${n} (${urls[n]})`);
  if (!down.length) return;
  const why = `not reachable: ${down.join(', ')}; start them with bash scripts/services.sh start`;
  if (process.env.CI) throw new Error(why);
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

/** A schema of its own in the test database, and the URL whose connections use it. */
async function freshSchema(name) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await c.query(`CREATE SCHEMA ${name}`);
  } finally {
    await c.end();
  }
  return `${PG}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
}

/** Runs SQL against `url`, resolving with the rows. */
async function sql(url, text, params = []) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** A queue name no other run uses. */
const queueName = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}`;

module.exports = { REDIS, PG, requireServices, freshSchema, sql, queueName };
