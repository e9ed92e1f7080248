/**
 * The in-process backend, the default: the queue, scheduled jobs, records, dedup index, pauses and
 * events all live in this process's memory, so nothing outlives it (`durable` is false) and claims
 * cannot be lost (no leases). It implements the semantics written in `backend.ts`.
 *
 * Where things are: every record in `records` (by id); a queued job in the `PriorityJobQueue` (the
 * claim order) and in the `queued` index (the list order); every other status in an index of its
 * own (`memory/status-index.ts`): scheduled by due time, running by start, finished by finish.
 * `order`, a counter, orders records within an index and ties.
 *
 * Time comes only from the injected `now()`, and the one timer (the wake-up for the earliest due
 * job, armed only while a dispatcher waits for work) from the injected `setTimer`. Retention trims
 * a status's index when a job finishes in it, and every call sweeps records past their age (at
 * most `RETENTION_SWEEP_LIMIT` per status, and only once the earliest expiry has passed): no timer
 * per record.
 */
import {
  type Backend,
  type CancelOutcome,
  type Claim,
  type ClaimRequest,
  type ImmediateBackend,
  DEFAULT_DEDUP_TTL_MS,
  type JobCounts,
  type JobPage,
  LIST_STATUS_ORDER,
  type ListRequest,
  type ListableStatus,
  type Outcome,
  type PausedState,
  RETENTION_SWEEP_LIMIT,
  type RenewResult,
  type ResolvedRetention,
  type RetentionOptions,
  type StoredSchedule,
  type SubmitResult,
} from '../backend.js';
import { duplicateId, invalidArgument, invalidState, jobNotFound, queueFull } from '../errors.js';
import {
  type EventLogOptions,
  type EventPage,
  type JobSnapshot,
  resolveEventLog,
} from '../event-log.js';
import { EventHub, type JobEvent, type JobEventListener, type NewJobEvent } from '../events.js';
import { type Job, type JobError, type JobPriority, type JobProgress, JobStatus } from '../job.js';
import {
  type PriorityJobQueueOptions,
  PriorityJobQueue,
  type QueueStats,
} from '../priority-queue.js';
import { resolveRetention } from '../retention.js';
import { type FinishedStatus, KeptRecord } from './memory/kept-record.js';
import {
  EventRing,
  NumField as N,
  type NumField,
  RefField as R,
  type RefField,
} from './memory/event-ring.js';
import { LiveRecord, asJob } from './memory/live-record.js';
import { ScheduleTable } from './memory/schedules.js';
import { StatusIndex } from './memory/status-index.js';
import { TypeLimitGate } from './memory/type-limits.js';

/** A record that is not finished: mutable, as its job moves (see `LiveRecord`). */
type JobRecord = LiveRecord;
/** Live records, and finished ones in their compact form. */
type StoredRecord = JobRecord | KeptRecord;

/** Schedules `callback` after `ms` on the backend's clock; returns the function that cancels it. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export interface MemoryBackendOptions extends PriorityJobQueueOptions {
  /** The clock for every time recorded or compared. Default `Date.now`. */
  readonly now?: () => number;
  /** The timer for the earliest due job, on the same clock as `now`. Default: `setTimeout`. */
  readonly setTimer?: SetTimer;
  /** How long, and how many, finished records are kept. See `RetentionOptions` for defaults. */
  readonly retention?: RetentionOptions;
  /** How long a completed execution absorbs submits with its dedupKey. Default 24 h. */
  readonly dedupTtlMs?: number;
  /** How many events the queue's log keeps (a ring). Default 10,000. */
  readonly events?: EventLogOptions;
}

/** Longest delay one `setTimeout` can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const realTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS));
  return () => clearTimeout(timer);
};

/** Where a submit queues a job: the back of its level, within capacity (one object for all). */
const AT_THE_BACK = { force: false, front: false } as const;

const byOrder = (a: { order: number }, b: { order: number }): number => a.order - b.order;

export class MemoryBackend implements Backend {
  readonly durable = false;
  readonly leaseMs = undefined;
  /** Everything here is synchronous: the dispatcher may skip the promises (see backend.ts). */
  readonly immediate: ImmediateBackend = {
    backend: this,
    submit: (job) => this.submitNow(job),
    claim: (request) => this.claimNow(request),
    finish: (claim, outcome) => this.finishNow(claim, outcome),
  };
  private readonly queue: PriorityJobQueue;
  private readonly records = new Map<string, StoredRecord>();
  private readonly dedup = new Map<string, string>();
  private readonly queued = new StatusIndex<JobRecord>(
    (a, b) => b.priority - a.priority || a.order - b.order,
    { lazy: true },
  );
  private readonly scheduled = new StatusIndex<JobRecord>(
    (a, b) => (a.runAt as number) - (b.runAt as number) || a.order - b.order,
  );
  private readonly running = new StatusIndex<JobRecord>(byOrder, { lazy: true });
  private readonly finished: Record<FinishedStatus, StatusIndex<KeptRecord>> = {
    // Records enter these in `order`, which counts up as they finish: see `appended`.
    completed: new StatusIndex<KeptRecord>(byOrder, { appended: true }),
    failed: new StatusIndex<KeptRecord>(byOrder, { appended: true }),
    cancelled: new StatusIndex<KeptRecord>(byOrder, { appended: true }),
    duplicated: new StatusIndex<KeptRecord>(byOrder, { appended: true }),
  };
  private readonly retention: Record<FinishedStatus, Required<ResolvedRetention['completed']>>;
  private readonly dedupTtlMs: number;
  private readonly workWaiters = new Set<() => void>();
  private readonly hub = new EventHub();
  private readonly log: EventRing;
  private readonly now: () => number;
  /** The origin of the compact records' times (see `KeptRecord`). */
  private readonly epoch: number;
  private readonly setTimer: SetTimer;
  private readonly pausedTypes = new Set<string>();
  private queuePaused = false;
  /** The next `order`; queued jobs put at the front count down from -1 instead. */
  private nextOrder = 1;
  private frontOrder = 0;
  private tokens = 0;
  /** The earliest time a finished record can expire: sweeps do nothing before it. */
  private nextExpiry = Infinity;
  /** The wake-up for the earliest due job: its time and its cancel. */
  private wake: { at: number; cancel: () => void } | undefined;
  /** Set when work arrives, cleared when a claim begins: see `waitForWork`. */
  private arrived = false;
  private readonly limitGate = new TypeLimitGate();
  /** When a rate-limited type with waiting jobs may start again (read by the last claim). */
  private limitFreeAt: number | undefined;
  private readonly scheduleTable = new ScheduleTable();

  constructor(options: MemoryBackendOptions = {}) {
    this.now = options.now ?? Date.now;
    this.epoch = this.now();
    this.setTimer = options.setTimer ?? realTimer;
    this.queue = new PriorityJobQueue({ ...options, now: this.now });
    const retention = resolveRetention(options.retention);
    this.retention = { ...retention, duplicated: retention.completed };
    const dedupTtlMs = options.dedupTtlMs ?? DEFAULT_DEDUP_TTL_MS;
    if (typeof dedupTtlMs !== 'number' || !(dedupTtlMs > 0))
      throw invalidArgument('dedupTtlMs', 'a number > 0', dedupTtlMs);
    this.dedupTtlMs = dedupTtlMs;
    this.log = new EventRing(resolveEventLog(options.events).maxCount);
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  submit(job: Job): Promise<SubmitResult> {
    return settled(() => this.submitNow(job));
  }

  private submitNow(job: Job): SubmitResult {
    const now = this.tick();
    if (this.records.has(job.id)) throw duplicateId(job.id);
    const original = job.dedupKey === undefined ? undefined : this.liveExecution(job.dedupKey, now);
    if (original !== undefined) return this.recordDuplicate(job, original, now);
    if (job.runAt !== undefined && job.runAt > now) {
      const record = new LiveRecord(job, JobStatus.Scheduled, now, this.nextOrder++);
      this.adopt(record);
      this.scheduled.add(record);
      this.emit(record, 'scheduled', now, undefined, R.None, undefined, N.RunAt, record.runAt);
      this.armWake();
      return { kind: 'scheduled', job: snapshot(record) };
    }
    const record = new LiveRecord(job, JobStatus.Queued, now, 0);
    if (!this.enqueue(record, false)) {
      throw queueFull(job.priority, this.queue.capacityPerLevel, job.id);
    }
    this.adopt(record);
    this.emit(record, 'queued', now);
    this.wakeWorkers();
    return { kind: 'queued', job: snapshot(record) };
  }

  claim(request: ClaimRequest): Promise<Claim[]> {
    return settled(() => this.claimNow(request));
  }

  private claimNow(request: ClaimRequest): Claim[] {
    const now = this.tick();
    const claims: Claim[] = [];
    this.arrived = false;
    this.limitFreeAt = undefined;
    if (this.queue.size === 0 || this.queuePaused) return claims;
    // A private copy of the per-type room only when some type has a cap or a limit: with none
    // (the common case), a claim copies no map, makes no filter and keeps no limit bookkeeping.
    const limits =
      request.limits !== undefined && request.limits.size > 0 ? request.limits : undefined;
    const remaining =
      request.remaining.size > 0 || limits !== undefined ? new Map(request.remaining) : undefined;
    if (limits !== undefined && remaining !== undefined) {
      const room = this.limitGate.room(limits, now, (type) => this.running.sizeOf(type));
      for (const [type, left] of room)
        remaining.set(type, Math.min(left, remaining.get(type) ?? left));
    }
    const paused = this.pausedTypes;
    const canRun =
      remaining !== undefined || paused.size > 0
        ? (type: string): boolean =>
            (remaining?.get(type) ?? 1) > 0 && !(paused.size > 0 && paused.has(type))
        : undefined;
    while (claims.length < request.max) {
      const record = this.queue.tryDequeue(canRun) as JobRecord | undefined;
      if (record === undefined) break;
      this.queued.delete(record);
      if (remaining !== undefined) {
        const left = remaining.get(record.name);
        if (left !== undefined) remaining.set(record.name, left - 1);
      }
      record.status = JobStatus.Running;
      record.attempts += 1;
      record.startedAt = now;
      record.updatedAt = now;
      record.progress = undefined;
      record.order = this.nextOrder++;
      this.running.add(record);
      const token = String(++this.tokens);
      record.token = token;
      claims.push({ job: snapshot(record), token });
      if (limits !== undefined) this.limitGate.started(record.name, now, limits);
      this.emit(
        record,
        'started',
        now,
        record.attempts,
        R.None,
        undefined,
        N.WaitMs,
        now - record.queuedAt,
      );
    }
    if (limits !== undefined) {
      this.limitFreeAt = this.limitGate.freesAt(limits, now, (type) => this.queued.sizeOf(type));
      if (this.limitFreeAt !== undefined) this.armWake(); // for a dispatcher already waiting
    }
    return claims;
  }

  waitForWork(signal: AbortSignal): Promise<void> {
    if (this.arrived || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.workWaiters.delete(done);
        signal.removeEventListener('abort', done);
        if (this.workWaiters.size === 0) this.disarmWake();
        resolve();
      };
      this.workWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      this.armWake();
    });
  }

  renew(claim: Claim): Promise<RenewResult> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve('lost');
    return Promise.resolve(record.cancelRequested === true ? 'cancel-requested' : 'held');
  }

  progress(claim: Claim, progress: JobProgress): Promise<void> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve();
    const now = this.now();
    record.progress = progress;
    record.updatedAt = now;
    this.emit(record, 'progress', now, record.attempts, R.Progress, progress);
    return Promise.resolve();
  }

  finish(claim: Claim, outcome: Outcome): Promise<boolean> {
    return settled(() => this.finishNow(claim, outcome));
  }

  private finishNow(claim: Claim, outcome: Outcome): boolean {
    const record = this.held(claim);
    if (record === undefined) return false;
    const now = this.tick();
    this.leaves(record);
    record.status = outcome.status;
    if (outcome.status === 'completed') record.result = outcome.result;
    else record.error = outcome.error;
    this.retire(record, now);
    if (outcome.status === 'completed') this.emit(record, 'completed', now, record.attempts);
    else this.emit(record, outcome.status, now, record.attempts, R.Error, outcome.error);
    return true;
  }

  retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve(false);
    const now = this.tick();
    this.leaves(record);
    record.error = error;
    record.updatedAt = now;
    this.emit(record, 'retrying', now, record.attempts, R.Error, error, N.DelayMs, delayMs);
    if (delayMs > 0) {
      record.status = JobStatus.Scheduled;
      record.runAt = now + delayMs;
      record.order = this.nextOrder++;
      this.scheduled.add(record);
      this.armWake();
    } else {
      record.status = JobStatus.Queued;
      record.queuedAt = now;
      this.enqueue(record, true);
      this.wakeWorkers();
    }
    return Promise.resolve(true);
  }

  release(claim: Claim): Promise<boolean> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve(false);
    const now = this.tick();
    this.leaves(record);
    if (record.cancelRequested === true) {
      const error = { code: 'JOB_CANCELLED', message: 'cancelled; its worker shut down' };
      record.status = JobStatus.Cancelled;
      record.error = error;
      this.retire(record, now);
      this.emit(record, 'cancelled', now, undefined, R.Error, error);
      return Promise.resolve(true);
    }
    record.status = JobStatus.Queued;
    record.attempts = Math.max(0, record.attempts - 1);
    record.queuedAt = now;
    record.updatedAt = now;
    this.enqueue(record, true, true);
    this.emit(record, 'queued', now);
    this.wakeWorkers();
    return Promise.resolve(true);
  }

  cancel(id: string): Promise<CancelOutcome> {
    const now = this.tick();
    const record = this.records.get(id);
    if (record === undefined) return Promise.reject(jobNotFound(id));
    if (record instanceof KeptRecord) {
      return Promise.resolve({ outcome: 'already-finished', job: record.toJob(this.epoch) });
    }
    if (record.status === JobStatus.Running) {
      if (record.cancelRequested !== true) {
        record.cancelRequested = true;
        record.updatedAt = now;
        this.emit(record, 'cancelling', now);
      }
      return Promise.resolve({ outcome: 'cancel-requested', job: snapshot(record) });
    }
    this.leaves(record);
    const error: JobError = { code: 'JOB_CANCELLED', message: 'cancelled before it started' };
    record.status = JobStatus.Cancelled;
    record.error = error;
    this.retire(record, now);
    this.emit(record, 'cancelled', now, undefined, R.Error, error);
    return Promise.resolve({ outcome: 'cancelled', job: snapshot(record) });
  }

  get(id: string): Promise<Job | undefined> {
    this.tick();
    const record = this.records.get(id);
    return Promise.resolve(record === undefined ? undefined : this.view(record));
  }

  list(request: ListRequest): Promise<JobPage> {
    this.tick();
    const { statuses, name, limit } = request;
    let start = 0;
    let after: StoredRecord | undefined;
    if (request.cursor !== undefined) {
      const parsed = parseCursor(request.cursor);
      start = parsed === undefined ? -1 : statuses.indexOf(parsed.status);
      if (parsed === undefined || start < 0) {
        return Promise.reject(
          invalidArgument(
            'cursor',
            `a cursor from list() over ${statuses.join(', ')}`,
            request.cursor,
          ),
        );
      }
      after = parsed.probe;
    }
    const found: { status: ListableStatus; record: StoredRecord }[] = [];
    for (let i = start; i < statuses.length && found.length <= limit; i++) {
      const status = statuses[i] as ListableStatus;
      const index = this.indexOf(status);
      const descending = status !== 'queued' && status !== 'scheduled' && status !== 'running';
      const page = (index as StatusIndex<StoredRecord>).page(
        name,
        i === start ? after : undefined,
        limit + 1 - found.length,
        descending,
      );
      for (const record of page) found.push({ status, record });
    }
    const jobs = found.slice(0, limit).map((entry) => this.view(entry.record));
    const last = found[limit - 1];
    if (found.length <= limit || last === undefined) return Promise.resolve({ jobs });
    return Promise.resolve({ jobs, cursor: encodeCursor(last.status, last.record) });
  }

  counts(name?: string): Promise<JobCounts> {
    this.tick();
    const size = (index: { size: number; sizeOf(name: string): number }): number =>
      name === undefined ? index.size : index.sizeOf(name);
    return Promise.resolve({
      scheduled: size(this.scheduled),
      queued: size(this.queued),
      running: size(this.running),
      completed: size(this.finished.completed),
      failed: size(this.finished.failed),
      cancelled: size(this.finished.cancelled),
    });
  }

  requeue(id: string): Promise<Job> {
    const now = this.tick();
    const kept = this.records.get(id);
    if (kept === undefined) return Promise.reject(jobNotFound(id));
    if (
      !(kept instanceof KeptRecord) ||
      (kept.status !== JobStatus.Failed && kept.status !== JobStatus.Cancelled)
    ) {
      return Promise.reject(invalidState('retry', id, kept.status, 'failed or cancelled'));
    }
    if (this.queue.sizeOf(kept.priority) >= this.queue.capacityPerLevel) {
      return Promise.reject(queueFull(kept.priority, this.queue.capacityPerLevel, id));
    }
    this.finished[kept.status].delete(kept);
    const {
      error: _error,
      result: _result,
      finishedAt: _finishedAt,
      cancelRequested: _cancelRequested,
      progress: _progress,
      ...job
    } = kept.toJob(this.epoch);
    const record = new LiveRecord(job, JobStatus.Queued, now, 0);
    record.attemptsAtRequeue = job.attempts;
    this.records.set(id, record);
    this.enqueue(record, false);
    const key = record.dedupKey;
    if (key !== undefined && this.liveExecution(key, now) === undefined) this.dedup.set(key, id);
    this.emit(record, 'retried', now, record.attempts);
    this.wakeWorkers();
    return Promise.resolve(snapshot(record));
  }

  remove(id: string): Promise<boolean> {
    const now = this.tick();
    const record = this.records.get(id);
    if (record === undefined) return Promise.resolve(false);
    if (record.status === JobStatus.Running) {
      return Promise.reject(invalidState('remove', id, 'running', 'queued, scheduled or finished'));
    }
    if (record instanceof KeptRecord) this.finished[record.status].delete(record);
    else this.leaves(record);
    this.drop(record);
    this.emit(record, 'removed', now);
    return Promise.resolve(true);
  }

  setPriority(id: string, priority: JobPriority): Promise<Job> {
    const now = this.tick();
    const record = this.records.get(id);
    if (record === undefined) return Promise.reject(jobNotFound(id));
    if (
      record instanceof KeptRecord ||
      (record.status !== JobStatus.Queued && record.status !== JobStatus.Scheduled)
    ) {
      return Promise.reject(
        invalidState('change the priority of', id, record.status, 'queued or scheduled'),
      );
    }
    const from = record.priority;
    if (from === priority) return Promise.resolve(snapshot(record));
    if (record.status === JobStatus.Queued) {
      if (this.queue.sizeOf(priority) >= this.queue.capacityPerLevel) {
        return Promise.reject(queueFull(priority, this.queue.capacityPerLevel, id));
      }
      this.leaves(record);
      record.priority = priority;
      record.queuedAt = now;
      this.enqueue(record, false);
    } else {
      record.priority = priority; // not a key of the scheduled index
    }
    record.updatedAt = now;
    if (priority > from)
      this.emit(record, 'promoted', now, undefined, R.None, undefined, N.FromPriority, from);
    return Promise.resolve(snapshot(record));
  }

  pause(name?: string): Promise<void> {
    if (name === undefined) this.queuePaused = true;
    else this.pausedTypes.add(name);
    return Promise.resolve();
  }

  resume(name?: string): Promise<void> {
    if (name === undefined) this.queuePaused = false;
    else this.pausedTypes.delete(name);
    this.wakeWorkers();
    return Promise.resolve();
  }

  paused(): Promise<PausedState> {
    return Promise.resolve({ queue: this.queuePaused, types: [...this.pausedTypes].sort() });
  }

  putSchedule(key: string, definition: string, nextRunAt: number): Promise<StoredSchedule> {
    return Promise.resolve(this.scheduleTable.put(key, definition, nextRunAt));
  }

  removeSchedule(key: string): Promise<boolean> {
    return Promise.resolve(this.scheduleTable.remove(key));
  }

  schedules(): Promise<StoredSchedule[]> {
    return Promise.resolve(this.scheduleTable.list());
  }

  advanceSchedule(key: string, expected: number, next: number): Promise<boolean> {
    return Promise.resolve(this.scheduleTable.advance(key, expected, next));
  }

  stats(): Promise<QueueStats> {
    this.tick();
    return Promise.resolve(this.queue.stats());
  }

  publish(event: NewJobEvent): Promise<void> {
    this.hub.emit(this.log.append(event));
    return Promise.resolve();
  }

  subscribe(listener: JobEventListener): () => void {
    return this.hub.add(listener);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- a bad `after` rejects, not throws
  async readEvents(after: string, limit: number, jobId?: string): Promise<EventPage> {
    return this.log.read(after, limit, jobId);
  }

  snapshot(id: string): Promise<JobSnapshot> {
    this.tick();
    const record = this.records.get(id);
    const job = record === undefined ? undefined : this.view(record);
    return Promise.resolve({ job, position: this.log.position });
  }

  /**
   * Nothing here outlives the process, so jobs still queued or scheduled are cancelled (code
   * `DISPATCHER_STOPPED`), on the record and with an event: none is dropped silently.
   */
  close(): Promise<void> {
    const now = this.now();
    this.disarmWake();
    const error: JobError = {
      code: 'DISPATCHER_STOPPED',
      message: 'shutdown: the job had not started (queued or scheduled)',
    };
    const left = [
      ...this.queue.drain(),
      ...this.scheduled.page(undefined, undefined, Infinity, false),
    ];
    for (const record of left as JobRecord[]) {
      if (record.status === JobStatus.Queued) this.queued.delete(record);
      else this.scheduled.delete(record);
      record.status = JobStatus.Cancelled;
      record.error = error;
      this.retire(record, now);
      this.emit(record, 'cancelled', now, undefined, R.Error, error);
    }
    for (const wake of [...this.workWaiters]) wake();
    return Promise.resolve();
  }

  private held(claim: Claim): JobRecord | undefined {
    const record = this.records.get(claim.job.id);
    if (record === undefined || record instanceof KeptRecord) return undefined;
    if (record.status !== JobStatus.Running) return undefined;
    return record.token === claim.token ? record : undefined;
  }

  /** The time now, after moving due jobs to the queue and sweeping expired records. */
  private tick(): number {
    const now = this.now();
    if (now >= this.nextExpiry) this.sweep(now);
    let forwarded = false;
    for (let due = this.scheduled.first(); due !== undefined && (due.runAt as number) <= now;) {
      this.scheduled.delete(due);
      due.status = JobStatus.Queued;
      due.queuedAt = now;
      due.updatedAt = now;
      this.enqueue(due, true);
      this.emit(due, 'queued', now);
      forwarded = true;
      due = this.scheduled.first();
    }
    if (forwarded) this.wakeWorkers();
    return now;
  }

  /** Puts a record in the queue and the queued index; false (nothing done) when its level is full. */
  private enqueue(record: JobRecord, force: boolean, front = false): boolean {
    const placement = force || front ? { force, front } : AT_THE_BACK;
    if (!this.queue.enqueue(asJob(record), placement)) return false;
    record.order = front ? --this.frontOrder : this.nextOrder++;
    this.queued.add(record);
    return true;
  }

  private adopt(record: JobRecord): void {
    this.records.set(record.id, record);
    if (record.dedupKey !== undefined) this.dedup.set(record.dedupKey, record.id);
  }

  /** Takes a record out of the queue or index of its status (the record itself stays). */
  private leaves(record: JobRecord): void {
    switch (record.status) {
      case JobStatus.Queued:
        this.queue.remove(record.id);
        this.queued.delete(record);
        return;
      case JobStatus.Scheduled:
        this.scheduled.delete(record);
        return;
      case JobStatus.Running:
        this.running.delete(record);
        record.token = undefined;
        return;
      default:
        return; // new, or finished: a finished record is a KeptRecord, in no live structure
    }
  }

  /** Forgets a record that has left its index. */
  private drop(record: StoredRecord): void {
    this.records.delete(record.id);
    const key = record.dedupKey;
    if (key !== undefined && this.dedup.get(key) === record.id) this.dedup.delete(key);
  }

  private liveExecution(key: string, now: number): StoredRecord | undefined {
    const id = this.dedup.get(key);
    const record = id === undefined ? undefined : this.records.get(id);
    if (record === undefined) return undefined;
    if (record instanceof KeptRecord) {
      const fresh = now < record.finishedAt(this.epoch) + this.dedupTtlMs;
      return record.status === JobStatus.Completed && fresh ? record : undefined;
    }
    if (
      record.status === JobStatus.Queued ||
      record.status === JobStatus.Scheduled ||
      record.status === JobStatus.Running
    ) {
      return record;
    }
    return undefined;
  }

  private recordDuplicate(job: Job, original: StoredRecord, now: number): SubmitResult {
    let promoted = false;
    if (
      !(original instanceof KeptRecord) &&
      (original.status === JobStatus.Queued || original.status === JobStatus.Scheduled) &&
      job.priority > original.priority
    ) {
      const from = original.priority;
      if (original.status === JobStatus.Scheduled) {
        original.priority = job.priority;
        promoted = true;
      } else if (this.queue.promote(original.id, job.priority)) {
        this.queued.delete(original);
        original.priority = job.priority;
        original.order = this.nextOrder++;
        this.queued.add(original);
        promoted = true;
      }
      if (promoted) {
        original.updatedAt = now;
        this.emit(original, 'promoted', now, undefined, R.None, undefined, N.FromPriority, from);
      }
    }
    const record = new LiveRecord(job, JobStatus.Duplicated, now, 0);
    record.duplicateOf = original.id;
    this.records.set(record.id, record);
    this.retire(record, now);
    this.emit(record, 'duplicated', now, undefined, R.DuplicateOf, original.id);
    return { kind: 'duplicated', job: snapshot(record), original: this.view(original), promoted };
  }

  /**
   * Marks a record finished, replaces it by its compact form, indexes that, and trims its status
   * to the retention rule.
   */
  private retire(record: JobRecord, now: number): void {
    record.finishedAt = now;
    record.updatedAt = now;
    const status = record.status as FinishedStatus;
    const kept = new KeptRecord(asJob(record), this.nextOrder++, this.epoch);
    this.records.set(record.id, kept);
    const index = this.finished[status];
    const rule = this.retention[status];
    index.add(kept);
    this.nextExpiry = Math.min(this.nextExpiry, now + rule.maxAgeMs);
    while (index.size > rule.maxCount) this.expire(index.first() as KeptRecord);
    this.trim(status, now, Infinity);
  }

  /** Drops the oldest records of `status` past their age, at most `max`; true if some are left. */
  private trim(status: FinishedStatus, now: number, max: number): boolean {
    const index = this.finished[status];
    const maxAgeMs = this.retention[status].maxAgeMs;
    for (let n = 0; ; n++) {
      const oldest = index.first();
      if (oldest === undefined || oldest.finishedAt(this.epoch) + maxAgeMs > now) return false;
      if (n >= max) return true;
      this.expire(oldest);
    }
  }

  private expire(record: KeptRecord): void {
    this.finished[record.status].delete(record);
    this.drop(record);
  }

  private sweep(now: number): void {
    let next = Infinity;
    for (const status of ['completed', 'failed', 'cancelled', 'duplicated'] as const) {
      if (this.trim(status, now, RETENTION_SWEEP_LIMIT)) next = now; // more next call
      const oldest = this.finished[status].first();
      if (oldest !== undefined) {
        next = Math.min(next, oldest.finishedAt(this.epoch) + this.retention[status].maxAgeMs);
      }
    }
    this.nextExpiry = next;
  }

  /** What callers get for a stored record. */
  private view(record: StoredRecord): Job {
    return record instanceof KeptRecord ? record.toJob(this.epoch) : snapshot(record);
  }

  private indexOf(status: ListableStatus): StatusIndex<JobRecord> | StatusIndex<KeptRecord> {
    if (status === 'queued') return this.queued;
    if (status === 'scheduled') return this.scheduled;
    if (status === 'running') return this.running;
    return this.finished[status];
  }

  /**
   * Arms the wake-up for the earliest due job, or the moment a rate-limited type that has jobs
   * waiting may start again, whichever comes first, while someone waits for work.
   */
  private armWake(): void {
    if (this.workWaiters.size === 0) return;
    const first = this.scheduled.first();
    const freeAt = this.limitFreeAt;
    if (first === undefined && freeAt === undefined) return;
    const at = Math.min(first?.runAt ?? Infinity, freeAt ?? Infinity);
    if (this.wake !== undefined && this.wake.at <= at) return;
    this.disarmWake();
    const cancel = this.setTimer(() => {
      this.wake = undefined;
      const now = this.now();
      const due = this.scheduled.first();
      if (this.limitFreeAt !== undefined && this.limitFreeAt <= now) {
        this.limitFreeAt = undefined;
        this.wakeWorkers();
      } else if (due !== undefined && (due.runAt as number) <= now) this.wakeWorkers();
      else this.armWake();
    }, at - this.now());
    this.wake = { at, cancel };
  }

  private disarmWake(): void {
    this.wake?.cancel();
    this.wake = undefined;
  }

  private wakeWorkers(): void {
    this.arrived = true;
    if (this.workWaiters.size === 0) return;
    for (const wake of [...this.workWaiters]) wake();
  }

  /**
   * Appends an event to the log (its fields as `EventRing.add` takes them) and, when anyone
   * listens, hands it to the listeners: no event object is built when nobody does.
   */
  private emit(
    record: { readonly id: string; readonly name: string; readonly priority: JobPriority },
    type: JobEvent['type'],
    at: number,
    attempt?: number,
    ref?: RefField,
    refValue?: unknown,
    num?: NumField,
    numValue?: number,
  ): void {
    const n = this.log.add(type, record, at, attempt, ref, refValue, num, numValue);
    if (this.hub.size > 0) this.hub.emit(this.log.event(n));
  }
}

/** `run()`'s value as a resolved promise, or what it threw as a rejected one. */
function settled<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what it threw, as it was
    return Promise.reject(error);
  }
}

function snapshot(record: JobRecord): Job {
  return record.toJob();
}

/**
 * A cursor names where a page stopped: the status and the index keys of the last job returned,
 * `status:priority:order` for queued, `status:runAt:order` for scheduled, `status:order` else.
 */
function encodeCursor(status: ListableStatus, record: StoredRecord): string {
  if (status === 'queued') return `${status}:${record.priority}:${record.order}`;
  if (status === 'scheduled') {
    return `${status}:${(record as JobRecord).runAt as number}:${record.order}`;
  }
  return `${status}:${record.order}`;
}

const CURSOR_STATUSES: ReadonlySet<string> = new Set<ListableStatus>(LIST_STATUS_ORDER);

function parseCursor(cursor: string): { status: ListableStatus; probe: StoredRecord } | undefined {
  const parts = cursor.split(':');
  const status = parts[0] as ListableStatus;
  if (!CURSOR_STATUSES.has(status)) return undefined;
  const numbers = parts.slice(1).map((part) => (/^-?\d+$/.test(part) ? Number(part) : NaN));
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  const keyed = status === 'queued' || status === 'scheduled';
  if (numbers.length !== (keyed ? 2 : 1)) return undefined;
  const probe = { name: '', order: numbers[keyed ? 1 : 0] } as Partial<JobRecord>;
  if (status === 'queued') probe.priority = numbers[0] as JobPriority;
  if (status === 'scheduled') probe.runAt = numbers[0];
  return { status, probe: probe as JobRecord };
}
