/**
 * Jobs: the unit of work, its priority and its status.
 *
 * A job's status moves along this machine (every move is written to the job's record with a new
 * `updatedAt`):
 *
 *     new ──► scheduled ──(due)──► queued ──► running ──► completed
 *      │         ▲  │                ▲  │        │  ├───► failed ──────┐
 *      │         │  │                │  │        │  └───► cancelled ───┤
 *      │         │  │                └──┼────────┤  (lease lost / released)
 *      │         └──┼───────────────────┼────────┘  (retry after a failed attempt, with a delay;
 *      │            │                   │            without one it goes straight to queued)
 *      │            └───────────────────┴──────────► cancelled  (cancelled before it started)
 *      ├──► queued   (no runAt, or one already past)
 *      └──► duplicated   (the submit matched a live execution with the same dedupKey)
 *
 * `completed`, `failed`, `cancelled` and `duplicated` are final for the dispatcher; only an admin
 * `retry(id)` queues a failed or cancelled job again (its `attempts` keep counting), and
 * `remove(id)` deletes a record that is not running. Timestamps are milliseconds since the epoch
 * (numbers, not Dates) because records cross process boundaries as JSON and Redis hashes.
 */
import { randomFillSync } from 'node:crypto';

/** Three levels; the numbers are stored as such (in records, Redis keys and HTTP bodies). */
export const JobPriority = {
  Low: 0,
  Normal: 1,
  High: 2,
} as const;
export type JobPriority = (typeof JobPriority)[keyof typeof JobPriority];

/** A missing or invalid priority is treated as Normal. */
export function normalizePriority(value: unknown): JobPriority {
  return value === 0 || value === 1 || value === 2 ? value : JobPriority.Normal;
}

export function priorityName(priority: JobPriority): 'high' | 'normal' | 'low' {
  return priority === JobPriority.High
    ? 'high'
    : priority === JobPriority.Normal
      ? 'normal'
      : 'low';
}

export const JobStatus = {
  New: 'new',
  Scheduled: 'scheduled',
  Queued: 'queued',
  Running: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Duplicated: 'duplicated',
  Cancelled: 'cancelled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>([
  JobStatus.Completed,
  JobStatus.Failed,
  JobStatus.Cancelled,
  JobStatus.Duplicated,
]);

/** True once a job's status can no longer change. */
export function isFinalStatus(status: JobStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** Most UTF-8 bytes of a thrown error's stack kept on a failed job's record. */
export const MAX_STACK_BYTES = 4096;

/** What a failed or cancelled job records about why. */
export interface JobError {
  /** A `DispatchErrorCode`, or a code the handler's error carried. */
  readonly code: string;
  readonly message: string;
  /** The class name of the error the handler threw (`TypeError`, `UnrecoverableError`, ...). */
  readonly name?: string;
  /** Its stack, cut to `MAX_STACK_BYTES`. */
  readonly stack?: string;
}

export interface JobProgress {
  readonly percent: number;
  readonly message?: string;
}

/**
 * A job and its record. Objects handed out by the library are snapshots: changing one changes
 * nothing stored.
 */
export interface Job<P = unknown, R = unknown> {
  readonly id: string;
  /** The job type: routes the job to the handler whose `jobType` equals it. */
  readonly name: string;
  readonly description?: string;
  readonly params: P;
  readonly status: JobStatus;
  readonly priority: JobPriority;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly dedupKey?: string;
  /** On a `duplicated` record: the id of the execution it joined. */
  readonly duplicateOf?: string;
  /** Attempts started so far (1 while the first attempt runs). */
  readonly attempts: number;
  /** When it is due (set when the spec gave `runAt` or `delayMs`, or while it waits for a retry). */
  readonly runAt?: number;
  /** Overrides its type's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Overrides its type's `retries`. */
  readonly retries?: number;
  /** `attempts` when an admin `retry(id)` last queued it again: its retry budget counts from here. */
  readonly attemptsAtRequeue?: number;
  readonly progress?: JobProgress;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Set when a cancel was asked for a running job; the job ends `cancelled` when its handler returns. */
  readonly cancelRequested?: boolean;
  readonly result?: R;
  readonly error?: JobError;
}

/** What a caller gives to create a job. */
export interface JobSpec<P = unknown> {
  readonly name: string;
  readonly params?: P;
  /** Missing or invalid means Normal. */
  readonly priority?: number;
  readonly id?: string;
  readonly description?: string;
  readonly dedupKey?: string;
  /** Due time, ms since the epoch: until then the job is `scheduled`. Not with `delayMs`. */
  readonly runAt?: number;
  /** Due this long after the submit. Not with `runAt`. */
  readonly delayMs?: number;
  /** Overrides its type's `timeoutMs` for this job. */
  readonly timeoutMs?: number;
  /** Overrides its type's `retries` for this job. */
  readonly retries?: number;
}

/**
 * Builds a `new` job from a spec (validated by the caller): a random UUID when no id is given,
 * timestamps now, `runAt` from `runAt` or `now + delayMs`.
 */
export function createJob<P = unknown>(spec: JobSpec<P>, now: number = Date.now()): Job<P> {
  const job: {
    -readonly [K in keyof Job<P>]: Job<P>[K];
  } = {
    id: spec.id ?? flatUuid(),
    name: spec.name,
    params: spec.params as P,
    status: JobStatus.New,
    priority: normalizePriority(spec.priority),
    createdAt: now,
    updatedAt: now,
    attempts: 0,
  };
  if (spec.description !== undefined) job.description = spec.description;
  if (spec.dedupKey !== undefined) job.dedupKey = spec.dedupKey;
  if (spec.runAt !== undefined) job.runAt = spec.runAt;
  else if (spec.delayMs !== undefined) job.runAt = now + spec.delayMs;
  if (spec.timeoutMs !== undefined) job.timeoutMs = spec.timeoutMs;
  if (spec.retries !== undefined) job.retries = spec.retries;
  return job;
}

/**
 * A random (version 4) UUID, written as one flat string. On Node 20, `randomUUID()` returns a rope
 * of about 14 joined pieces (about 650 bytes of garbage per job once flattened, and about 450
 * kept per record if not); this writes the 36 characters into a buffer and decodes them once,
 * from random bytes drawn 256 UUIDs at a time, as `randomUUID()` itself buffers them.
 */
function flatUuid(): string {
  if (uuidOffset + 16 > uuidPool.length) {
    randomFillSync(uuidPool);
    uuidOffset = 0;
  }
  const pool = uuidPool;
  const at = uuidOffset;
  uuidOffset += 16;
  let out = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool[at + i] as number;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    if (i === 4 || i === 6 || i === 8 || i === 10) uuidText[out++] = 0x2d; // '-'
    uuidText[out++] = HEX[byte >> 4] as number;
    uuidText[out++] = HEX[byte & 15] as number;
  }
  return uuidText.toString('latin1', 0, 36);
}

const uuidPool = Buffer.allocUnsafe(16 * 256);
let uuidOffset = uuidPool.length;
const uuidText = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
