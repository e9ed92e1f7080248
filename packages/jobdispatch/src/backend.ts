/**
 * The seam between dispatching and storage. A backend owns the queue, the job records, dedup and
 * the event stream; the dispatcher owns handlers, worker slots, timeouts, retries' timing and
 * cancellation of what it runs. `MemoryBackend` keeps all of it in this process; `RedisBackend`
 * keeps it in Redis so that many processes share one queue.
 *
 * Every operation that changes a record also emits the matching event, in order, to every
 * subscriber (in every process, for a shared backend): the dispatcher builds `wait()`, stats and
 * cross-process cancel on that stream alone, so both backends behave the same.
 */
import type { JobEvent, JobEventListener } from './events.js';
import type { Job, JobError, JobProgress } from './job.js';
import type { QueueStats } from './priority-queue.js';

/** The seed's `JobExpirationTime`: finished records and completed executions are kept 24 h. */
export const DEFAULT_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

export interface SubmitOptions {
  /** How long a completed execution keeps absorbing submits with its dedupKey. */
  readonly dedupTtlMs: number;
  /** How long a finished record is kept. */
  readonly recordTtlMs: number;
}

/**
 * What a submit did: queued the job, or recorded it as `duplicated` because a live execution
 * with its dedupKey exists (promoting that execution when it was queued at a lower priority).
 */
export type SubmitResult =
  | { readonly kind: 'queued'; readonly job: Job }
  | {
      readonly kind: 'duplicated';
      readonly job: Job;
      readonly original: Job;
      readonly promoted: boolean;
    };

export interface ClaimRequest {
  /** Most jobs to hand out. */
  readonly max: number;
  /**
   * Job types with a concurrency cap, and how many more of each may start now (0: none). Types not
   * listed are limited by `max` only. A type that may not start never holds back the others.
   */
  readonly remaining: ReadonlyMap<string, number>;
}

/** A job handed to this process to run, with the token that proves it still holds it. */
export interface Claim {
  readonly job: Job;
  /** Fencing token: an operation with a stale token (the lease was lost and taken over) is refused. */
  readonly token: string;
}

export type Outcome =
  | { readonly status: 'completed'; readonly result: unknown }
  | { readonly status: 'failed'; readonly error: JobError }
  | { readonly status: 'cancelled'; readonly error: JobError };

/** What renewing a lease found. */
export type RenewResult = 'held' | 'cancel-requested' | 'lost';

export type CancelOutcome =
  /** It was queued (or waiting to retry) and will never start. */
  | { readonly outcome: 'cancelled'; readonly job: Job }
  /** It is running: its signal is being aborted; it ends `cancelled` when its handler returns. */
  | { readonly outcome: 'cancel-requested'; readonly job: Job }
  /** It had already finished; nothing changed. */
  | { readonly outcome: 'already-finished'; readonly job: Job };

export interface Backend {
  /** True when jobs outlive this process (shutdown then releases running jobs instead of cancelling them). */
  readonly durable: boolean;
  /** How long a claim is held without renewal; undefined when claims cannot be lost (in process). */
  readonly leaseMs: number | undefined;

  /** Connects; safe to call more than once. */
  open(): Promise<void>;
  /** Records and enqueues a `new` job atomically, or records it as a duplicate. Throws QUEUE_FULL. */
  submit(job: Job, options: SubmitOptions): Promise<SubmitResult>;
  /** Takes up to `max` jobs in strict priority order, marking them running (attempt counted). */
  claim(request: ClaimRequest): Promise<Claim[]>;
  /**
   * Resolves once work may have arrived since the last `claim()` began (at once if some already
   * has: a job was submitted or a retry came due), or when `signal` aborts. One dispatcher's loop
   * calls it after a claim that found nothing, so no arrival between the two is missed.
   */
  waitForWork(signal: AbortSignal): Promise<void>;
  /** Extends the lease of a running job and reports a cancel asked for it. */
  renew(claim: Claim): Promise<RenewResult>;
  progress(claim: Claim, progress: JobProgress): Promise<void>;
  /** Ends a running job. False when the claim was no longer held (nothing was written). */
  finish(claim: Claim, outcome: Outcome, options: SubmitOptions): Promise<boolean>;
  /** Puts a failed attempt back in the queue after `delayMs`. False when the claim was no longer held. */
  retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean>;
  /** Gives a running job back, to the front of its level, its attempt not counted (shutdown). */
  release(claim: Claim): Promise<boolean>;
  cancel(id: string, options: SubmitOptions): Promise<CancelOutcome>;
  get(id: string): Promise<Job | undefined>;
  stats(): Promise<QueueStats>;
  /** Emits an event that does not change a record (`stuck`). */
  publish(event: JobEvent): Promise<void>;
  /** Every event of this backend's queue, in order. Returns the unsubscribe function. */
  subscribe(listener: JobEventListener): () => void;
  /** Frees connections and timers. Jobs still queued stay where the backend keeps them. */
  close(): Promise<void>;
}
