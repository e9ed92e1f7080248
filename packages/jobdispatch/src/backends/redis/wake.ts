/**
 * How an idle worker process waits for work without polling: it blocks in Redis (BLPOP on the
 * queue's wake list, on a connection of its own) until a submit, retry, release or reclaim pushes
 * a wake token, or until the next retry comes due (a local timer set from what the last claim
 * reported, measured on the Redis server's clock).
 *
 * Invariant (the `waitForWork` contract): nothing that arrives after a claim began is missed. A
 * token pushed after the claim began is either still in the list when the BLPOP starts, or taken by
 * a BLPOP already waiting (this process's or another's, which then claims it). At most one BLPOP
 * is in flight per process; a token it brings back while nobody waits is remembered as `arrived`.
 */
import type { Redis } from 'ioredis';

export class WorkSignal {
  private arrived = false;
  private popping = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** When the next retry comes due, on this process's clock; undefined: none waiting. */
  private nextDueAt: number | undefined;
  private dueTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly blocking: () => Promise<Redis>,
    private readonly wakeKey: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A claim is about to run: what arrived so far, it will see. */
  claimBegan(): void {
    this.arrived = false;
  }

  /** What the claim reported: how long until the next retry comes due (-1: none). */
  claimEnded(dueInMs: number): void {
    this.nextDueAt = dueInMs >= 0 ? Date.now() + dueInMs : undefined;
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.arrived || signal.aborted || this.closed) return Promise.resolve();
    this.pop();
    this.armDueTimer();
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        if (this.waiters.size === 0) this.disarmDueTimer();
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases every waiter; later waits resolve at once. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  private pop(): void {
    if (this.popping) return;
    this.popping = true;
    this.blocking()
      .then((client) => client.blpop(this.wakeKey, 0))
      .then(
        () => {
          this.popping = false;
          this.wakeAll();
        },
        (error: unknown) => {
          this.popping = false;
          // A lost connection: wake up, so the next claim reports the error (and backs off).
          if (!this.closed) this.onError(error);
          this.wakeAll();
        },
      );
  }

  private armDueTimer(): void {
    if (this.dueTimer !== undefined || this.nextDueAt === undefined) return;
    this.dueTimer = setTimeout(
      () => {
        this.dueTimer = undefined;
        this.wakeAll();
      },
      Math.max(0, this.nextDueAt - Date.now()),
    );
  }

  private disarmDueTimer(): void {
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private wakeAll(): void {
    this.arrived = true;
    for (const wake of [...this.waiters]) wake();
  }
}
