/**
 * The station's JSON API: parts, one part, its review, the line's statistics, review
 * rates and the live feed. Each handler checks what the request gives before the store
 * sees it: a bad value is a 400 with its reason, an unknown part a 404.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { Verdict } from '../pipeline/inspection-types';
import type { PartQuery, PartRecord, Recorder, ReviewInput } from '../pipeline/records/types';
import type { LiveFeed } from './events';
import { checkToken, readJson, RequestError, sendJson } from './http';
import { lineStats } from './stats';
import { partDetail, partSummary } from './views';

export interface RouteContext {
  recorder: Recorder;
  feed: LiveFeed;
  token: string | null;
  /** Who reviews, where a request does not say (`serve --reviewer`). */
  reviewer: string | null;
  bodyLimit: number;
}

const VERDICTS: Verdict[] = ['pass', 'fail', 'skipped', 'error'];
const TEXT_FILTERS = ['class', 'lot', 'station', 'camera'] as const;
/** The most parts one list answer holds. */
export const MAX_LIMIT = 1000;
const MAX_TEXT = 2000;

const bad = (message: string) => new RequestError('ERR_INVALID_ARG', message);

function wholeNumber(v: string, name: string, min: number): number {
  if (!/^\d{1,15}$/.test(v) || Number(v) < min) throw bad(`${name} must be a whole number >= ${min}, got '${v.slice(0, 40)}'`);
  return Number(v);
}

/** A part id from the path: digits only, and a part the store holds. */
export async function partOf(recorder: Recorder, id: string): Promise<PartRecord> {
  const part = /^\d{1,15}$/.test(id) ? await recorder.part(Number(id)) : null;
  if (!part) throw new RequestError('ERR_NOT_FOUND', `no part ${id.slice(0, 40)} in the records`);
  return part;
}

/** The filters of a query string as a store query; `extra` names the other parameters a route takes. */
export function queryOf(params: URLSearchParams, extra: string[] = []): PartQuery {
  const q: PartQuery = {};
  for (const [k, v] of params) {
    if (params.getAll(k).length > 1) throw bad(`${k} is given more than once`);
    if (v.length > MAX_TEXT) throw bad(`${k} is too long`);
    if (k === 'verdict' || k === 'machineVerdict') {
      if (!VERDICTS.includes(v as Verdict)) throw bad(`${k} must be pass, fail, skipped or error, got '${v.slice(0, 40)}'`);
      q[k] = v as Verdict;
    } else if ((TEXT_FILTERS as readonly string[]).includes(k)) {
      if (v) q[k as (typeof TEXT_FILTERS)[number]] = v;
    } else if (k === 'from' || k === 'to') {
      if (!v) continue;
      if (Number.isNaN(new Date(v).getTime())) throw bad(`${k} must be a date or time (ISO 8601), got '${v.slice(0, 40)}'`);
      q[k] = new Date(v).toISOString();
    } else if (k === 'reviewed') {
      if (v !== 'true' && v !== 'false') throw bad(`reviewed must be true or false, got '${v.slice(0, 40)}'`);
      q.reviewed = v === 'true';
    } else if (k === 'run') {
      q.run = wholeNumber(v, k, 1);
    } else if (!extra.includes(k)) {
      throw bad(`unknown parameter '${k.slice(0, 40)}'`);
    }
  }
  return q;
}

export async function listParts(ctx: RouteContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  const query = queryOf(params, ['limit', 'offset', 'order']);
  const limit = params.has('limit') ? wholeNumber(params.get('limit')!, 'limit', 1) : 200;
  if (limit > MAX_LIMIT) throw bad(`limit must be at most ${MAX_LIMIT}`);
  const offset = params.has('offset') ? wholeNumber(params.get('offset')!, 'offset', 0) : 0;
  const order = params.get('order') ?? 'newest';
  if (order !== 'newest' && order !== 'oldest') throw bad(`order must be newest or oldest, got '${order.slice(0, 40)}'`);
  const parts = await ctx.recorder.parts({ ...query, limit, offset, newestFirst: order === 'newest' });
  sendJson(res, 200, { parts: parts.map(partSummary), limit, offset });
}

export async function showPart(ctx: RouteContext, id: string, res: ServerResponse): Promise<void> {
  sendJson(res, 200, partDetail(await partOf(ctx.recorder, id)));
}

/** The next failed part nobody has reviewed after `after` (wrapping round to the first), or null. */
export async function nextUnreviewedFail(ctx: RouteContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  const query = queryOf(params, ['after']);
  const after = params.has('after') ? wholeNumber(params.get('after')!, 'after', 0) : 0;
  const pick = { ...query, machineVerdict: 'fail' as const, reviewed: false, limit: 1 };
  const next = (await ctx.recorder.parts({ ...pick, afterId: after }))[0] ?? (await ctx.recorder.parts(pick))[0];
  sendJson(res, 200, { id: next?.id ?? null });
}

const REVIEW_FIELDS = ['reviewer', 'decision', 'boxes', 'labels', 'comment', 'verdict'];

export async function postReview(ctx: RouteContext, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  checkToken(req, ctx.token);
  const body = await readJson(req, ctx.bodyLimit);
  const unknown = Object.keys(body).filter((k) => !REVIEW_FIELDS.includes(k));
  if (unknown.length) throw bad(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => k.slice(0, 40)).join(', ')}`);
  const reviewer = body.reviewer ?? ctx.reviewer;
  if (typeof reviewer !== 'string' || !reviewer.trim() || reviewer.length > 200) {
    throw bad('reviewer is required (a name of up to 200 characters; serve --reviewer gives a default)');
  }
  if (typeof body.comment === 'string' && body.comment.length > MAX_TEXT) throw bad('comment is too long');
  const part = await partOf(ctx.recorder, id);
  // The store checks the rest (decision, boxes, labels, verdict) against the part: ERR_INVALID_ARG, a 400.
  const review = await ctx.recorder.review(part.id, { ...body, reviewer: reviewer.trim() } as unknown as ReviewInput);
  const after = (await ctx.recorder.part(part.id))!;
  ctx.feed.reviewed(partSummary(after));
  sendJson(res, 201, { review, part: partDetail(after) });
}

export async function stats(ctx: RouteContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  sendJson(res, 200, lineStats(await ctx.recorder.parts(queryOf(params))));
}

export async function rates(ctx: RouteContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  sendJson(res, 200, await ctx.recorder.reviewRates(queryOf(params)));
}

export function events(ctx: RouteContext, params: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const query = queryOf(params, ['since']);
  const last = req.headers['last-event-id'];
  const since = params.has('since') ? wholeNumber(params.get('since')!, 'since', 0) : undefined;
  ctx.feed.subscribe(res, query, since ?? (typeof last === 'string' && /^\d+$/.test(last) ? Number(last) : undefined));
}

/** What the page needs to know: the default reviewer, whether reviews need the token, the detector's classes. */
export async function sendConfig(ctx: RouteContext, res: ServerResponse): Promise<void> {
  const newest = (await ctx.recorder.parts({ newestFirst: true, limit: 1 }))[0];
  const classes = newest ? (await ctx.recorder.run(newest.runId))?.classes ?? [] : [];
  sendJson(res, 200, { reviewer: ctx.reviewer, tokenRequired: ctx.token !== null, classes, db: ctx.recorder.location });
}
