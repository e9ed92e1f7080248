/**
 * The Dispatcher: the public face of the library. It registers handlers, accepts jobs (now or
 * for later), runs a pool of `workers` slots that always take the highest-priority, oldest job
 * they may run, and offers cancel, wait, events, stats, listing, counts and the admin operations
 * (retry, remove, setPriority, pause and resume). Storage, queueing, scheduling, retention and
 * dedup belong to the backend.
 *
 * Lifecycle:   created ──start()──► running ──stop()──► draining ──► stopped
 *                  └───────────────stop()─────────────────────────────┘
 * Jobs may be submitted from creation until `stop()` (before `start()` they just wait).
 * One loop claims as many jobs as there are free slots, honouring per-type caps (the slot
 * bookkeeping is `SlotScheduler`'s), and sleeps until work arrives or a slot frees. It never
 * blocks the event loop.
 */
import {
  type Backend,
  type CancelOutcome,
  type JobCounts,
  type JobPage,
  LIST_STATUS_ORDER,
  type ListQuery,
  type ListRequest,
  type ListableStatus,
  type PausedState,
  type RetentionOptions,
  type SubmitResult,
  immediateOf,
} from './backend.js';
import { MemoryBackend } from './backends/memory.js';
import {
  type DefinedJobHandler,
  type DefinedJobSpec,
  type JobDefinition,
  type PlainJobSpec,
  definedSpec,
  isJobDefinition,
} from './define-job.js';
import { safeString } from './describe.js';
import { DispatchError, invalidArgument, queueClosed } from './errors.js';
import type { EventLogOptions } from './event-log.js';
import {
  DEFAULT_EVENT_BUFFER,
  type EventsOptions,
  type WatchOptions,
  checkEventsOptions,
  followEvents,
  watchJob,
} from './event-stream.js';
import {
  EventHub,
  FINAL_EVENT_TYPES,
  type JobEvent,
  type JobEventListener,
  type JobEventType,
  type StreamEvent,
  type WatchEvent,
} from './events.js';
import {
  type HandlerOptions,
  HandlerRegistry,
  type JobHandler,
  resolveHandlerOptions,
} from './handler.js';
import { type Job, type JobSpec, createJob } from './job.js';
import type { PriorityJobQueueOptions } from './priority-queue.js';
import { SlotScheduler } from './scheduler.js';
import {
  type ScheduleInfo,
  type ScheduleOptions,
  ScheduleRunner,
  type ScheduleTimer,
  realScheduleTimer,
} from './schedules.js';
import { QueueLimits } from './type-limits.js';
import { type DispatcherStats, StatsCollector } from './stats.js';
import { Outcomes, type WaitOptions } from './outcomes.js';
import { type WorkerDeps, runJob } from './worker.js';

/** Worker slots, by default. */
export const DEFAULT_WORKERS = 10;
/** How long `stop()` lets work finish before it aborts what is still running. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** `list()` page size, by default and at most. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

export interface DispatcherOptions {
  /** Worker slots: most handlers running at once in this process. 0 makes a producer only. Default 10. */
  readonly workers?: number;
  /** The storage and queue. Default: a new `MemoryBackend` (in process, no dependencies). */
  readonly backend?: Backend;
  /** For the default backend only: jobs per level. Default 1000. */
  readonly capacityPerLevel?: number;
  /** For the default backend only: opt-in aging (see `PriorityJobQueueOptions.maxWaitMs`). */
  readonly maxWaitMs?: PriorityJobQueueOptions['maxWaitMs'];
  /** For the default backend only: how long, and how many, finished records are kept. */
  readonly retention?: RetentionOptions;
  /** For the default backend only: how long a completed execution absorbs submits with its dedupKey. Default 24 h. */
  readonly dedupTtlMs?: number;
  /** For the default backend only: how many events its log keeps. Default 10,000. */
  readonly events?: EventLogOptions;
  /** The clock for records, due times and expiry (tests inject one). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The timer of schedules, and of the default backend's due jobs, on the `now` clock (tests
   * inject one with `now`). Default: `setTimeout` (unref'd for schedules).
   */
  readonly setTimer?: ScheduleTimer;
  /** The random source for backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Where errors that belong to no caller go. Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

export interface StopOptions {
  /** How long running (and, in process, queued) jobs may take to finish. Default 30 s. */
  readonly timeoutMs?: number;
}

type State = 'created' | 'running' | 'draining' | 'stopped';

/** Options that configure the default backend, so cannot go with `backend`. */
const DEFAULT_BACKEND_OPTIONS = [
  'capacityPerLevel',
  'maxWaitMs',
  'retention',
  'dedupTtlMs',
  'events',
] as const;

export class Dispatcher {
  readonly workers: number;
  private readonly backend: Backend;
  private readonly registry = new HandlerRegistry();
  private readonly deps: WorkerDeps;
  private readonly hub = new EventHub();
  private readonly stats_ = new StatsCollector();
  private readonly slots: SlotScheduler;
  private readonly outcomes: Outcomes;
  private readonly limits = new QueueLimits();
  private readonly schedules_: ScheduleRunner;
  private readonly unsubscribe: () => void;
  private readonly now: () => number;
  private state: State = 'created';
  private loopDone: Promise<void> = Promise.resolve();
  private wakeLoop: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Aborted once stopped: every `events()` and `watch()` iteration then ends. */
  private readonly closed = new AbortController();

  constructor(options: DispatcherOptions = {}) {
    const workers = options.workers ?? DEFAULT_WORKERS;
    if (!Number.isInteger(workers) || workers < 0)
      throw invalidArgument('workers', 'an integer >= 0', workers);
    this.workers = workers;
    this.now = options.now ?? Date.now;
    if ('recordTtlMs' in options) {
      throw new DispatchError(
        'INVALID_ARGUMENT',
        'recordTtlMs was removed: finished records are kept by `retention` ({ completed, failed, cancelled }: { maxAgeMs, maxCount })',
      );
    }
    if (options.backend !== undefined) {
      const given = DEFAULT_BACKEND_OPTIONS.filter((key) => options[key] !== undefined);
      if (given.length > 0) {
        throw new DispatchError(
          'INVALID_ARGUMENT',
          `${given.join(', ')} configure${given.length === 1 ? 's' : ''} the default backend; give ${given.length === 1 ? 'it' : 'them'} to the backend you pass instead`,
        );
      }
    }
    this.backend =
      options.backend ??
      new MemoryBackend({
        now: this.now,
        ...(options.setTimer !== undefined && { setTimer: options.setTimer }),
        ...(options.capacityPerLevel !== undefined && {
          capacityPerLevel: options.capacityPerLevel,
        }),
        ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
        ...(options.retention !== undefined && { retention: options.retention }),
        ...(options.dedupTtlMs !== undefined && { dedupTtlMs: options.dedupTtlMs }),
        ...(options.events !== undefined && { events: options.events }),
      });
    const reportError =
      options.onError ??
      ((error: unknown) => process.emitWarning(`jobdispatch: ${safeString(error)}`));
    this.deps = {
      backend: this.backend,
      immediate: immediateOf(this.backend),
      registry: this.registry,
      now: this.now,
      random: options.random ?? Math.random,
      reportError,
    };
    this.slots = new SlotScheduler(workers, this.deps, () => this.wake());
    this.outcomes = new Outcomes((id) => this.backend.get(id), reportError);
    this.schedules_ = new ScheduleRunner({
      backend: this.backend,
      now: this.now,
      setTimer: options.setTimer ?? realScheduleTimer,
      submit: (spec) => this.submit(spec),
      checkSpec: validateSpec,
      reportError,
    });
    this.unsubscribe = this.backend.subscribe((event) => this.onEvent(event));
  }

  /**
   * Routes jobs whose `name` equals `handler.jobType` to it, with that type's settings. The
   * type's concurrency is capped by `workers` and by `handler.maxConcurrency`.
   */
  register<P, R>(handler: JobHandler<P, R>, options?: HandlerOptions): this;
  /**
   * Registers the handler of a defined job type: `def.options` overridden key by key by `options`.
   * Its `job.params` are typed `P` and it must resolve with `R`.
   */
  register<P, R>(
    definition: JobDefinition<P, R>,
    handler: DefinedJobHandler<NoInfer<P>, NoInfer<R>>,
    options?: HandlerOptions,
  ): this;
  register<P, R>(
    first: JobHandler<P, R> | JobDefinition<P, R>,
    second?: HandlerOptions | DefinedJobHandler<P, R>,
    third?: HandlerOptions,
  ): this {
    if (isJobDefinition(first)) {
      if (typeof second !== 'function') {
        throw invalidArgument('register handler', 'a function (job, ctx) => Promise', second);
      }
      const execute = second;
      const handler: JobHandler<P, R> = {
        jobType: first.name,
        execute: (job, ctx) => execute(job, ctx),
      };
      return this.register(handler, { ...first.options, ...third });
    }
    const handler = first;
    const options = (second ?? {}) as HandlerOptions;
    const resolved = resolveHandlerOptions(
      options,
      Math.max(this.workers, 1),
      handler?.maxConcurrency,
    );
    this.registry.add(handler, resolved);
    this.limits.add(handler.jobType, resolved);
    return this;
  }

  /** Starts the workers. Safe to call more than once. */
  async start(): Promise<void> {
    if (this.state !== 'created') return;
    await this.backend.open();
    if (this.state !== 'created') return; // stopped while connecting
    this.state = 'running';
    this.schedules_.start();
    if (this.workers > 0) this.loopDone = this.loop();
  }

  /**
   * Submits `options.job` at every tick of `options.cron` (in `options.timezone`, default UTC) or
   * every `options.everyMs`, once per tick over every process of the queue, from `start()` until
   * `unschedule(key)` (see schedules.ts for the full semantics). Idempotent by key: the same
   * definition again changes nothing; another replaces it (the last call wins). Stored by the
   * backend: on Redis it outlives the process, and a tick missed while no process ran is
   * submitted once at the next start. INVALID_ARGUMENT names a bad field; QUEUE_CLOSED after
   * `stop()`.
   */
  schedule<P>(key: string, options: ScheduleOptions<P>): Promise<ScheduleInfo> {
    if (this.state === 'draining' || this.state === 'stopped') return Promise.reject(queueClosed());
    return this.schedules_.define(key, options);
  }

  /** Deletes the schedule `key` (no more ticks); false when there was none. */
  unschedule(key: string): Promise<boolean> {
    return this.schedules_.remove(key);
  }

  /** Every schedule of the queue, by key, each with its definition and `nextRunAt`. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.schedules_.list();
  }

  /**
   * Creates a job. Resolves with its record: `queued`; `scheduled` when `runAt` or `delayMs` puts
   * it in the future; or `duplicated` (with `duplicateOf`) when a live execution has the same
   * `dedupKey`. Throws `QUEUE_FULL` when its level is full, `QUEUE_CLOSED` after `stop()`,
   * `INVALID_ARGUMENT` for a bad spec.
   */
  submit<P>(spec: PlainJobSpec<P>): Promise<Job<P>>;
  /** Submits a job of a defined type: `params` checked against the definition's at compile time. */
  submit<P, R>(
    definition: JobDefinition<P, R>,
    params: NoInfer<P>,
    spec?: DefinedJobSpec,
  ): Promise<Job<P>>;
  submit<P>(
    first: JobSpec<P> | JobDefinition<P>,
    params?: P,
    definedJob?: DefinedJobSpec,
  ): Promise<Job<P>> {
    // Not an async function: one promise per submit (the backend's, then the job), not three.
    // Every error still comes back as a rejection, never a throw.
    try {
      const spec = isJobDefinition(first) ? definedSpec(first, params as P, definedJob) : first;
      validateSpec(spec);
      if (this.state === 'draining' || this.state === 'stopped') throw queueClosed();
      const job = createJob(spec, this.now());
      const immediate = this.deps.immediate;
      if (immediate !== undefined) return Promise.resolve(immediate.submit(job).job as Job<P>);
      return this.backend.submit(job).then(jobOf) as Promise<Job<P>>;
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as it was
      return Promise.reject(error);
    }
  }

  get(id: string): Promise<Job | undefined> {
    return this.backend.get(id);
  }

  /**
   * Resolves with the job's result once it completes (for a `duplicated` job, the result of the
   * execution it joined). Rejects with a `DispatchError` whose code is the job's error code when
   * it failed, `JOB_CANCELLED` when it was cancelled, `JOB_NOT_FOUND` for an unknown id.
   *
   * `options` bound the wait, never the job: `signal` ends it with the signal's reason (as
   * `fetch` does), `timeoutMs` (a finite number > 0) with `WAIT_TIMEOUT`. A bad option rejects
   * with INVALID_ARGUMENT naming it.
   */
  wait<R = unknown>(id: string, options?: WaitOptions): Promise<R>;
  /** As `wait(id, options)`, typed with the definition's result. */
  wait<P, R>(definition: JobDefinition<P, R>, id: string, options?: WaitOptions): Promise<R>;
  wait<R>(
    first: string | JobDefinition<unknown, R>,
    second?: string | WaitOptions,
    third?: WaitOptions,
  ): Promise<R> {
    if (isJobDefinition(first)) return this.outcomes.wait<R>(second as string, third);
    return this.outcomes.wait<R>(first, second as WaitOptions | undefined);
  }

  /**
   * Cancels a job from any process: a queued or scheduled job never starts; a running job's
   * `ctx.signal` is aborted and it ends `cancelled` when its handler returns. A finished job is
   * left as it is.
   */
  cancel(id: string): Promise<CancelOutcome> {
    return this.backend.cancel(id);
  }

  /**
   * A page of job records: `status` one or several (default all), `name` one job type, `limit`
   * 1-1000 (default 50); pass the returned `cursor` for the next page (absent on the last).
   * Queued jobs come in the order they would run, scheduled by due time, running by start,
   * finished newest first.
   */
  async list(query: ListQuery = {}): Promise<JobPage> {
    return this.backend.list(listRequest(query));
  }

  /** Exact numbers of the records kept in each status, for one job type with `name`. */
  counts(query: { readonly name?: string } = {}): Promise<JobCounts> {
    const name = query?.name;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      return Promise.reject(invalidArgument('name', 'a non-empty string', name));
    }
    return this.backend.counts(name);
  }

  /**
   * Queues a `failed` or `cancelled` job again at its priority, with a fresh retry budget (its
   * `attempts` keep counting); a `retried` event. `INVALID_STATE` for any other status.
   */
  retry(id: string): Promise<Job> {
    return this.backend.requeue(id);
  }

  /** Deletes a record that is not running (`INVALID_STATE` if it is). True if it existed. */
  remove(id: string): Promise<boolean> {
    return this.backend.remove(id);
  }

  /** Moves a queued or scheduled job to `priority`, at the back of that level. */
  setPriority(id: string, priority: number): Promise<Job> {
    if (priority !== 0 && priority !== 1 && priority !== 2) {
      return Promise.reject(
        invalidArgument('priority', '0 (low), 1 (normal) or 2 (high)', priority),
      );
    }
    return this.backend.setPriority(id, priority);
  }

  /**
   * Stops claims of one job type (`name`), or of the whole queue: nothing paused starts, running
   * jobs go on, submits are still accepted. On Redis the pause is stored for every process.
   */
  pause(name?: string): Promise<void> {
    const error = checkName(name);
    return error === undefined ? this.backend.pause(name) : Promise.reject(error);
  }

  resume(name?: string): Promise<void> {
    const error = checkName(name);
    return error === undefined ? this.backend.resume(name) : Promise.reject(error);
  }

  paused(): Promise<PausedState> {
    return this.backend.paused();
  }

  /** Listens to one event type, or every type with '*'. Returns the function that stops it. */
  on(type: JobEventType | '*', listener: JobEventListener): () => void {
    return this.hub.add(
      type === '*' ? listener : (event) => event.type === type && listener(event),
    );
  }

  /**
   * The queue's events in log order, each once: from now on, or with `after` (an event's `id`)
   * first the retained ones after it, then live ones, with no gap and no repeat at the seam. When
   * events after `after` were trimmed, a `gap` event comes first. `jobId` and `types` filter
   * (gaps always come through). Ends when `signal` aborts, the loop breaks, or the dispatcher
   * stops. A consumer that falls 10,000 events behind is caught up from the log (bounded memory);
   * it sees a `gap` only if the log was trimmed past it meanwhile. INVALID_ARGUMENT for a bad
   * option.
   */
  events(options: EventsOptions = {}): AsyncIterableIterator<StreamEvent> {
    checkEventsOptions(options);
    return followEvents(this.streamDeps(), options);
  }

  /**
   * One job: first a `snapshot` event holding its record, then its events, ending after its final
   * one (at once when it had already finished). The snapshot and the log position are read
   * together, so no event is missed or repeated between them. After a gap (the consumer fell
   * behind a trimmed log), a fresh snapshot. The first `next()` rejects with JOB_NOT_FOUND for an
   * unknown id.
   */
  watch(id: string, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    if (typeof id !== 'string' || id === '') throw invalidArgument('id', 'a non-empty string', id);
    checkEventsOptions({ ...(options.signal !== undefined && { signal: options.signal }) });
    return watchJob(this.streamDeps(), id, options.signal);
  }

  private streamDeps() {
    return {
      backend: this.backend,
      hub: this.hub,
      closed: this.closed.signal,
      now: this.now,
      bufferLimit: DEFAULT_EVENT_BUFFER,
    };
  }

  async stats(): Promise<DispatcherStats> {
    return this.stats_.snapshot(await this.backend.stats());
  }

  /**
   * Stops intake, lets running jobs finish (in process, also the queued ones), and at the deadline
   * aborts what is still running: it ends `cancelled` (in process) or goes back to the queue
   * (durable backend). Always resolves by the deadline; safe to call twice or before `start()`.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    return this.stopping;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (!(timeoutMs >= 0)) throw invalidArgument('timeoutMs', 'a number >= 0', timeoutMs);
    const wasRunning = this.state === 'running';
    this.state = 'draining';
    const schedulesStopped = this.schedules_.stop();
    this.wakeLoop?.();
    const deadlineAt = Date.now() + timeoutMs;
    const deadline = sleep(timeoutMs);
    if (wasRunning)
      await Promise.race([this.loopDone.then(() => this.slots.whenIdle()), deadline.promise]);
    this.state = 'stopped';
    this.wakeLoop?.();
    await Promise.race([this.abandonRunning(), deadline.promise]);
    await Promise.race([schedulesStopped, deadline.promise]);
    // Closing and releasing waiters share the same deadline: stop() resolves by it whatever the
    // backend does (a close that runs past it goes on in the background, bounded by the backend).
    const closed = this.backend.close().catch(this.deps.reportError);
    void closed.then(() => this.unsubscribe());
    await Promise.race([closed, deadline.promise]);
    deadline.cancel();
    this.closed.abort();
    await this.outcomes.releaseAll(deadlineAt);
  }

  /** At the deadline: abort what still runs and write its end now, without waiting for it. */
  private async abandonRunning(): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const run of [...this.slots.inProgress()]) {
      if (!run.abandon()) continue; // its handler returned: its outcome is being written
      const error = {
        code: 'DISPATCHER_STOPPED',
        message: 'shutdown: the job was still running at the stop deadline',
      };
      writes.push(
        (this.backend.durable
          ? this.backend.release(run.claim)
          : this.backend.finish(run.claim, { status: 'cancelled', error })
        ).catch(this.deps.reportError),
      );
    }
    await Promise.all(writes);
  }

  private async loop(): Promise<void> {
    const remaining = new Map<string, number>();
    while (this.state === 'running' || (this.state === 'draining' && !this.backend.durable)) {
      const free = this.slots.free;
      if (free > 0) {
        const freedBefore = this.slots.freed;
        let claims;
        try {
          const room = this.slots.remaining(this.registry, remaining);
          const limits = this.limits.byType;
          const request =
            limits.size > 0
              ? { max: free, remaining: room, limits }
              : { max: free, remaining: room };
          // The memory backend claims synchronously: no promise, no turn of the microtask queue.
          const immediate = this.deps.immediate;
          claims =
            immediate !== undefined ? immediate.claim(request) : await this.backend.claim(request);
        } catch (error) {
          this.deps.reportError(error);
          await this.pauseLoop(1000);
          continue;
        }
        // runJob never throws, and always ends the run (the slot frees, stop() sees it end).
        for (const claim of claims) runJob(this.deps, this.slots.launch(claim), this.slots.ended);
        if (claims.length > 0) continue;
        // A slot that freed while the claim was in flight found no idle loop to wake, and its
        // type may have room now: claim again rather than sleep past it.
        if (this.slots.freed !== freedBefore) continue;
        if (this.state === 'draining' && this.slots.active === 0) return;
      }
      await this.idle(free > 0);
    }
  }

  /** Wakes the loop if it sleeps, once (a slot that frees and a run that ends both call this). */
  private wake(): void {
    const wake = this.wakeLoop;
    if (wake === undefined) return;
    this.wakeLoop = undefined;
    wake();
  }

  /** Sleeps until a slot frees, or (with a free slot) work may have arrived, or stop. */
  private async idle(waitForWork: boolean): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wakeLoop = resolve));
    if (!waitForWork) {
      await woken;
    } else {
      const controller = new AbortController();
      await Promise.race([woken, this.backend.waitForWork(controller.signal)]);
      controller.abort();
    }
    this.wakeLoop = undefined;
  }

  private async pauseLoop(ms: number): Promise<void> {
    const timer = sleep(ms);
    await Promise.race([timer.promise, new Promise<void>((resolve) => (this.wakeLoop = resolve))]);
    timer.cancel();
    this.wakeLoop = undefined;
  }

  private onEvent(event: JobEvent): void {
    this.stats_.observe(event);
    if (event.type === 'cancelling') this.slots.cancel(event.jobId);
    if (FINAL_EVENT_TYPES.has(event.type)) this.slots.forget(event.jobId);
    if (this.limits.frees(event)) this.slots.nudge();
    this.outcomes.observe(event);
    if (this.hub.size > 0) this.hub.emit(event);
  }
}

const jobOf = (result: SubmitResult): Job => result.job;

const LISTABLE: ReadonlySet<string> = new Set(LIST_STATUS_ORDER);

function listRequest(query: ListQuery): ListRequest {
  if (query === null || typeof query !== 'object')
    throw invalidArgument('query', 'an object', query);
  const { status, name, limit = DEFAULT_LIST_LIMIT, cursor } = query;
  let statuses: readonly ListableStatus[] = LIST_STATUS_ORDER;
  if (status !== undefined) {
    const given: unknown[] = Array.isArray(status) ? status : [status];
    if (given.length === 0)
      throw invalidArgument('status', 'a status or a non-empty array', status);
    for (const value of given) {
      if (typeof value !== 'string' || !LISTABLE.has(value)) {
        throw invalidArgument('status', `one of ${LIST_STATUS_ORDER.join(', ')}`, value);
      }
    }
    statuses = LIST_STATUS_ORDER.filter((s) => given.includes(s));
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw invalidArgument('name', 'a non-empty string', name);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalidArgument('limit', `an integer from 1 to ${MAX_LIST_LIMIT}`, limit);
  }
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) {
    throw invalidArgument('cursor', 'a cursor returned by list()', cursor);
  }
  return { statuses, name, limit, cursor };
}

function checkName(name: unknown): DispatchError | undefined {
  if (name === undefined || (typeof name === 'string' && name !== '')) return undefined;
  return invalidArgument('name', 'a non-empty string (a job type) or nothing', name);
}

function validateSpec(spec: JobSpec<unknown>): void {
  if (spec === null || typeof spec !== 'object')
    throw invalidArgument('job spec', 'an object', spec);
  if (typeof spec.name !== 'string' || spec.name === '')
    throw invalidArgument('name', 'a non-empty string', spec.name);
  if (spec.id !== undefined && (typeof spec.id !== 'string' || spec.id === '')) {
    throw invalidArgument('id', 'a non-empty string', spec.id);
  }
  if (spec.dedupKey !== undefined && (typeof spec.dedupKey !== 'string' || spec.dedupKey === '')) {
    throw invalidArgument('dedupKey', 'a non-empty string', spec.dedupKey);
  }
  if (spec.runAt !== undefined && spec.delayMs !== undefined) {
    throw invalidArgument('runAt', 'not given together with delayMs', spec.runAt);
  }
  for (const field of ['runAt', 'delayMs'] as const) {
    const value = spec[field];
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value >= 0)
    ) {
      throw invalidArgument(field, 'a finite number >= 0', value);
    }
  }
  if (
    spec.timeoutMs !== undefined &&
    !(typeof spec.timeoutMs === 'number' && Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0)
  ) {
    throw invalidArgument('timeoutMs', 'a finite number > 0', spec.timeoutMs);
  }
  if (spec.retries !== undefined && !(Number.isInteger(spec.retries) && spec.retries >= 0)) {
    throw invalidArgument('retries', 'an integer >= 0', spec.retries);
  }
  if (spec.description !== undefined && typeof spec.description !== 'string')
    throw invalidArgument('description', 'a string', spec.description);
}

function sleep(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}
