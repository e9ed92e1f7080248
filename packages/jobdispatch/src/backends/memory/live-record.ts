/**
 * A record of the memory backend that is not finished (new, scheduled, queued, running): the job's
 * own mutable record, updated in place at every transition. Every field of `Job` is declared up
 * front, undefined when the job lacks it, so that all records share one hidden class with every
 * field in the object itself: a transition that sets a field the job did not have (`startedAt`,
 * `error`, ...) changes no shape and allocates nothing, property reads stay monomorphic, and
 * `toJob()` copies it with one literal instead of a generic rest copy.
 *
 * "Absent" and "undefined" are the same here: `toJob()` omits the optional fields that are
 * undefined, as a job built by `createJob` lacks them; `result` is kept (even undefined) on a
 * completed record only, as `KeptRecord.toJob` does.
 */
import type { Job, JobError, JobPriority, JobProgress, JobStatus } from '../../job.js';

export class LiveRecord {
  readonly id: string;
  readonly name: string;
  description: string | undefined;
  params: unknown;
  status: JobStatus;
  priority: JobPriority;
  createdAt: number;
  updatedAt: number;
  dedupKey: string | undefined;
  duplicateOf: string | undefined;
  attempts: number;
  runAt: number | undefined;
  timeoutMs: number | undefined;
  retries: number | undefined;
  attemptsAtRequeue: number | undefined;
  progress: JobProgress | undefined;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  cancelRequested: boolean | undefined;
  result: unknown;
  error: JobError | undefined;
  /** When it last entered the queue (for `waitMs`). */
  queuedAt: number;
  /** Its place in its status index. */
  order: number;
  /** While running: the token of its claim (see `Claim.token`). */
  token: string | undefined;

  /** The record of `job`, now in `status`, updated and queued at `now`. */
  constructor(job: Job, status: JobStatus, now: number, order: number) {
    this.id = job.id;
    this.name = job.name;
    this.description = job.description;
    this.params = job.params;
    this.status = status;
    this.priority = job.priority;
    this.createdAt = job.createdAt;
    this.updatedAt = now;
    this.dedupKey = job.dedupKey;
    this.duplicateOf = job.duplicateOf;
    this.attempts = job.attempts;
    this.runAt = job.runAt;
    this.timeoutMs = job.timeoutMs;
    this.retries = job.retries;
    this.attemptsAtRequeue = job.attemptsAtRequeue;
    this.progress = job.progress;
    this.startedAt = job.startedAt;
    this.finishedAt = job.finishedAt;
    this.cancelRequested = job.cancelRequested;
    this.result = job.result;
    this.error = job.error;
    this.queuedAt = now;
    this.order = order;
    this.token = undefined;
  }

  /** The job as callers see it: a snapshot, without the backend's own fields. */
  toJob(): Job {
    const job: { -readonly [K in keyof Job]: Job[K] } = {
      id: this.id,
      name: this.name,
      params: this.params,
      status: this.status,
      priority: this.priority,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      attempts: this.attempts,
    };
    if (this.description !== undefined) job.description = this.description;
    if (this.dedupKey !== undefined) job.dedupKey = this.dedupKey;
    if (this.duplicateOf !== undefined) job.duplicateOf = this.duplicateOf;
    if (this.runAt !== undefined) job.runAt = this.runAt;
    if (this.timeoutMs !== undefined) job.timeoutMs = this.timeoutMs;
    if (this.retries !== undefined) job.retries = this.retries;
    if (this.attemptsAtRequeue !== undefined) job.attemptsAtRequeue = this.attemptsAtRequeue;
    if (this.progress !== undefined) job.progress = this.progress;
    if (this.startedAt !== undefined) job.startedAt = this.startedAt;
    if (this.finishedAt !== undefined) job.finishedAt = this.finishedAt;
    if (this.cancelRequested !== undefined) job.cancelRequested = this.cancelRequested;
    if (this.status === 'completed') job.result = this.result;
    if (this.error !== undefined) job.error = this.error;
    return job;
  }
}

/**
 * The record where a `Job` is read field by field (the queue, `KeptRecord`): it has every field of
 * one, an optional field being undefined rather than absent, which such readers treat alike.
 */
export function asJob(record: LiveRecord): Job {
  return record as unknown as Job;
}
