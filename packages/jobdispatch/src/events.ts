/**
 * Job events: what happened to a job, in the order it happened. Backends emit them (the Redis
 * backend carries them across processes); the dispatcher fans them out to listeners and to
 * `events()` iterators.
 */
import { safeString } from './describe.js';
import type { Job, JobError, JobPriority, JobProgress } from './job.js';

export type JobEventType =
  /** Submitted with a due time in the future. */
  | 'scheduled'
  /** Entered the queue: submitted, or a scheduled job came due. */
  | 'queued'
  | 'started'
  | 'progress'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'cancelling'
  | 'duplicated'
  | 'promoted'
  | 'retrying'
  /** An admin `retry(id)` queued a failed or cancelled job again. */
  | 'retried'
  /** An admin `remove(id)` deleted the record. */
  | 'removed'
  | 'stuck';

/**
 * Every event type, once. The memory backend's event ring codes a type by its index here (a code
 * lives only in process memory, never in stored data), and `events({ types })` validates against it.
 */
export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  'scheduled',
  'queued',
  'started',
  'progress',
  'completed',
  'failed',
  'cancelled',
  'cancelling',
  'duplicated',
  'promoted',
  'retrying',
  'retried',
  'removed',
  'stuck',
];

/** What some events carry besides their type, job and time. */
export interface JobEventFields {
  /** started, progress, completed, failed, retrying, retried, stuck: the attempt concerned. */
  readonly attempt: number;
  /** started: how long the job waited in the queue for this attempt. */
  readonly waitMs: number;
  /** progress. */
  readonly progress: JobProgress;
  /** failed, retrying, stuck (and cancelled, or queued after a lost lease, when known): why. */
  readonly error: JobError;
  /** duplicated: the execution the new job joined. */
  readonly duplicateOf: string;
  /** promoted: the level it left. */
  readonly fromPriority: JobPriority;
  /** retrying: the delay before the next attempt. */
  readonly delayMs: number;
  /** scheduled: when the job is due. */
  readonly runAt: number;
}

/**
 * One variant of `JobEvent`: `Required` fields are present, `Optional` ones may be, and every
 * other field of `JobEventFields` is absent (typed `undefined`, so reading it needs no narrowing
 * and narrowing on `type` makes the present ones non-optional).
 */
export type JobEventOf<
  T extends JobEventType,
  Required extends keyof JobEventFields = never,
  Optional extends keyof JobEventFields = never,
> = {
  readonly type: T;
  /**
   * The event's place in its queue's log: opaque, unique, and increasing in the queue's order
   * (Redis: the stream entry id `<ms>-<seq>`; memory: a zero-padded counter). Pass it as `after`
   * to `events()` to resume; compare two ids with `compareEventIds` (not as strings).
   */
  readonly id: string;
  readonly jobId: string;
  /** The job type. */
  readonly name: string;
  /** The job's priority when the event happened (after a promotion: the new one). */
  readonly priority: JobPriority;
  /** When it happened, ms since the epoch. */
  readonly at: number;
} & { readonly [K in Required]: JobEventFields[K] } & {
  readonly [K in Optional]?: JobEventFields[K];
} & { readonly [K in Exclude<keyof JobEventFields, Required | Optional>]?: undefined };

/**
 * What happened to a job: a union discriminated by `type`, so that `event.type === 'progress'`
 * narrows to an event whose `progress` is present.
 */
export type JobEvent =
  | JobEventOf<'scheduled', 'runAt'>
  | JobEventOf<'queued', never, 'error'>
  | JobEventOf<'started', never, 'attempt' | 'waitMs'>
  | JobEventOf<'progress', 'progress', 'attempt'>
  | JobEventOf<'completed', never, 'attempt'>
  | JobEventOf<'failed', 'error', 'attempt'>
  | JobEventOf<'cancelled', never, 'error' | 'attempt'>
  | JobEventOf<'cancelling'>
  | JobEventOf<'duplicated', 'duplicateOf'>
  | JobEventOf<'promoted', 'fromPriority'>
  | JobEventOf<'retrying', 'error' | 'delayMs', 'attempt'>
  | JobEventOf<'retried', never, 'attempt'>
  | JobEventOf<'removed'>
  | JobEventOf<'stuck', 'error', 'attempt'>;

/** The final events: after one of them the job changes no more (unless an admin `retry(id)`). */
export type FinalJobEvent = Extract<JobEvent, { readonly type: FinalEventType }>;
type FinalEventType = 'completed' | 'failed' | 'cancelled' | 'duplicated' | 'removed';

export type JobEventListener = (event: JobEvent) => void;

/**
 * An event as a backend is handed it to record (`publish`): the log gives it its `id`.
 * Distributive, so each variant keeps its own fields.
 */
export type NewJobEvent = JobEvent extends infer E
  ? E extends JobEvent
    ? Omit<E, 'id'>
    : never
  : never;

/**
 * `events({ after })` could not replay everything after `after`: the events from just after it up
 * to `id` were trimmed from the log (its `maxCount`), or skipped after a consumer fell too far
 * behind and the log moved on. What follows is every retained event after `id`. A consumer that
 * keeps state from events should read the records again (`get`, `list`) on a gap. Never filtered
 * out by `jobId` or `types`.
 */
export interface GapEvent {
  readonly type: 'gap';
  /** The newest event id known to be missing: resuming after it yields no gap. */
  readonly id: string;
  /** Where the replay was asked to start (exclusive). */
  readonly after: string;
  /** The oldest event still retained (the next one yielded), when there is one. */
  readonly oldest?: string;
  /** When the gap was found, ms since the epoch (this process's clock). */
  readonly at: number;
}

/** The first item of `watch(id)`: the job's record at the log position `id`. */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  /** The log position the record reflects: the events that follow are exactly those after it. */
  readonly id: string;
  readonly jobId: string;
  readonly job: Job;
  /** When the record was read, ms since the epoch (this process's clock). */
  readonly at: number;
}

/** What `events()` yields: the queue's events, and a `gap` where some could not be replayed. */
export type StreamEvent = JobEvent | GapEvent;
/** What `watch(id)` yields: a `snapshot` first (and again after a gap), then the job's events. */
export type WatchEvent = SnapshotEvent | JobEvent;

/**
 * Orders two event ids of one queue: negative when `a` came first, 0 when equal, positive after.
 * Ids are groups of decimal digits joined by '-' (`<ms>-<seq>` on Redis, one zero-padded counter
 * in memory), compared group by group as numbers.
 */
export function compareEventIds(a: string, b: string): number {
  const left = a.split('-');
  const right = b.split('-');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = stripZeros(left[i] ?? '0');
    const y = stripZeros(right[i] ?? '0');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits[i] === '0') i++;
  return digits.slice(i);
}

/** True for a string of the form event ids take (digit groups joined by '-'). */
export function isEventIdForm(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,20}(-\d{1,20})?$/.test(value);
}

/** The event types after which a job changes no more (unless an admin `retry(id)` queues it again). */
export const FINAL_EVENT_TYPES: ReadonlySet<JobEventType> = new Set<JobEventType>([
  'completed',
  'failed',
  'cancelled',
  'duplicated',
  'removed',
]);

/** True for an event after which its job changes no more: completed, failed, cancelled, duplicated, removed. */
export function isFinalEvent(event: JobEvent | GapEvent | SnapshotEvent): event is FinalJobEvent {
  return FINAL_EVENT_TYPES.has(event.type as JobEventType);
}

/** A set of listeners; a listener that throws is reported to `onError` and does not stop the rest. */
export class EventHub {
  private readonly listeners = new Set<JobEventListener>();

  constructor(private readonly onError: (error: unknown) => void = reportListenerError) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

function reportListenerError(error: unknown): void {
  process.emitWarning(`a jobdispatch event listener threw: ${safeString(error)}`);
}
