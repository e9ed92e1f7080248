/**
 * Waiting for jobs to end: `wait(id)` for one process, built on the event stream so that it works
 * for jobs run by any process. A waiter registers before it reads the record, so an end that
 * happens between the read and the registration is never missed; a `duplicated` job is followed to
 * the execution it joined.
 */
import {
  DispatchError,
  type DispatchErrorCode,
  invalidArgument,
  isDispatchErrorCode,
  jobNotFound,
} from './errors.js';
import { type JobEvent, isFinalEvent } from './events.js';
import { type Job, JobStatus, isFinalStatus } from './job.js';

/** How many `duplicateOf` links `wait()` follows (a duplicate of a duplicate cannot happen today). */
const MAX_DUPLICATE_HOPS = 8;

/**
 * While anyone waits, the records waited on are read again this often. Events end a wait: they
 * come from the event log, and a Redis reader that reconnects resumes after the last id it
 * delivered, so a dropped connection no longer loses a final event. This stays as a cheap safety
 * net (one record read per waited job per period, only while someone waits) for what the log
 * cannot replay: a reader away for longer than the log's window (trimmed events), or a record
 * deleted or lost behind the library's back. So `wait()` cannot hang on a job that has ended.
 */
export const WAIT_RECHECK_MS = 15_000;

/** What `wait(id, options)` takes. */
export interface WaitOptions {
  /** Ends the wait (not the job): `wait()` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Ends the wait (not the job) after this long: `wait()` rejects with `WAIT_TIMEOUT`. */
  readonly timeoutMs?: number;
}

/** What a waiter is handed: the final record, undefined when there is none, or STOPPED. */
type Waiter = (job: Job | undefined | typeof STOPPED) => void;

/** The dispatcher stopped before the record could be read: the job's end is unknown here. */
const STOPPED: unique symbol = Symbol('stopped');

export class Outcomes {
  private readonly waiters = new Map<string, Waiter[]>();
  /** Waiters whose wait was ended by its signal or bound: never handed anything again. */
  private readonly gone = new WeakSet<Waiter>();
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: (id: string) => Promise<Job | undefined>,
    private readonly reportError: (error: unknown) => void,
    private readonly recheckMs: number = WAIT_RECHECK_MS,
  ) {}

  /**
   * The job's result, or a `DispatchError` carrying the code it ended with. `options.signal` and
   * `options.timeoutMs` bound the wait only: when one ends it, the waiter is removed and the job
   * goes on untouched.
   */
  async wait<R>(id: string, options: WaitOptions = {}): Promise<R> {
    const bound = waitBound(id, options);
    try {
      return await this.waitFor<R>(id, bound?.signal);
    } finally {
      bound?.dispose();
    }
  }

  private async waitFor<R>(id: string, signal: AbortSignal | undefined): Promise<R> {
    let job = await this.settled(id, signal);
    for (
      let hops = 0;
      job !== STOPPED &&
      job?.status === JobStatus.Duplicated &&
      job.duplicateOf !== undefined &&
      hops < MAX_DUPLICATE_HOPS;
      hops++
    ) {
      job = await this.settled(job.duplicateOf, signal);
    }
    if (job === STOPPED) {
      const message = `the dispatcher stopped before the end of job "${id}" could be read`;
      throw new DispatchError('DISPATCHER_STOPPED', message, { jobId: id });
    }
    if (job === undefined) throw jobNotFound(id);
    if (!isFinalStatus(job.status)) {
      const message = `the dispatcher stopped before job "${job.id}" finished; it is ${job.status}`;
      throw new DispatchError('DISPATCHER_STOPPED', message, { jobId: job.id });
    }
    if (job.status === JobStatus.Completed) return job.result as R;
    const error = job.error ?? { code: 'JOB_FAILED', message: `job ended ${job.status}` };
    const code: DispatchErrorCode =
      job.status === JobStatus.Cancelled
        ? 'JOB_CANCELLED'
        : isDispatchErrorCode(error.code)
          ? error.code
          : 'JOB_FAILED';
    throw new DispatchError(code, error.message, { jobId: job.id });
  }

  /**
   * Every event of the backend: a final one hands its job's record to the waiters. A record that
   * is gone ends them with JOB_NOT_FOUND; one that is not final (a stray or replayed event) or
   * cannot be read keeps them waiting (the recheck, or a later event, ends them).
   */
  observe(event: JobEvent): void {
    if (!isFinalEvent(event)) return;
    const waiters = this.waiters.get(event.jobId);
    if (waiters === undefined) return;
    this.waiters.delete(event.jobId);
    this.scheduleRecheck();
    this.read(event.jobId).then(
      (job) => {
        if (job === undefined || isFinalStatus(job.status)) waiters.forEach((w) => w(job));
        else this.requeue(event.jobId, waiters);
      },
      (error: unknown) => {
        this.reportError(error);
        this.requeue(event.jobId, waiters);
      },
    );
  }

  /**
   * At shutdown: every waiter gets the record as it is now, read in parallel, so `wait()` never
   * hangs. A read still unanswered at `deadline` (ms since the epoch) ends its waiters with
   * DISPATCHER_STOPPED.
   */
  async releaseAll(deadline = Infinity): Promise<void> {
    const all = [...this.waiters].map(
      ([id, waiters]) => [id, waiters.filter((w) => !this.gone.has(w))] as const,
    );
    this.waiters.clear();
    this.scheduleRecheck();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof STOPPED>((resolve) => {
      if (deadline !== Infinity)
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), STOPPED);
    });
    await Promise.all(
      all.map(async ([id, waiters]) => {
        const read = this.read(id).catch((): typeof STOPPED => STOPPED);
        const job = await Promise.race([read, late]);
        for (const waiter of waiters) waiter(job);
      }),
    );
    clearTimeout(timer);
  }

  private requeue(id: string, waiters: readonly Waiter[]): void {
    const live = waiters.filter((waiter) => !this.gone.has(waiter));
    if (live.length === 0) return;
    this.waiters.set(id, [...(this.waiters.get(id) ?? []), ...live]);
    this.scheduleRecheck();
  }

  /** Runs while there are waiters: the fallback for an end whose event was missed. */
  private scheduleRecheck(): void {
    if (this.waiters.size === 0) {
      clearTimeout(this.recheckTimer);
      this.recheckTimer = undefined;
    } else {
      // Unref'd: a pending wait() alone keeps no process alive, as with any promise.
      this.recheckTimer ??= setTimeout(() => void this.recheck(), this.recheckMs).unref();
    }
  }

  private async recheck(): Promise<void> {
    this.recheckTimer = undefined;
    await Promise.all(
      [...this.waiters.keys()].map(async (id) => {
        let job: Job | undefined;
        try {
          job = await this.read(id);
        } catch (error) {
          this.reportError(error);
          return; // unreadable right now: look again next time
        }
        // Not ended yet: look again next time. Gone: the wait ends with JOB_NOT_FOUND.
        if (job !== undefined && !isFinalStatus(job.status)) return;
        const waiters = this.waiters.get(id) ?? [];
        this.waiters.delete(id);
        for (const waiter of waiters) waiter(job);
      }),
    );
    this.scheduleRecheck();
  }

  /**
   * The job's record once it is final (undefined if unknown). Rejects with `signal.reason` when
   * `signal` aborts first; the waiter is then removed.
   */
  private settled(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Job | undefined | typeof STOPPED> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let done = false;
      const unregister = (): void => {
        const list = this.waiters.get(id)?.filter((waiter) => waiter !== finish);
        if (list === undefined || list.length === 0) this.waiters.delete(id);
        else this.waiters.set(id, list);
        this.scheduleRecheck();
      };
      const onAbort = (): void => {
        if (done) return;
        done = true;
        this.gone.add(finish);
        unregister();
        reject(signal?.reason as Error);
      };
      const finish = (job: Job | undefined | typeof STOPPED): void => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(job);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiters = this.waiters.get(id) ?? [];
      waiters.push(finish);
      this.waiters.set(id, waiters);
      this.scheduleRecheck();
      this.read(id).then(
        (job) => {
          if (done || (job !== undefined && !isFinalStatus(job.status))) return;
          unregister();
          finish(job);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          this.gone.add(finish);
          unregister();
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the backend's own error, as it was
          reject(error);
        },
      );
    });
  }
}

/**
 * The one signal that ends a wait early: the caller's signal, or the `timeoutMs` bound
 * (`WAIT_TIMEOUT`), whichever comes first. Undefined when neither is given. Throws
 * INVALID_ARGUMENT naming a bad option.
 */
function waitBound(
  id: string,
  options: WaitOptions,
): { signal: AbortSignal; dispose: () => void } | undefined {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options', 'an object', options);
  }
  const { signal, timeoutMs } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument('signal', 'an AbortSignal', signal);
  }
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)
  ) {
    throw invalidArgument('timeoutMs', 'a finite number > 0', timeoutMs);
  }
  if (signal === undefined && timeoutMs === undefined) return undefined;
  if (timeoutMs === undefined && signal !== undefined) return { signal, dispose: () => {} };
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  // Not unref'd: the bound is a promise to answer by then.
  const timer = setTimeout(() => {
    const message = `job "${id}" did not end within the wait's timeoutMs of ${String(timeoutMs)} ms`;
    controller.abort(new DispatchError('WAIT_TIMEOUT', message, { jobId: id }));
  }, timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
