/**
 * The Dispatcher: the public face of the library. It registers handlers, accepts jobs, runs a
 * pool of `workers` slots that always take the highest-priority, oldest job they may run, and
 * offers cancel, wait, events and stats. Storage, queueing and dedup belong to the backend.
 *
 * Lifecycle:   created ──start()──► running ──stop()──► draining ──► stopped
 *                  └───────────────stop()─────────────────────────────┘
 * Jobs may be submitted from creation until `stop()` (before `start()` they just wait).
 * One loop schedules: it claims as many jobs as there are free slots, honouring per-type caps,
 * and sleeps until work arrives or a slot frees. It never blocks the event loop.
 */
import {
  type Backend,
  type CancelOutcome,
  DEFAULT_RECORD_TTL_MS,
  type SubmitOptions,
} from './backend.js';
import { MemoryBackend } from './backends/memory.js';
import { safeString } from './describe.js';
import { DispatchError, invalidArgument } from './errors.js';
import {
  EventHub,
  FINAL_EVENT_TYPES,
  type JobEvent,
  type JobEventListener,
  type JobEventType,
  iterateEvents,
} from './events.js';
import {
  type HandlerOptions,
  HandlerRegistry,
  type JobHandler,
  resolveHandlerOptions,
} from './handler.js';
import { type Job, type JobSpec, createJob } from './job.js';
import type { PriorityJobQueueOptions } from './priority-queue.js';
import { type DispatcherStats, StatsCollector } from './stats.js';
import { Outcomes } from './outcomes.js';
import { ActiveJob, type WorkerDeps, runJob } from './worker.js';

/** The seed's `NumWorkers`. */
export const DEFAULT_WORKERS = 10;
export { DEFAULT_RECORD_TTL_MS };
export const DEFAULT_DEDUP_TTL_MS = DEFAULT_RECORD_TTL_MS;
/** How long `stop()` lets work finish before it aborts what is still running. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export interface DispatcherOptions {
  /** Worker slots: most handlers running at once in this process. 0 makes a producer only. Default 10. */
  readonly workers?: number;
  /** The storage and queue. Default: a new `MemoryBackend` (in process, no dependencies). */
  readonly backend?: Backend;
  /** For the default backend only: jobs per level. Default 1000. */
  readonly capacityPerLevel?: number;
  /** For the default backend only: opt-in aging (see `PriorityJobQueueOptions.maxWaitMs`). */
  readonly maxWaitMs?: PriorityJobQueueOptions['maxWaitMs'];
  /** How long finished records are kept. Default 24 h. */
  readonly recordTtlMs?: number;
  /** How long a completed execution absorbs submits with its dedupKey. Default 24 h. */
  readonly dedupTtlMs?: number;
  /** The clock for records and expiry (tests inject one). Default `Date.now`. */
  readonly now?: () => number;
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

export class Dispatcher {
  readonly workers: number;
  private readonly backend: Backend;
  private readonly registry = new HandlerRegistry();
  private readonly submitOptions: SubmitOptions;
  private readonly deps: WorkerDeps;
  private readonly hub = new EventHub();
  private readonly stats_ = new StatsCollector();
  private readonly active = new Map<string, ActiveJob>();
  private readonly freeSlots: number[] = [];
  private readonly outcomes: Outcomes;
  private readonly unsubscribe: () => void;
  private readonly now: () => number;
  private state: State = 'created';
  private loopDone: Promise<void> = Promise.resolve();
  private wakeLoop: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: DispatcherOptions = {}) {
    const workers = options.workers ?? DEFAULT_WORKERS;
    if (!Number.isInteger(workers) || workers < 0)
      throw invalidArgument('workers', 'an integer >= 0', workers);
    this.workers = workers;
    for (let slot = workers - 1; slot >= 0; slot--) this.freeSlots.push(slot);
    this.now = options.now ?? Date.now;
    if (
      options.backend !== undefined &&
      (options.capacityPerLevel !== undefined || options.maxWaitMs !== undefined)
    ) {
      throw new DispatchError(
        'INVALID_ARGUMENT',
        'capacityPerLevel and maxWaitMs configure the default backend; give them to the backend you pass instead',
      );
    }
    this.backend =
      options.backend ??
      new MemoryBackend({
        now: this.now,
        ...(options.capacityPerLevel !== undefined && {
          capacityPerLevel: options.capacityPerLevel,
        }),
        ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
      });
    this.submitOptions = {
      recordTtlMs: positive('recordTtlMs', options.recordTtlMs ?? DEFAULT_RECORD_TTL_MS),
      dedupTtlMs: positive('dedupTtlMs', options.dedupTtlMs ?? DEFAULT_DEDUP_TTL_MS),
    };
    const reportError =
      options.onError ??
      ((error: unknown) => process.emitWarning(`jobdispatch: ${safeString(error)}`));
    this.deps = {
      backend: this.backend,
      registry: this.registry,
      submitOptions: this.submitOptions,
      now: this.now,
      random: options.random ?? Math.random,
      reportError,
    };
    this.outcomes = new Outcomes((id) => this.backend.get(id), reportError);
    this.unsubscribe = this.backend.subscribe((event) => this.onEvent(event));
  }

  /**
   * Routes jobs whose `name` equals `handler.jobType` to it, with that type's settings. The
   * type's concurrency is capped by `workers` and by `handler.maxConcurrency`.
   */
  register<P, R>(handler: JobHandler<P, R>, options: HandlerOptions = {}): this {
    const resolved = resolveHandlerOptions(
      options,
      Math.max(this.workers, 1),
      handler?.maxConcurrency,
    );
    this.registry.add(handler, resolved);
    return this;
  }

  /** Starts the workers. Safe to call more than once. */
  async start(): Promise<void> {
    if (this.state !== 'created') return;
    await this.backend.open();
    if (this.state !== 'created') return; // stopped while connecting
    this.state = 'running';
    if (this.workers > 0) this.loopDone = this.loop();
  }

  /**
   * Creates a job and queues it. Resolves with its record: `queued`, or `duplicated` (with
   * `duplicateOf`) when a live execution has the same `dedupKey`. Throws `QUEUE_FULL` when its
   * level is full, `QUEUE_CLOSED` after `stop()`, `INVALID_ARGUMENT` for a bad spec.
   */
  async submit<P>(spec: JobSpec<P>): Promise<Job<P>> {
    validateSpec(spec);
    if (this.state === 'draining' || this.state === 'stopped') {
      throw new DispatchError('QUEUE_CLOSED', 'the dispatcher is stopping and accepts no new jobs');
    }
    const result = await this.backend.submit(createJob(spec, this.now()), this.submitOptions);
    return result.job as Job<P>;
  }

  get(id: string): Promise<Job | undefined> {
    return this.backend.get(id);
  }

  /**
   * Resolves with the job's result once it completes (for a `duplicated` job, the result of the
   * execution it joined). Rejects with a `DispatchError` whose code is the job's error code when
   * it failed, `JOB_CANCELLED` when it was cancelled, `JOB_NOT_FOUND` for an unknown id.
   */
  wait<R = unknown>(id: string): Promise<R> {
    return this.outcomes.wait<R>(id);
  }

  /**
   * Cancels a job from any process: a queued job never starts; a running job's `ctx.signal` is
   * aborted and it ends `cancelled` when its handler returns. A finished job is left as it is.
   */
  cancel(id: string): Promise<CancelOutcome> {
    return this.backend.cancel(id, this.submitOptions);
  }

  /** Listens to one event type, or every type with '*'. Returns the function that stops it. */
  on(type: JobEventType | '*', listener: JobEventListener): () => void {
    return this.hub.add(
      type === '*' ? listener : (event) => event.type === type && listener(event),
    );
  }

  /** Every event from now on, in order, until `signal` aborts or the loop breaks. */
  events(options: { readonly signal?: AbortSignal } = {}): AsyncIterableIterator<JobEvent> {
    return iterateEvents((listener) => this.hub.add(listener), options.signal);
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
    this.wakeLoop?.();
    const deadlineAt = Date.now() + timeoutMs;
    const deadline = sleep(timeoutMs);
    if (wasRunning)
      await Promise.race([this.loopDone.then(() => this.allSettled()), deadline.promise]);
    this.state = 'stopped';
    this.wakeLoop?.();
    await Promise.race([this.abandonRunning(), deadline.promise]);
    // Closing and releasing waiters share the same deadline: stop() resolves by it whatever the
    // backend does (a close that runs past it goes on in the background, bounded by the backend).
    const closed = this.backend.close().catch(this.deps.reportError);
    void closed.then(() => this.unsubscribe());
    await Promise.race([closed, deadline.promise]);
    deadline.cancel();
    await this.outcomes.releaseAll(deadlineAt);
  }

  /** At the deadline: abort what still runs and write its end now, without waiting for it. */
  private async abandonRunning(): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const active of this.active.values()) {
      if (active.returned) continue; // its outcome is being written
      active.abandoned = true;
      active.stopTimers();
      active.abort('DISPATCHER_STOPPED', 'the dispatcher stopped before the job finished');
      const error = {
        code: 'DISPATCHER_STOPPED',
        message: 'shutdown: the job was still running at the stop deadline',
      };
      writes.push(
        (this.backend.durable
          ? this.backend.release(active.claim)
          : this.backend.finish(active.claim, { status: 'cancelled', error }, this.submitOptions)
        ).catch(this.deps.reportError),
      );
    }
    await Promise.all(writes);
  }

  private allSettled(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.active.size === 0) resolve();
        else this.slotWatchers.push(check);
      };
      check();
    });
  }

  private readonly slotWatchers: (() => void)[] = [];
  /** Cancels seen for jobs not (yet) running here; cleared when the job ends. */
  private readonly earlyCancels = new Set<string>();

  private async loop(): Promise<void> {
    const remaining = new Map<string, number>();
    while (this.state === 'running' || (this.state === 'draining' && !this.backend.durable)) {
      const free = this.freeSlots.length;
      if (free > 0) {
        const freedBefore = this.slotsFreed;
        let claims;
        try {
          claims = await this.backend.claim({ max: free, remaining: this.remaining(remaining) });
        } catch (error) {
          this.deps.reportError(error);
          await this.pause(1000);
          continue;
        }
        for (const claim of claims) this.launch(claim);
        if (claims.length > 0) continue;
        // A slot that freed while the claim was in flight found no idle loop to wake, and its
        // type may have room now: claim again rather than sleep past it.
        if (this.slotsFreed !== freedBefore) continue;
        if (this.state === 'draining' && this.active.size === 0) return;
      }
      await this.idle(free > 0);
    }
  }

  /** Per-type room left, for the types whose cap is below the worker count. */
  private remaining(into: Map<string, number>): ReadonlyMap<string, number> {
    into.clear();
    for (const type of this.registry.types()) {
      const { concurrency } = this.registry.get(type)!.options;
      if (concurrency < this.workers) into.set(type, concurrency - this.runningOfType(type));
    }
    return into;
  }

  private readonly runningByType = new Map<string, number>();
  /** Counts freed slots, so the loop can tell that one freed while it awaited a claim. */
  private slotsFreed = 0;

  private runningOfType(type: string): number {
    return this.runningByType.get(type) ?? 0;
  }

  private launch(claim: Parameters<typeof runJob>[1]['claim']): void {
    const slot = this.freeSlots.pop()!;
    const active = new ActiveJob(claim, slot);
    const type = claim.job.name;
    this.active.set(claim.job.id, active);
    if (this.earlyCancels.delete(claim.job.id))
      active.abort('JOB_CANCELLED', 'the job was cancelled');
    this.runningByType.set(type, this.runningOfType(type) + 1);
    // The slot (and the type's room) frees when the handler returns; the job stays active until
    // its outcome is written, so that stop() waits for that write.
    active.onReturned = () => {
      this.runningByType.set(type, this.runningOfType(type) - 1);
      this.freeSlots.push(slot);
      this.slotsFreed++;
      this.wakeLoop?.();
    };
    const ended = (): void => {
      active.markReturned();
      this.active.delete(claim.job.id);
      this.wakeLoop?.(); // a draining loop waits for the last write
      if (this.slotWatchers.length > 0)
        for (const watcher of this.slotWatchers.splice(0)) watcher();
    };
    // runJob never rejects; if it ever did, the slot must still free and the process live on.
    runJob(this.deps, active).then(ended, (error: unknown) => {
      this.deps.reportError(error);
      ended();
    });
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

  private async pause(ms: number): Promise<void> {
    const timer = sleep(ms);
    await Promise.race([timer.promise, new Promise<void>((resolve) => (this.wakeLoop = resolve))]);
    timer.cancel();
    this.wakeLoop = undefined;
  }

  private onEvent(event: JobEvent): void {
    this.stats_.observe(event);
    if (event.type === 'cancelling') {
      const active = this.active.get(event.jobId);
      // The cancel can overtake the claim that is bringing the job here: remember it for launch.
      if (active === undefined) this.earlyCancels.add(event.jobId);
      else active.abort('JOB_CANCELLED', 'the job was cancelled');
    }
    if (FINAL_EVENT_TYPES.has(event.type)) this.earlyCancels.delete(event.jobId);
    this.outcomes.observe(event);
    if (this.hub.size > 0) this.hub.emit(event);
  }
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
  if (spec.description !== undefined && typeof spec.description !== 'string')
    throw invalidArgument('description', 'a string', spec.description);
}

function positive(field: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw invalidArgument(field, 'a number > 0', value);
  return value;
}

function sleep(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}
