/**
 * Write coalescing: calls made in one burst (say 1,000 submits from a `Promise.all`, or the
 * finishes of every job whose handler returned in the same tick) go to Redis as one script call
 * per `maxBatch` items instead of one each. The scripts still treat each item on its own, in order,
 * so semantics are exactly those of separate calls; only round trips are saved.
 *
 * A burst ends when the process next runs its `nextTick` queue: after the synchronous code and the
 * promise reactions it set off, before any I/O. So coalescing adds no latency worth measuring.
 *
 * Invariant: items are sent in the order they were added, and every caller's promise settles:
 * with its own result, or with the error of the call that carried it.
 */
export class Batcher<I, O> {
  private pending: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] =
    [];
  private scheduled = false;

  constructor(
    private readonly send: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch: number,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => void this.flush());
      }
    });
  }

  /**
   * Sends what is pending now (an operation that must not overtake earlier ones calls this).
   * Resolves once those sends have settled.
   */
  flush(): Promise<void> {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    const sends: Promise<void>[] = [];
    for (let start = 0; start < all.length; start += this.maxBatch) {
      const chunk = all.slice(start, start + this.maxBatch);
      sends.push(
        sendSafely(
          this.send,
          chunk.map((entry) => entry.item),
        ).then(
          (results) => chunk.forEach((entry, i) => entry.resolve(results[i] as O)),
          (error: unknown) => chunk.forEach((entry) => entry.reject(error)),
        ),
      );
    }
    return Promise.all(sends).then(() => undefined);
  }
}

/** A send that throws instead of rejecting still rejects its callers (never an uncaught throw). */
function sendSafely<I, O>(
  send: (items: readonly I[]) => Promise<readonly O[]>,
  items: readonly I[],
): Promise<readonly O[]> {
  try {
    return send(items);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown
    return Promise.reject(error);
  }
}
