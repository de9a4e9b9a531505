/**
 * Dynamic batching of single requests: callers submit one item each (a service's
 * request handlers), and one long-running stream sees them as a live source, so
 * requests that arrive together share a model batch. The stream must yield one
 * result per item, in order; results go back to their callers first in, first out.
 */
import { DieInspectError } from '../core/errors';

interface Waiting<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class RequestQueue<T, R> {
  private readonly inbox: T[] = [];
  private readonly waiting: Array<Waiting<R>> = [];
  private wake: (() => void) | null = null;
  private serving = false;
  private closed = false;

  /** `maxPending`: submissions beyond this many unanswered ones reject at once with ERR_BUSY. */
  constructor(private readonly stream: (source: AsyncIterable<T>) => AsyncIterable<R>, private readonly maxPending = Infinity) {}

  /** Items submitted and not yet answered. */
  get pending(): number {
    return this.waiting.length;
  }

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new DieInspectError('ERR_SESSION_CLOSED', 'the queue is closed'));
    // Shedding load beats queueing without bound: a caller can retry, or answer 503.
    if (this.waiting.length >= this.maxPending) {
      return Promise.reject(new DieInspectError('ERR_BUSY', `${this.waiting.length} requests already waiting (maxPending)`));
    }
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.inbox.push(item);
      this.notify();
      if (!this.serving) this.serve();
    });
  }

  /** Lets the stream finish what it holds; later submissions reject. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  // One per stream. A failed stream cannot end its source (return() waits behind the
  // pull it left parked), so the source is retired instead: woken, it stops without
  // taking anything more from the inbox, which belongs to the next stream.
  private async *source(state: { retired: boolean }): AsyncGenerator<T> {
    for (;;) {
      if (state.retired) return;
      if (this.inbox.length) {
        yield this.inbox.shift()!;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  private serve(): void {
    this.serving = true;
    const state = { retired: false };
    void (async () => {
      try {
        for await (const result of this.stream(this.source(state))) this.waiting.shift()?.resolve(result);
      } catch (err) {
        // The stream failed as a whole: every caller still waiting hears why, and the
        // next submission starts a fresh stream.
        state.retired = true;
        this.notify();
        this.inbox.length = 0;
        for (const w of this.waiting.splice(0)) w.reject(err);
      } finally {
        this.serving = false;
      }
      if (this.waiting.length && !this.closed) this.serve();
    })();
  }
}
