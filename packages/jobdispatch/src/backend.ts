/**
 * The seam between dispatching and storage. A backend owns the queue, the scheduled jobs, the job
 * records and their retention, dedup, pauses and the event stream; the dispatcher owns handlers,
 * worker slots, timeouts, the choice of retry delays and cancellation of what it runs.
 * `MemoryBackend` keeps all of it in this process; `RedisBackend` keeps it in Redis so that many
 * processes share one queue. Both pass the backend contract suite (test/contract/backend/).
 *
 * Settings that hold for the whole queue (capacity, lease, dedup TTL, retention, clock) are given
 * to the backend's constructor; no method carries them.
 *
 * Semantics every backend must match:
 *
 * - **Clock.** Every time a backend records or compares (createdAt, runAt, startedAt, finishedAt,
 *   due times, dedup and retention ages) comes from the `now()` given to its constructor (default
 *   `Date.now`), so a test can move time by hand. Only lease expiry may use another clock.
 * - **Submit.** A job whose `runAt` is after `now()` is recorded `scheduled`, else `queued` at
 *   the back of its level (`runAt` is kept on the record either way). Capacity (`QUEUE_FULL`)
 *   bounds the queued jobs of a level only: it refuses a submit that would queue at once, never a
 *   scheduled one. A live execution of the same dedupKey (queued, scheduled, running, or completed
 *   less than `dedupTtlMs` ago and still kept) absorbs the submit: the new record is `duplicated`;
 *   a queued or scheduled original is raised to the duplicate's priority when that is higher
 *   (`promoted` event).
 * - **Due jobs.** A scheduled job becomes `queued` once `now() >= runAt`, at the back of its level
 *   (even past capacity: it was accepted), in due order (runAt, then submission), with a `queued`
 *   event. Every `claim()` first moves the due jobs; `waitForWork()` resolves when the earliest due
 *   time passes. No polling of fixed period when nothing is due: one timer for the earliest due
 *   time, armed only while someone waits for work (memory), or a wake-up at that time (Redis).
 * - **Claim.** Strict priority order, FIFO within a level (opt-in aging aside); per-type
 *   `remaining` as documented on `ClaimRequest`; nothing of a paused type (or of a paused queue)
 *   is claimed, and a paused type never holds back the others.
 * - **Type limits** (`ClaimRequest.limits`, given by the caller of each claim, so a process
 *   started later needs no stored configuration; every process should give the same limits for a
 *   type, and where they differ each claim applies its caller's). `globalConcurrency`: a claim
 *   starts a job of the type only while fewer than that many of its jobs are `running` in the
 *   whole queue (every process on Redis, every caller of the backend in memory); the count is
 *   the running index, so finish, retry, release, cancel and lease expiry free the slot.
 *   `rateLimit { max, perMs }`: a sliding log of the type's starts (the backend's clock): a claim
 *   starts a job only while fewer than `max` starts of the type happened in the last `perMs` ms,
 *   so no window of `perMs` ever holds more than `max` starts (over the queue on Redis, over the
 *   backend in memory). A type at its limit is skipped like a paused one (priority order holds
 *   among the others). When jobs of a rate-limited type wait, `waitForWork()` resolves no later
 *   than the moment its window frees (one timer, no polling); a global slot that frees elsewhere
 *   is seen through the event stream (the dispatcher claims again on the job's end event).
 * - **Retry (after a failed attempt).** `retry(claim, error, delayMs)`: `delayMs` 0 queues the job
 *   at the back of its level at once; otherwise it is `scheduled` with `runAt = now() + delayMs`
 *   and becomes due as above. Event `retrying` (with `delayMs`).
 * - **Ends written before the handler returns.** The dispatcher may `finish()` a claim whose
 *   handler still runs in this process: at a timeout with no retry left (`failed`, `JOB_TIMEOUT`)
 *   and at the stop deadline. That write ends the claim (its token is dead: the late return writes
 *   nothing, and a finished job is never claimed again). A timeout with a retry left writes
 *   nothing until the handler returns: the claim stays held and renewed meanwhile, so the next
 *   attempt cannot be claimed by any process while the previous attempt's handler runs.
 * - **Retention.** Each finished record (`completed`, `failed`, `cancelled`; `duplicated` follows
 *   the `completed` rule in an index of its own) enters its status's index, ordered by
 *   `finishedAt`. When a job finishes, its status's index is trimmed: oldest first (records of
 *   the same millisecond in the index's own order), down to `maxCount`, and every record whose `finishedAt + maxAgeMs <= now()` goes. Every write (submit,
 *   claim, finish, cancel, ...) also trims at most `RETENTION_SWEEP_LIMIT` records per status that
 *   are past their age, so an idle type's old records go too, with no timer or TTL per record. A
 *   record trimmed is gone: `get` returns undefined, `list` and `counts` no longer see it, its
 *   dedupKey no longer absorbs submits. Trimming emits no event.
 * - **List.** `list()` pages through one status after another, in `LIST_STATUS_ORDER` restricted
 *   to the statuses asked for; within a status: `queued` in the order they would be claimed
 *   (priority high first, then queue order), `scheduled` by runAt, `running` by startedAt,
 *   finished ones newest `finishedAt` first (ties in a stable order the backend keeps). The
 *   `cursor` is opaque to callers: it names the position after the last job returned (its status,
 *   sort key and id), so the next page starts after it even if that job has since moved; a job that
 *   stays in its state through the paging is returned exactly once. `cursor` is present in the
 *   result exactly when more matching jobs existed after the page when it was read. A page costs
 *   O(limit + log n) (an index per status, and per status and type for `name`), never a scan. A
 *   cursor the backend cannot read, or one for a status not asked for, is `INVALID_ARGUMENT`
 *   naming `cursor`.
 * - **Counts.** Exact numbers of the records kept in each status (for one type with `name`),
 *   across every process of the queue; `duplicated` records are not counted.
 * - **Admin.** `requeue(id)`: a `failed` or `cancelled` job goes back to the back of its level,
 *   `queued`, its `error`, `result`, `finishedAt` and `cancelRequested` cleared, `attempts` kept and
 *   `attemptsAtRequeue` set to it (the dispatcher counts a fresh retry budget from there); event
 *   `retried`;
 *   `QUEUE_FULL` when its level is full. `remove(id)`: deletes a record that is not running (a
 *   queued or scheduled job leaves its queue; a dedupKey pointing at it is freed); event `removed`;
 *   false when there was no record. `setPriority(id, p)`: a queued job moves to the back of level
 *   `p` (`QUEUE_FULL` if that level is full), a scheduled one will enter level `p` when due; event
 *   `promoted` when `p` is higher; the same level changes nothing. Any other status is
 *   `INVALID_STATE` naming the status; an unknown id is `JOB_NOT_FOUND`.
 * - **Pause.** `pause(name?)` / `resume(name?)`: with no name the whole queue, else one job type.
 *   Claims skip what is paused; running jobs go on; submits and due jobs still queue. The state is
 *   the backend's (on Redis: stored, so every process, and one started later, obeys it). `resume`
 *   wakes `waitForWork`. Pausing twice, or resuming what is not paused, is not an error.
 * - **Schedules** (repeating jobs; the dispatcher owns their timing, see schedules.ts). The
 *   backend stores, per key, an opaque definition string and the next run time. `putSchedule`
 *   is idempotent: the same definition again keeps the stored `nextRunAt` (so a restart that
 *   declares its schedules again does not lose a missed tick); a different definition replaces
 *   it and its `nextRunAt` (the last call wins). `advanceSchedule(key, expected, next)` sets
 *   `nextRunAt` to `next` only if it still equals `expected` (atomically: on Redis one script):
 *   of all the processes that saw a tick due, exactly one gets true, and only it submits the
 *   tick's job. Schedules are the backend's state: on Redis stored (every process, and one
 *   started later, sees them; they survive restarts), in memory shared by the dispatchers of one
 *   backend and gone with the process.
 *
 * Every operation that changes a record also emits the matching event, in order, to every
 * subscriber (in every process, for a shared backend): the dispatcher builds `wait()`, stats and
 * cross-process cancel on that stream alone, so both backends behave the same.
 *
 * - **When a call's events arrive.** At this seam a backend need not deliver a call's events
 *   before the call resolves; only their order is promised. What a caller of the dispatcher can
 *   rely on: the events of its own `submit`, `cancel`, `retry`/`requeue`, `remove`, priority
 *   change and a handler's `progress` have reached this process's listeners when the call
 *   resolves (in memory at once; on Redis the call waits, bounded, for the reader to deliver the
 *   id of the last entry its script appended). The `started` event of a claim and the end event
 *   written by a worker's `finish` follow a moment after those calls resolve (the hot path: a
 *   slot takes its next job without waiting for them), still in log order, so a job's end reaches
 *   the listeners before the `started` of any job claimed after it; `wait()` resolves on the end
 *   event itself, and `close()` (hence `Dispatcher.stop()`) waits, within its bound, until every
 *   event written so far has reached the listeners.
 *
 * - **Event log.** Every event is appended to the queue's log (given at construction as
 *   `events: { maxCount }`, default 10,000 kept: a ring in memory, a Stream trimmed by approximate
 *   MAXLEN on Redis) in the same atomic step as the change it reports, and gets its `id` there.
 *   Ids are unique and increase in log order (`compareEventIds` orders them); the log order is
 *   the order of operations on the queue. `subscribe` delivers the log's events in log order,
 *   each once, from the position at `open()` on; a Redis reader whose connection drops resumes
 *   after the last id it delivered (a window trimmed meanwhile is lost to listeners; `wait()`
 *   rechecks records for that case). `readEvents(after, limit, jobId)` returns the retained
 *   events after `after` (exclusive), oldest first, and reports `gap` when events after `after`
 *   were trimmed before the read: never a silent skip. An id of the wrong form is
 *   `INVALID_ARGUMENT` naming `after`; an id newer than the log's newest reads nothing. With
 *   `jobId`, only that job's events are returned (the page still advances over the others:
 *   `last`). `snapshot(id)` reads a record and the log position it reflects atomically, so the
 *   events after that position are exactly those the record does not show yet.
 */
import type { EventPage, JobSnapshot } from './event-log.js';
import type { JobEventListener, NewJobEvent } from './events.js';
import type { Job, JobError, JobPriority, JobProgress, JobStatus } from './job.js';
import type { QueueStats } from './priority-queue.js';

/** How long a completed execution keeps absorbing submits with its dedupKey, by default (24 h). */
export const DEFAULT_DEDUP_TTL_MS = 24 * 60 * 60 * 1000;
/** Most expired records one write removes per status, beyond those its own finish trims. */
export const RETENTION_SWEEP_LIMIT = 100;

/** How long, and how many, finished records of one status a queue keeps. */
export interface RetentionRule {
  /** Records that finished longer ago than this are dropped. */
  readonly maxAgeMs?: number;
  /** Beyond this many records, the oldest finished are dropped. 0 keeps none. */
  readonly maxCount?: number;
}

/** Given once, to a backend (or to a Dispatcher for its default backend). */
export interface RetentionOptions {
  /** Also rules `duplicated` records (in an index of their own). Default 24 h, 10,000. */
  readonly completed?: RetentionRule;
  /** Default 7 days, 10,000. */
  readonly failed?: RetentionRule;
  /** Default 7 days, 10,000. */
  readonly cancelled?: RetentionRule;
}

export interface ResolvedRetention {
  readonly completed: Required<RetentionRule>;
  readonly failed: Required<RetentionRule>;
  readonly cancelled: Required<RetentionRule>;
}

/** The order `list()` walks statuses in when several are asked for. */
export const LIST_STATUS_ORDER: readonly ListableStatus[] = [
  'queued',
  'scheduled',
  'running',
  'completed',
  'failed',
  'cancelled',
  'duplicated',
];
export type ListableStatus = Exclude<JobStatus, 'new'>;

/** What `Dispatcher.list()` takes. */
export interface ListQuery {
  /** One status or several. Default: every status. */
  readonly status?: ListableStatus | readonly ListableStatus[];
  /** Only jobs of this type. */
  readonly name?: string;
  /** Jobs per page, 1-1000. Default 50. */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}

/** A validated query, as a backend receives it. */
export interface ListRequest {
  /** Not empty, without repeats, in `LIST_STATUS_ORDER`. */
  readonly statuses: readonly ListableStatus[];
  readonly name: string | undefined;
  readonly limit: number;
  readonly cursor: string | undefined;
}

export interface JobPage {
  readonly jobs: Job[];
  /** Present when more jobs matched after this page. */
  readonly cursor?: string;
}

export interface JobCounts {
  readonly scheduled: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Redis only, and only when above 0: entries its scripts could not read and moved aside. */
  readonly corrupt?: number;
}

export interface PausedState {
  /** The whole queue is paused. */
  readonly queue: boolean;
  /** Paused job types, sorted. */
  readonly types: string[];
}

/**
 * What a submit did: recorded the job (`queued`, or `scheduled` when due later), or recorded it as
 * `duplicated` because a live execution with its dedupKey exists (promoting that execution when it
 * was waiting at a lower priority).
 */
export type SubmitResult =
  | { readonly kind: 'queued' | 'scheduled'; readonly job: Job }
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
  /** Job types with limits over the whole queue (see "Type limits" above). */
  readonly limits?: ReadonlyMap<string, TypeLimits>;
}

/** Limits of one job type that hold over the whole queue, not per process. */
export interface TypeLimits {
  /** At most `max` starts in any `perMs` window. */
  readonly rateLimit?: { readonly max: number; readonly perMs: number };
  /** At most this many running at once. */
  readonly globalConcurrency?: number;
}

/** A repeating schedule as a backend stores it. */
export interface StoredSchedule {
  readonly key: string;
  /** The dispatcher's encoding of the definition (JSON); the backend compares and returns it. */
  readonly definition: string;
  /** When the next tick is due (ms since the epoch, on the dispatchers' `now()`, which the backend only stores and compares). */
  readonly nextRunAt: number;
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
  /** It was queued or scheduled and will never start. */
  | { readonly outcome: 'cancelled'; readonly job: Job }
  /** It is running: its signal is being aborted; it ends `cancelled` when its handler returns. */
  | { readonly outcome: 'cancel-requested'; readonly job: Job }
  /** It had already finished; nothing changed. */
  | { readonly outcome: 'already-finished'; readonly job: Job };

/**
 * The three operations every job goes through, done synchronously, for a backend that can (the
 * memory backend: its work is synchronous already). Each does exactly what the `Backend` method of
 * the same name does, and throws what that one rejects with: the same operations, not others. The
 * dispatcher uses them when present, which saves a promise and a turn of the microtask queue per
 * call (each submit, each claim, each completed job). A backend that talks to a server (Redis)
 * leaves `immediate` undefined and is called through its async methods, which every backend must
 * still implement (the contract suite and other callers use them).
 *
 * The dispatcher takes this path only when `backend` is the very backend it was given: a wrapper
 * (a Proxy, an object made with `Object.create(backend)`) that intercepts some methods inherits
 * `immediate` but is not its `backend`, so it is called through its own async methods.
 */
export interface ImmediateBackend {
  /** The backend whose operations these are. */
  readonly backend: Backend;
  submit(job: Job): SubmitResult;
  claim(request: ClaimRequest): Claim[];
  finish(claim: Claim, outcome: Outcome): boolean;
}

/** `backend.immediate`, when it is that backend's own (see `ImmediateBackend`). */
export function immediateOf(backend: Backend): ImmediateBackend | undefined {
  const immediate = backend.immediate;
  return immediate !== undefined && immediate.backend === backend ? immediate : undefined;
}

export interface Backend {
  /** True when jobs outlive this process (shutdown then releases running jobs instead of cancelling them). */
  readonly durable: boolean;
  /** Optional: synchronous submit, claim and finish (see `ImmediateBackend`). */
  readonly immediate?: ImmediateBackend;
  /** How long a claim is held without renewal; undefined when claims cannot be lost (in process). */
  readonly leaseMs: number | undefined;

  /** Connects; safe to call more than once. */
  open(): Promise<void>;
  /** Records a `new` job as queued, scheduled or duplicated, atomically. Throws QUEUE_FULL. */
  submit(job: Job): Promise<SubmitResult>;
  /** Moves due jobs, then takes up to `max` in strict priority order, marking them running (attempt counted). */
  claim(request: ClaimRequest): Promise<Claim[]>;
  /**
   * Resolves once work may have arrived since the last `claim()` began (at once if some already
   * has: a submit, a due job, a resume), or when `signal` aborts.
   */
  waitForWork(signal: AbortSignal): Promise<void>;
  /** Extends the lease of a running job and reports a cancel asked for it. */
  renew(claim: Claim): Promise<RenewResult>;
  progress(claim: Claim, progress: JobProgress): Promise<void>;
  /** Ends a running job. False when the claim was no longer held (nothing was written). */
  finish(claim: Claim, outcome: Outcome): Promise<boolean>;
  /** Queues a failed attempt again after `delayMs` (0: at once). False when the claim was no longer held. */
  retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean>;
  /** Gives a running job back, to the front of its level, its attempt not counted (shutdown). */
  release(claim: Claim): Promise<boolean>;
  cancel(id: string): Promise<CancelOutcome>;
  get(id: string): Promise<Job | undefined>;
  list(request: ListRequest): Promise<JobPage>;
  counts(name?: string): Promise<JobCounts>;
  /** A failed or cancelled job, queued again (admin retry). */
  requeue(id: string): Promise<Job>;
  remove(id: string): Promise<boolean>;
  setPriority(id: string, priority: JobPriority): Promise<Job>;
  pause(name?: string): Promise<void>;
  resume(name?: string): Promise<void>;
  paused(): Promise<PausedState>;
  /** Queued jobs per level. */
  stats(): Promise<QueueStats>;
  /**
   * Stores the schedule `key`; the same definition again keeps its stored `nextRunAt`, another
   * replaces both. Resolves with what is stored now.
   */
  putSchedule(key: string, definition: string, nextRunAt: number): Promise<StoredSchedule>;
  /** Deletes the schedule `key`; false when there was none. */
  removeSchedule(key: string): Promise<boolean>;
  /** Every schedule, by key. */
  schedules(): Promise<StoredSchedule[]>;
  /** Moves `nextRunAt` of `key` from `expected` to `next`; false (nothing written) when it was not `expected`. */
  advanceSchedule(key: string, expected: number, next: number): Promise<boolean>;
  /** Appends an event that does not change a record (`stuck`) to the log. */
  publish(event: NewJobEvent): Promise<void>;
  /** Every event of this backend's queue, in log order, each once. Returns the unsubscribe function. */
  subscribe(listener: JobEventListener): () => void;
  /** The retained events after `after`, at most `limit` entries read (see Event log above). */
  readEvents(after: string, limit: number, jobId?: string): Promise<EventPage>;
  /** The record of `id` (undefined when none) and the log position it reflects, read atomically. */
  snapshot(id: string): Promise<JobSnapshot>;
  /**
   * Frees connections and timers. A durable backend keeps its queued and scheduled jobs; the
   * memory backend cancels them (`DISPATCHER_STOPPED`, on the record and with an event), since
   * nothing would ever run them.
   */
  close(): Promise<void>;
}
