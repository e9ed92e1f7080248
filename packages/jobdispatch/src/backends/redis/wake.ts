/**
 * How an idle worker process waits for work without polling: it blocks in Redis (BLPOP on the
 * queue's wake list, on a connection of its own) until a submit, retry, release, resume or reclaim
 * pushes a wake token, or until the next scheduled job comes due: one local timer, set from the
 * earliest due time that the last claim read from the `due` index, or that a `scheduled` or
 * `retrying` event of any process announced since, or the moment the rate window of a limited
 * type with waiting jobs frees (as the last claim read it). Nothing due: no timer at all.
 *
 * The timer also runs while no worker waits (every slot busy): it then calls `onDue`, which moves
 * the due jobs (the promote script), so they are queued on time for any process that has room.
 *
 * Invariant (the `waitForWork` contract): nothing that arrives after a claim began is missed. A
 * token pushed after the claim began is either still in the list when the BLPOP starts, or taken by
 * a BLPOP already waiting (this process's or another's, which then claims it). At most one BLPOP
 * is in flight per process; a token it brings back while nobody waits is remembered as `arrived`.
 */
import type { RedisClient as Redis } from './client.js';

export class WorkSignal {
  private arrived = false;
  private popping = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** When the next scheduled job comes due, on the backend's clock; undefined: none known. */
  private nextDueAt: number | undefined;
  private cancelDueTimer: (() => void) | undefined;
  /** Set once this process claims: only a working process keeps a due timer. */
  private working = false;
  /** The earliest due time announced since the last claim began (its reply may predate it). */
  private announced: number | undefined;
  /**
   * When a rate-limited type with waiting jobs may start again, as the last claim read it (set by
   * claims only: a promote or reap knows nothing of limits and leaves it).
   */
  private limitAt: number | undefined;

  constructor(
    private readonly blocking: () => Promise<Redis>,
    private readonly wakeKey: string,
    private readonly onError: (error: unknown) => void,
    private readonly onDue: () => void,
    /** The backend's clock, and a timer on it (see `RedisBackendOptions.setTimer`). */
    private readonly now: () => number,
    private readonly setTimer: (callback: () => void, ms: number) => () => void,
  ) {}

  /** A claim is about to run: what arrived so far, it will see. */
  claimBegan(): void {
    this.arrived = false;
    this.announced = undefined;
  }

  /** What a claim or promote read from the `due` index: how long until the next job is due (-1: none). */
  claimEnded(dueInMs: number): void {
    this.working = true;
    const read = dueInMs >= 0 ? this.now() + dueInMs : undefined;
    const { announced } = this;
    this.nextDueAt =
      read === undefined || (announced !== undefined && announced < read) ? announced : read;
    this.armDueTimer();
  }

  /** What a claim read of the rate limits: how long until a limited type may start again (-1: none waits). */
  limitFreesIn(inMs: number): void {
    const at = inMs >= 0 ? this.now() + inMs : undefined;
    if (at === this.limitAt) return;
    this.limitAt = at;
    this.armDueTimer();
  }

  /** Another process announced a job due in `dueInMs` (a `scheduled` or `retrying` event). */
  dueIn(dueInMs: number): void {
    const at = this.now() + Math.max(0, dueInMs);
    if (this.announced === undefined || at < this.announced) this.announced = at;
    if (this.nextDueAt !== undefined && this.nextDueAt <= at) return;
    this.nextDueAt = at;
    this.armDueTimer();
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.arrived || signal.aborted || this.closed) return Promise.resolve();
    this.pop();
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases every waiter; later waits resolve at once. */
  close(): void {
    this.closed = true;
    this.disarmDueTimer();
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
    this.disarmDueTimer();
    const at = Math.min(this.nextDueAt ?? Infinity, this.limitAt ?? Infinity);
    if (at === Infinity || this.closed || !this.working) return;
    this.cancelDueTimer = this.setTimer(
      () => {
        this.cancelDueTimer = undefined;
        if (this.limitAt !== undefined && this.limitAt <= this.now()) this.limitAt = undefined;
        if (this.waiters.size > 0) this.wakeAll();
        else this.onDue();
      },
      Math.max(0, at - this.now()),
    );
  }

  private disarmDueTimer(): void {
    this.cancelDueTimer?.();
    this.cancelDueTimer = undefined;
  }

  private wakeAll(): void {
    this.arrived = true;
    for (const wake of [...this.waiters]) wake();
  }
}
