/**
 * The in-process backend, the default: the queue, records, dedup index and events all live in
 * this process's memory, so nothing outlives it (`durable` is false) and claims cannot be lost
 * (no leases).
 *
 * Records expire `recordTtlMs` after they finish. Finished records are kept in a FIFO ordered by
 * expiry (every record gets the same TTL, so finishing order is expiry order), swept a little on
 * every operation: no timer, and the clock can be injected.
 */
import {
  type Backend,
  type CancelOutcome,
  type Claim,
  type ClaimRequest,
  type Outcome,
  type RenewResult,
  type SubmitOptions,
  type SubmitResult,
  DEFAULT_RECORD_TTL_MS,
} from '../backend.js';
import { DispatchError } from '../errors.js';
import { EventHub, type JobEvent, type JobEventListener } from '../events.js';
import { type Job, type JobError, type JobProgress, JobStatus, isFinalStatus } from '../job.js';
import {
  type PriorityJobQueueOptions,
  PriorityJobQueue,
  type QueueStats,
} from '../priority-queue.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type JobRecord = Mutable<Job> & { queuedAt: number };

export interface MemoryBackendOptions extends PriorityJobQueueOptions {
  /** The clock for records, dedup expiry and aging. Default `Date.now`. */
  readonly now?: () => number;
}

export class MemoryBackend implements Backend {
  readonly durable = false;
  readonly leaseMs = undefined;
  private readonly queue: PriorityJobQueue;
  private readonly records = new Map<string, JobRecord>();
  private readonly dedup = new Map<string, string>();
  private readonly expiries: { id: string; at: number }[] = [];
  private expiryHead = 0;
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly workWaiters = new Set<() => void>();
  private readonly hub = new EventHub();
  private readonly now: () => number;
  private tokens = 0;
  /** Set when work arrives, cleared when a claim begins: see `waitForWork`. */
  private arrived = false;

  constructor(options: MemoryBackendOptions = {}) {
    this.now = options.now ?? Date.now;
    this.queue = new PriorityJobQueue({ ...options, now: this.now });
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  submit(job: Job, options: SubmitOptions): Promise<SubmitResult> {
    const now = this.now();
    this.sweep(now);
    if (this.records.has(job.id)) {
      return Promise.reject(
        new DispatchError(
          'INVALID_ARGUMENT',
          `id must be unique, got "${job.id}" (already recorded)`,
        ),
      );
    }
    const original =
      job.dedupKey === undefined ? undefined : this.liveExecution(job.dedupKey, now, options);
    if (original !== undefined)
      return Promise.resolve(this.recordDuplicate(job, original, now, options));
    const record = toRecord(job, { status: JobStatus.Queued, updatedAt: now, queuedAt: now });
    if (!this.queue.enqueue(record)) {
      return Promise.reject(fullError(job, this.queue.capacityPerLevel));
    }
    this.records.set(record.id, record);
    if (record.dedupKey !== undefined) this.dedup.set(record.dedupKey, record.id);
    this.emit(record, 'queued', now);
    this.wakeWorkers();
    return Promise.resolve({ kind: 'queued', job: snapshot(record) });
  }

  claim(request: ClaimRequest): Promise<Claim[]> {
    const claims: Claim[] = [];
    this.arrived = false;
    if (this.queue.size === 0) return Promise.resolve(claims);
    const remaining = new Map(request.remaining);
    const canRun = (type: string): boolean => (remaining.get(type) ?? 1) > 0;
    const now = this.now();
    while (claims.length < request.max) {
      const record = this.queue.tryDequeue(remaining.size === 0 ? undefined : canRun) as
        JobRecord | undefined;
      if (record === undefined) break;
      const left = remaining.get(record.name);
      if (left !== undefined) remaining.set(record.name, left - 1);
      record.status = JobStatus.Running;
      record.attempts += 1;
      record.startedAt = now;
      record.updatedAt = now;
      delete record.progress;
      const token = String(++this.tokens);
      this.leases.set(record.id, token);
      claims.push({ job: snapshot(record), token });
      this.emit(record, 'started', now, {
        attempt: record.attempts,
        waitMs: now - record.queuedAt,
      });
    }
    return Promise.resolve(claims);
  }

  waitForWork(signal: AbortSignal): Promise<void> {
    if (this.arrived || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.workWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.workWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
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
    this.emit(record, 'progress', now, { attempt: record.attempts, progress });
    return Promise.resolve();
  }

  finish(claim: Claim, outcome: Outcome, options: SubmitOptions): Promise<boolean> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve(false);
    this.leases.delete(record.id);
    const now = this.now();
    record.status = outcome.status;
    if (outcome.status === 'completed') record.result = outcome.result;
    else record.error = outcome.error;
    this.settle(record, now, options);
    const extra = outcome.status === 'completed' ? {} : { error: outcome.error };
    this.emit(record, outcome.status, now, { attempt: record.attempts, ...extra });
    return Promise.resolve(true);
  }

  retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean> {
    const record = this.held(claim);
    if (record === undefined) return Promise.resolve(false);
    this.leases.delete(record.id);
    const now = this.now();
    record.status = JobStatus.Queued;
    record.error = error;
    record.updatedAt = now;
    this.emit(record, 'retrying', now, { attempt: record.attempts, error, delayMs });
    const timer = setTimeout(() => {
      this.delayed.delete(record.id);
      this.requeue(record);
    }, delayMs);
    this.delayed.set(record.id, timer);
    return Promise.resolve(true);
  }

  release(claim: Claim): Promise<boolean> {
    // Nothing outlives this process, so a released job could never run again: the dispatcher
    // cancels running jobs at shutdown instead (see `durable`).
    return Promise.resolve(this.held(claim) !== undefined);
  }

  cancel(id: string, options: SubmitOptions): Promise<CancelOutcome> {
    const now = this.now();
    this.sweep(now);
    const record = this.records.get(id);
    if (record === undefined) return Promise.reject(notFound(id));
    if (isFinalStatus(record.status)) {
      return Promise.resolve({ outcome: 'already-finished', job: snapshot(record) });
    }
    if (record.status === JobStatus.Running) {
      if (record.cancelRequested !== true) {
        record.cancelRequested = true;
        record.updatedAt = now;
        this.emit(record, 'cancelling', now);
      }
      return Promise.resolve({ outcome: 'cancel-requested', job: snapshot(record) });
    }
    this.queue.remove(id);
    const timer = this.delayed.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.delayed.delete(id);
    const error: JobError = { code: 'JOB_CANCELLED', message: 'cancelled before it started' };
    record.status = JobStatus.Cancelled;
    record.error = error;
    this.settle(record, now, options);
    this.emit(record, 'cancelled', now, { error });
    return Promise.resolve({ outcome: 'cancelled', job: snapshot(record) });
  }

  get(id: string): Promise<Job | undefined> {
    this.sweep(this.now());
    const record = this.records.get(id);
    return Promise.resolve(record === undefined ? undefined : snapshot(record));
  }

  stats(): Promise<QueueStats> {
    return Promise.resolve(this.queue.stats());
  }

  publish(event: JobEvent): Promise<void> {
    this.hub.emit(event);
    return Promise.resolve();
  }

  subscribe(listener: JobEventListener): () => void {
    return this.hub.add(listener);
  }

  /**
   * Nothing here outlives the process, so jobs still queued or waiting to retry are cancelled
   * (code `DISPATCHER_STOPPED`), on the record and with an event: none is dropped silently.
   */
  close(): Promise<void> {
    const now = this.now();
    const error: JobError = {
      code: 'DISPATCHER_STOPPED',
      message: 'shutdown: the job was still queued',
    };
    const left = [
      ...this.queue.drain(),
      ...[...this.delayed.keys()].map((id) => this.records.get(id)),
    ];
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const record of left as (JobRecord | undefined)[]) {
      if (record === undefined) continue;
      record.status = JobStatus.Cancelled;
      record.error = error;
      this.settle(record, now, undefined);
      this.emit(record, 'cancelled', now, { error });
    }
    for (const wake of [...this.workWaiters]) wake();
    return Promise.resolve();
  }

  private readonly leases = new Map<string, string>();

  private held(claim: Claim): JobRecord | undefined {
    const record = this.records.get(claim.job.id);
    if (record === undefined || record.status !== JobStatus.Running) return undefined;
    return this.leases.get(record.id) === claim.token ? record : undefined;
  }

  private requeue(record: JobRecord): void {
    const now = this.now();
    record.queuedAt = now;
    record.updatedAt = now;
    if (!this.queue.enqueue(record)) {
      // The level filled up while the job waited for its retry: it fails rather than vanish.
      record.status = JobStatus.Failed;
      record.error = {
        code: 'QUEUE_FULL',
        message: `retry refused: ${fullError(record, this.queue.capacityPerLevel).message}`,
      };
      this.settle(record, now, undefined);
      this.emit(record, 'failed', now, { attempt: record.attempts, error: record.error });
      return;
    }
    this.wakeWorkers();
  }

  private liveExecution(key: string, now: number, options: SubmitOptions): JobRecord | undefined {
    const id = this.dedup.get(key);
    const record = id === undefined ? undefined : this.records.get(id);
    if (record === undefined) return undefined;
    if (record.status === JobStatus.Queued || record.status === JobStatus.Running) return record;
    if (
      record.status === JobStatus.Completed &&
      now < (record.finishedAt ?? 0) + options.dedupTtlMs
    ) {
      return record;
    }
    return undefined;
  }

  private recordDuplicate(
    job: Job,
    original: JobRecord,
    now: number,
    options: SubmitOptions,
  ): SubmitResult {
    let promoted = false;
    if (original.status === JobStatus.Queued && job.priority > original.priority) {
      const from = original.priority;
      if (this.queue.promote(original.id, job.priority)) {
        promoted = true;
        original.priority = job.priority;
        original.updatedAt = now;
        this.emit(original, 'promoted', now, { fromPriority: from });
      }
    }
    const record = toRecord(job, {
      status: JobStatus.Duplicated,
      duplicateOf: original.id,
      updatedAt: now,
      queuedAt: now,
    });
    this.records.set(record.id, record);
    this.settle(record, now, options);
    this.emit(record, 'duplicated', now, { duplicateOf: original.id });
    return { kind: 'duplicated', job: snapshot(record), original: snapshot(original), promoted };
  }

  /** Marks a record finished and schedules its expiry. */
  private settle(record: JobRecord, now: number, options: SubmitOptions | undefined): void {
    record.finishedAt = now;
    record.updatedAt = now;
    // Expiries that no caller's options reach (a retry refused, shutdown) use the TTL last given:
    // the dispatcher passes the same options on every call.
    const ttl = options?.recordTtlMs ?? this.lastTtl;
    this.lastTtl = ttl;
    this.expiries.push({ id: record.id, at: now + ttl });
  }

  private lastTtl = DEFAULT_RECORD_TTL_MS;

  private sweep(now: number): void {
    while (this.expiryHead < this.expiries.length) {
      const next = this.expiries[this.expiryHead] as { id: string; at: number };
      if (next.at > now) break;
      this.expiryHead++;
      const record = this.records.get(next.id);
      if (record !== undefined && isFinalStatus(record.status)) {
        this.records.delete(next.id);
        if (record.dedupKey !== undefined && this.dedup.get(record.dedupKey) === record.id) {
          this.dedup.delete(record.dedupKey);
        }
      }
    }
    if (this.expiryHead > 1024 && this.expiryHead * 2 > this.expiries.length) {
      this.expiries.splice(0, this.expiryHead);
      this.expiryHead = 0;
    }
  }

  private wakeWorkers(): void {
    this.arrived = true;
    if (this.workWaiters.size === 0) return;
    for (const wake of [...this.workWaiters]) wake();
  }

  private emit(
    record: JobRecord,
    type: JobEvent['type'],
    at: number,
    extra: Partial<Mutable<JobEvent>> = {},
  ): void {
    if (this.hub.size === 0) return;
    this.hub.emit({
      type,
      jobId: record.id,
      name: record.name,
      priority: record.priority,
      at,
      ...extra,
    });
  }
}

/**
 * A job's record: a copy of the job with the given fields. Not `{ ...job, queuedAt }`: on the V8
 * of Node 20, an object spread followed by a property its source lacks gets a hidden class of its
 * own, so every record would carry a private map and descriptor array (about 400 bytes, kept as
 * long as the record) and every property access on records would go megamorphic.
 */
function toRecord(job: Job, fields: Partial<JobRecord> & Pick<JobRecord, 'queuedAt'>): JobRecord {
  return Object.assign({}, job, fields);
}

function snapshot(record: JobRecord): Job {
  const { queuedAt: _queuedAt, ...job } = record;
  return job;
}

function notFound(id: string): DispatchError {
  return new DispatchError('JOB_NOT_FOUND', `no job with id "${id}"`, { jobId: id });
}

function fullError(job: Job, capacity: number): DispatchError {
  const level = job.priority === 2 ? 'HIGH' : job.priority === 1 ? 'NORMAL' : 'LOW';
  return new DispatchError(
    'QUEUE_FULL',
    `the ${level} level is full (${capacity} jobs); try again later`,
    {
      jobId: job.id,
    },
  );
}
