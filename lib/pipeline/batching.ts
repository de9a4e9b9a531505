/**
 * Micro-batching of an image source. From a list, batches are simply full; from
 * a live source (a camera, a hot folder) a partial batch also goes once its first
 * image has waited `maxWaitMs`, so a slow trickle is not held back until a batch
 * fills, while a busy source still gets full batches.
 */

const TIMED_OUT = Symbol('timed out');

export async function* batchesOf<T>(source: Iterable<T> | AsyncIterable<T>, size: number, maxWaitMs = Infinity): AsyncGenerator<T[]> {
  const it: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in source
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
  let batch: T[] = [];
  let deadline = Infinity;
  // A next() that lost a race against the deadline stays pending for the next batch.
  let pulling: Promise<IteratorResult<T>> | null = null;
  let finished = false;
  try {
    for (;;) {
      pulling ??= Promise.resolve(it.next());
      let step: IteratorResult<T> | typeof TIMED_OUT;
      if (batch.length > 0 && Number.isFinite(deadline)) {
        let timer: NodeJS.Timeout | undefined;
        const expiry = new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline - performance.now()));
        });
        step = await Promise.race([pulling, expiry]);
        clearTimeout(timer);
      } else {
        step = await pulling;
      }
      if (step === TIMED_OUT) {
        yield batch;
        batch = [];
        continue;
      }
      pulling = null;
      if (step.done) {
        finished = true;
        break;
      }
      if (batch.length === 0) deadline = performance.now() + maxWaitMs;
      batch.push(step.value);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } finally {
    // The consumer stopped early: let the source release what it holds.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
