/**
 * The review station's HTTP plumbing: JSON answers, the one error body
 * `{ error: { code, message } }`, size-limited JSON bodies and the token check.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { timingSafeEqual } from 'crypto';
import { DieInspectError, type ErrorCode } from '../core/errors';

/** The HTTP status of each error code a request can end in (anything else is the server's fault: 500). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_INVALID_ARG: 400, ERR_UNAUTHORIZED: 401, ERR_NOT_FOUND: 404, ERR_TOO_LARGE: 413, ERR_BUSY: 503, ERR_WRITE: 503,
};

/** A DieInspectError with the HTTP status it answers with, where the code alone does not say it (405, 415). */
export class RequestError extends DieInspectError {
  constructor(code: ErrorCode, message: string, readonly status: number = STATUS[code] ?? 500) {
    super(code, message);
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Every asset is the package's own: nothing from elsewhere runs or loads.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
};

export function send(res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'cache-control': 'no-store' });
}

/** Any failure as the JSON error body; a DieInspectError keeps its code, anything else is ERR_INTERNAL (500). */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof DieInspectError ? err : new DieInspectError('ERR_INTERNAL', (err as Error)?.message ?? String(err));
  const status = err instanceof RequestError ? err.status : STATUS[e.code] ?? 500;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code: e.code, message: e.message } });
}

/** The request body as JSON: at most `limit` bytes (413 past it), an object (400 otherwise), sent as application/json (415). */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  // A JSON content type is what a cross-site form cannot send without the browser asking first (CORS preflight).
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new RequestError('ERR_INVALID_ARG', 'the body must be application/json', 415);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new RequestError('ERR_TOO_LARGE', `the body is over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestError('ERR_TOO_LARGE', `the body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new RequestError('ERR_INVALID_ARG', `the body is not JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError('ERR_INVALID_ARG', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The token a request carries: `Authorization: Bearer T` or `X-Die-Inspect-Token: T`. */
function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const header = req.headers['x-die-inspect-token'];
  return typeof header === 'string' ? header : null;
}

/** ERR_UNAUTHORIZED unless the request carries `token` (compared in constant time); nothing to check without one. */
export function checkToken(req: IncomingMessage, token: string | null): void {
  if (token === null) return;
  const given = tokenOf(req);
  const a = Buffer.from(given ?? ''), b = Buffer.from(token);
  if (given === null || a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new RequestError('ERR_UNAUTHORIZED', 'this request changes the records: it needs the station\'s token (Authorization: Bearer T)');
  }
}
