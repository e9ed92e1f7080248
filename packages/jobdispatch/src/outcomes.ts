/**
 * Waiting for jobs to end: `wait(id)` for one process, built on the event stream so that it works
 * for jobs run by any process. A waiter registers before it reads the record, so an end that
 * happens between the read and the registration is never missed; a `duplicated` job is followed to
 * the execution it joined.
 */
import {
  DispatchError,
  type DispatchErrorCode,
  isDispatchErrorCode,
  jobNotFound,
} from './errors.js';
import { FINAL_EVENT_TYPES, type JobEvent } from './events.js';
import { type Job, JobStatus, isFinalStatus } from './job.js';

/** How many `duplicateOf` links `wait()` follows (a duplicate of a duplicate cannot happen today). */
const MAX_DUPLICATE_HOPS = 8;

/**
 * While anyone waits, the records waited on are read again this often. Events normally end a
 * wait at once; this is the fallback for an event that never arrived (a Redis subscriber that
 * reconnected misses what was published meanwhile), so that `wait()` cannot hang on a job that
 * has ended.
 */
export const WAIT_RECHECK_MS = 15_000;

type Waiter = (job: Job | undefined) => void;

export class Outcomes {
  private readonly waiters = new Map<string, Waiter[]>();
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: (id: string) => Promise<Job | undefined>,
    private readonly reportError: (error: unknown) => void,
    private readonly recheckMs: number = WAIT_RECHECK_MS,
  ) {}

  /** The job's result, or a `DispatchError` carrying the code it ended with. */
  async wait<R>(id: string): Promise<R> {
    let job = await this.settled(id);
    for (
      let hops = 0;
      job?.status === JobStatus.Duplicated &&
      job.duplicateOf !== undefined &&
      hops < MAX_DUPLICATE_HOPS;
      hops++
    ) {
      job = await this.settled(job.duplicateOf);
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

  /** Every event of the backend: a final one hands its job's record to the waiters. */
  observe(event: JobEvent): void {
    if (!FINAL_EVENT_TYPES.has(event.type)) return;
    const waiters = this.waiters.get(event.jobId);
    if (waiters === undefined) return;
    this.waiters.delete(event.jobId);
    this.scheduleRecheck();
    this.read(event.jobId).then(
      (job) => waiters.forEach((waiter) => waiter(job)),
      (error: unknown) => {
        this.reportError(error);
        waiters.forEach((waiter) => waiter(undefined));
      },
    );
  }

  /** At shutdown: every waiter gets the record as it is now (so `wait()` never hangs). */
  async releaseAll(): Promise<void> {
    for (const [id, waiters] of this.waiters) {
      this.waiters.delete(id);
      const job = await this.read(id).catch(() => undefined);
      for (const waiter of waiters) waiter(job);
    }
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
        const job = await this.read(id).catch((error: unknown) => this.reportError(error));
        // Not ended yet, or unreadable right now: look again next time.
        if (job === undefined || !isFinalStatus(job.status)) return;
        const waiters = this.waiters.get(id) ?? [];
        this.waiters.delete(id);
        for (const waiter of waiters) waiter(job);
      }),
    );
    this.scheduleRecheck();
  }

  /** The job's record once it is final (undefined if unknown). */
  private settled(id: string): Promise<Job | undefined> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (job: Job | undefined): void => {
        if (done) return;
        done = true;
        resolve(job);
      };
      const waiters = this.waiters.get(id) ?? [];
      waiters.push(finish);
      this.waiters.set(id, waiters);
      this.scheduleRecheck();
      this.read(id).then((job) => {
        if (job !== undefined && !isFinalStatus(job.status)) return;
        const list = this.waiters.get(id)?.filter((waiter) => waiter !== finish);
        if (list === undefined || list.length === 0) this.waiters.delete(id);
        else this.waiters.set(id, list);
        this.scheduleRecheck();
        finish(job);
      }, reject);
    });
  }
}
