/**
 * Job events: what happened to a job, in the order it happened. Backends emit them (the Redis
 * backend carries them across processes); the dispatcher fans them out to listeners and to
 * `events()` iterators.
 */
import { safeString } from './describe.js';
import type { JobError, JobPriority, JobProgress } from './job.js';

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

/** The event types after which a job changes no more (unless an admin `retry(id)` queues it again). */
export const FINAL_EVENT_TYPES: ReadonlySet<JobEventType> = new Set<JobEventType>([
  'completed',
  'failed',
  'cancelled',
  'duplicated',
  'removed',
]);

/** True for an event after which its job changes no more: completed, failed, cancelled, duplicated, removed. */
export function isFinalEvent(event: JobEvent): event is FinalJobEvent {
  return FINAL_EVENT_TYPES.has(event.type);
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

/**
 * Turns pushed events into an async iterable with an unbounded buffer; ends when `signal` aborts
 * or `return()` is called (a `for await` loop that breaks).
 */
export function iterateEvents(
  subscribe: (listener: JobEventListener) => () => void,
  signal?: AbortSignal,
): AsyncIterableIterator<JobEvent> {
  const buffer: JobEvent[] = [];
  let head = 0;
  let wake: (() => void) | undefined;
  let done = false;
  const unsubscribe = subscribe((event) => {
    buffer.push(event);
    wake?.();
  });
  const finish = (): void => {
    done = true;
    unsubscribe();
    wake?.();
  };
  signal?.addEventListener('abort', finish, { once: true });
  if (signal?.aborted) finish();

  const iterator: AsyncIterableIterator<JobEvent> = {
    async next(): Promise<IteratorResult<JobEvent>> {
      while (head >= buffer.length && !done) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (head < buffer.length) {
        const value = buffer[head++] as JobEvent;
        if (head > 1024 && head * 2 > buffer.length) {
          buffer.splice(0, head);
          head = 0;
        }
        return { value, done: false };
      }
      return { value: undefined, done: true };
    },
    return(): Promise<IteratorResult<JobEvent>> {
      signal?.removeEventListener('abort', finish);
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
