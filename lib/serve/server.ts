/**
 * The review station: node's http server over a records store. Loopback by default;
 * any other address needs a token, which every state-changing request then carries
 * (as it does on loopback when one is given). Pages and assets are the package's own.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { DieInspectError } from '../core/errors';
import type { Recorder } from '../pipeline/records/types';
import { loadAssets } from './assets';
import { LiveFeed } from './events';
import { RequestError, send, sendError } from './http';
import { PICTURE_KINDS, PictureCache, type PictureKind } from './images';
import * as routes from './routes';

export interface ReviewServerOptions {
  /** The store to read and review (left open on close: it is the caller's). */
  recorder: Recorder;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Required on any address but loopback; checked on every state-changing request when given. */
  token?: string | null;
  /** Who reviews where a request does not say. */
  reviewer?: string | null;
  /** How often the store is looked at for new parts. Default 400 ms. */
  pollMs?: number;
  /** The largest request body, in bytes (413 past it). Default 64 KiB. */
  bodyLimit?: number;
}

export interface ReviewServer {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends the live feeds; the recorder stays open. */
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The host name of a Host header ('[::1]:8080' -> '::1'). */
const hostName = (h: string) => (h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d*$/, ''));

/** Anything that could climb out of a route: dot segments, encoded slashes and dots, backslashes, NULs. */
const SUSPICIOUS = /(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|%00|\\|\0/i;

export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? null;
  if (token !== null && (typeof token !== 'string' || token.length < 8)) {
    throw new DieInspectError('ERR_INVALID_ARG', 'the token must be at least 8 characters');
  }
  if (!isLoopback(host) && token === null) {
    throw new DieInspectError('ERR_INVALID_ARG', `serving on ${host} (not loopback) needs a token: --token T or --token-file F`);
  }
  const assets = loadAssets();
  const feed = new LiveFeed(options.recorder, options.pollMs ?? 400);
  const pictures = new PictureCache(options.recorder);
  const ctx: routes.RouteContext = {
    recorder: options.recorder, feed, token, reviewer: options.reviewer ?? null, bodyLimit: options.bodyLimit ?? 64 * 1024,
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const raw = req.url ?? '/';
    if (SUSPICIOUS.test(raw.split('?')[0])) throw new RequestError('ERR_INVALID_ARG', 'the path is not one of the station\'s');
    // On loopback, a page of another site that got its name pointed here (DNS rebinding) is turned away.
    if (isLoopback(host) && !isLoopback(hostName(req.headers.host ?? ''))) {
      throw new RequestError('ERR_UNAUTHORIZED', 'this station answers to its loopback address only', 403);
    }
    const url = new URL(raw, 'http://station');
    const p = url.pathname, q = url.searchParams, method = req.method ?? 'GET';
    let m: RegExpMatchArray | null;
    const only = (allowed: string) => {
      if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) {
        throw new RequestError('ERR_INVALID_ARG', `${method} is not allowed here (${allowed})`, 405);
      }
    };
    if ((m = p.match(/^\/api\/parts\/([^/]+)\/review$/))) {
      only('POST');
      return routes.postReview(ctx, m[1], req, res);
    }
    if (p.startsWith('/api/') || p.startsWith('/images/')) only('GET');
    if (p === '/api/config') {
      return routes.sendConfig(ctx, res);
    }
    if (p === '/api/parts') return routes.listParts(ctx, q, res);
    if ((m = p.match(/^\/api\/parts\/([^/]+)$/))) return routes.showPart(ctx, m[1], res);
    if (p === '/api/next-unreviewed-fail') return routes.nextUnreviewedFail(ctx, q, res);
    if (p === '/api/stats') return routes.stats(ctx, q, res);
    if (p === '/api/rates') return routes.rates(ctx, q, res);
    if (p === '/api/events') return routes.events(ctx, q, req, res);
    if ((m = p.match(/^\/images\/([^/]+)\/([a-z]+)\.jpg$/)) && PICTURE_KINDS.includes(m[2] as PictureKind)) {
      const part = await routes.partOf(ctx.recorder, m[1]);
      const jpg = await pictures.get(part, m[2] as PictureKind);
      return send(res, 200, 'image/jpeg', jpg, { 'cache-control': 'private, max-age=60' });
    }
    if (p === '/' || /^\/part\/\d{1,15}$/.test(p)) {
      only('GET');
      const page = assets.get('index.html')!;
      return send(res, 200, page.type, page.body, { 'cache-control': 'no-store' });
    }
    if ((m = p.match(/^\/assets\/([a-z-]+\.(?:js|css))$/)) && assets.has(m[1])) {
      only('GET');
      const a = assets.get(m[1])!;
      return send(res, 200, a.type, a.body, { 'cache-control': 'no-cache' });
    }
    throw new RequestError('ERR_NOT_FOUND', `nothing at ${p.slice(0, 100)}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      sendError(res, err);
      // A body refused part way is not read on: the connection goes.
      if (err instanceof RequestError && err.status === 413) req.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await feed.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      feed.close();
      reject(new DieInspectError(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? 'ERR_INVALID_ARG' : 'ERR_INTERNAL',
        `cannot listen on ${host}:${options.port ?? 8080}: ${err.message}`, { cause: err }));
    });
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`, host, port,
    close: () => new Promise<void>((resolve) => {
      feed.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
