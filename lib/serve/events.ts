/**
 * The line view's live feed: server-sent events. One poller looks at the store every
 * `pollMs` for parts newer than the last it saw (an inspect process writing the same
 * WAL database, or the station's own --watch); each client is then sent the new parts its
 * filters pick, read through the same store query as the part list. Reviews made here are
 * pushed at once.
 */
import type { ServerResponse } from 'http';
import type { PartQuery, Recorder } from '../pipeline/records/types';
import { partSummary, type PartSummary } from './views';

interface Client {
  res: ServerResponse;
  query: PartQuery;
  lastId: number;
}

/** Parts sent to one client in one event at most (a client far behind reloads the list instead). */
const BATCH = 200;
const KEEPALIVE_MS = 15_000;

export class LiveFeed {
  private readonly clients = new Set<Client>();
  private lastId = 0;
  private timer: NodeJS.Timeout | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly recorder: Recorder, private readonly pollMs: number) {}

  async start(): Promise<void> {
    this.lastId = await this.newestId();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.keepalive = setInterval(() => this.each((c) => c.res.write(': keepalive\n\n')), KEEPALIVE_MS);
  }

  /** Opens an event stream for one client: parts its query picks recorded after `sinceId` (default: from now). */
  subscribe(res: ServerResponse, query: PartQuery, sinceId?: number): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ lastId: this.lastId })}\n\n`);
    const client: Client = { res, query, lastId: sinceId ?? this.lastId };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    if (client.lastId < this.lastId) void this.catchUp(client);
  }

  /** A review made through the station, to every client at once. */
  reviewed(summary: PartSummary): void {
    this.each((c) => c.res.write(`event: review\ndata: ${JSON.stringify(summary)}\n\n`));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.keepalive) clearInterval(this.keepalive);
    this.each((c) => c.res.end());
    this.clients.clear();
  }

  private each(fn: (c: Client) => void): void {
    for (const c of this.clients) {
      try {
        fn(c);
      } catch {
        this.clients.delete(c);
      }
    }
  }

  private async newestId(): Promise<number> {
    return (await this.recorder.parts({ newestFirst: true, limit: 1 }))[0]?.id ?? 0;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;  // a slow read is not stacked on
    this.polling = true;
    try {
      const newest = await this.newestId();
      if (newest <= this.lastId) return;
      this.lastId = newest;
      await Promise.all([...this.clients].map((c) => this.catchUp(c)));
    } catch {
      // A store busy with a writer's checkpoint: the next tick reads again.
    } finally {
      this.polling = false;
    }
  }

  private async catchUp(c: Client): Promise<void> {
    const upTo = this.lastId;
    for (;;) {
      const parts = (await this.recorder.parts({ ...c.query, afterId: c.lastId, limit: BATCH, newestFirst: false }))
        .filter((p) => p.id <= upTo);
      c.lastId = parts.length === BATCH ? parts[parts.length - 1].id : upTo;
      if (!this.clients.has(c)) return;
      if (parts.length) c.res.write(`event: parts\ndata: ${JSON.stringify({ parts: parts.map(partSummary), lastId: c.lastId })}\n\n`);
      if (parts.length < BATCH) return;
    }
  }
}
