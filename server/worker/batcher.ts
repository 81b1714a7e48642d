// Gathers one-item requests into batches: at most one batch (or `concurrency`) is being flushed
// at a time, and the items asked for meanwhile go together into the next one. Why: the worker's per-call SQL steps
// (begin_dial, record_dialed) cost a statement and a commit each; under load they ride one
// statement per round trip instead, and when idle a lone item waits for nothing but its own.

export type Batcher<I, O> = (item: I) => Promise<O>;

/**
 * `flush` receives the items of one batch and answers one result per item, in order; when it
 * throws, every item of that batch fails with its error. Items asked for in the same turn of the
 * event loop always share a batch.
 */
export function createBatcher<I, O>(flush: (items: readonly I[]) => Promise<readonly O[]>, maxBatch = 500, concurrency = 1): Batcher<I, O> {
  type Waiting = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };
  let queue: Waiting[] = [];
  let busy = 0;
  let scheduled = false;

  function kick(): void {
    if (scheduled || busy >= concurrency || queue.length === 0) return;
    busy++;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void run();
    });
  }

  async function run(): Promise<void> {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    try {
      const results = await flush(batch.map((waiting) => waiting.item));
      if (results.length !== batch.length) throw new Error(`batch flush answered ${results.length} results for ${batch.length} items`);
      batch.forEach((waiting, index) => waiting.resolve(results[index]!));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      busy--;
      kick();
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      kick();
    });
}
