/**
 * `events()` and `watch()`: async iterables over a queue's event log (event-log.ts), built on the
 * backend's live stream (`subscribe`) and its log reads (`readEvents`, `snapshot`).
 *
 * A cursor is in one of two modes:
 *
 *   catch-up ──(a read reaches the end of the log)──► live
 *       ▲                                               │
 *       └───────(more than `bufferLimit` undelivered)───┘
 *
 * In catch-up it reads pages of the log after its position (the id of the last event it handed
 * out or filtered away), while collecting the live events that arrive meanwhile; when a read
 * reaches the end of the log it keeps the collected events newer than what it read (the live
 * stream may lag the log, as a Redis reader does) and goes live: no gap and no repeat at the seam.
 * Live, events are queued for the consumer; a consumer that falls `bufferLimit` events behind
 * gets its queue dropped (bounded memory) and catches up from the log again, which reports a `gap`
 * only if the log itself was trimmed past its position meanwhile.
 *
 * Invariant: events are handed out in log order, each at most once, and nothing retained after
 * the position is skipped without a `gap`.
 */
import type { Backend } from './backend.js';
import { EVENT_PAGE_LIMIT } from './event-log.js';
import { invalidArgument, jobNotFound } from './errors.js';
import {
  type EventHub,
  type GapEvent,
  type JobEvent,
  type JobEventType,
  type StreamEvent,
  type WatchEvent,
  JOB_EVENT_TYPES,
  compareEventIds,
  isEventIdForm,
  isFinalEvent,
} from './events.js';
import { isFinalStatus } from './job.js';
import { WAIT_RECHECK_MS } from './outcomes.js';

/** Undelivered events a slow consumer may fall behind by before it re-reads the log instead. */
export const DEFAULT_EVENT_BUFFER = 10_000;

/** What `events()` takes. */
export interface EventsOptions {
  /** Ends the iteration (the loop ends; no error). */
  readonly signal?: AbortSignal;
  /**
   * Resume: first the retained events after this id (an event's `id`), then live ones. A `gap`
   * comes first when some events after it were trimmed. Without it: events from now on.
   */
  readonly after?: string;
  /** Only this job's events (and gaps). */
  readonly jobId?: string;
  /** Only these event types (and gaps). */
  readonly types?: readonly JobEventType[];
}

/** What `watch()` takes. */
export interface WatchOptions {
  /** Ends the iteration (the loop ends; no error). */
  readonly signal?: AbortSignal;
}

const EVENT_TYPES: ReadonlySet<string> = new Set<string>(JOB_EVENT_TYPES);

interface CursorDeps {
  readonly backend: Backend;
  /** The dispatcher's fan-out of the backend's live events. */
  readonly hub: EventHub;
  /** Aborted when the dispatcher has stopped: every iteration ends. */
  readonly closed: AbortSignal;
  readonly now: () => number;
  readonly bufferLimit: number;
}

/** Checks `events()` options: INVALID_ARGUMENT naming the field. */
export function checkEventsOptions(options: EventsOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object', options);
  }
  const { signal, after, jobId, types } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument('signal', 'an AbortSignal', signal);
  }
  if (after !== undefined && !isEventIdForm(after)) {
    throw invalidArgument('after', "an event id (an event's `id`)", after);
  }
  if (jobId !== undefined && (typeof jobId !== 'string' || jobId === '')) {
    throw invalidArgument('jobId', 'a non-empty string', jobId);
  }
  if (types !== undefined) {
    if (!Array.isArray(types) || types.length === 0) {
      throw invalidArgument('types', 'a non-empty array of event types', types);
    }
    for (const type of types as unknown[]) {
      if (typeof type !== 'string' || !EVENT_TYPES.has(type)) {
        throw invalidArgument('types', `event types among ${[...EVENT_TYPES].join(', ')}`, type);
      }
    }
  }
}

/** The iterator of `events(options)` (options already checked). */
export function followEvents(
  deps: CursorDeps,
  options: EventsOptions,
): AsyncIterableIterator<StreamEvent> {
  const types = options.types === undefined ? undefined : new Set<string>(options.types);
  const { jobId } = options;
  const wanted = (event: JobEvent): boolean =>
    (jobId === undefined || event.jobId === jobId) &&
    (types === undefined || types.has(event.type));
  return new LogCursor(deps, options.after, jobId, wanted, options.signal);
}

/** A position reached without an event to hand out (a page whose last entries were filtered out). */
interface Mark {
  readonly type: 'mark';
  readonly id: string;
}

class LogCursor implements AsyncIterableIterator<StreamEvent> {
  private ready: (StreamEvent | Mark)[] = [];
  private head = 0;
  /** Live events collected during a catch-up read; undefined when not collecting. */
  private collected: JobEvent[] | undefined;
  private overflowed = false;
  private mode: 'catch-up' | 'live';
  /** The id of the last item taken from `ready` (handed out or filtered away). */
  private position: string | undefined;
  private done = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly finish = (): void => this.end();

  constructor(
    private readonly deps: CursorDeps,
    after: string | undefined,
    private readonly jobId: string | undefined,
    private readonly wanted: (event: JobEvent) => boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.mode = after === undefined ? 'live' : 'catch-up';
    this.position = after;
    this.unsubscribe = deps.hub.add((event) => this.onLive(event));
    signal?.addEventListener('abort', this.finish, { once: true });
    deps.closed.addEventListener('abort', this.finish, { once: true });
    if (signal?.aborted === true || deps.closed.aborted) this.end();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StreamEvent> {
    return this;
  }

  async next(): Promise<IteratorResult<StreamEvent>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      if (this.head < this.ready.length) {
        const item = this.take();
        this.position = item.id;
        if (item.type === 'mark') continue;
        if (item.type === 'gap' || this.wanted(item)) return { value: item, done: false };
        continue;
      }
      if (this.mode === 'catch-up') {
        try {
          await this.catchUp();
        } catch (error) {
          this.end();
          throw error;
        }
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  return(): Promise<IteratorResult<StreamEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private onLive(event: JobEvent): void {
    if (this.done) return;
    if (this.mode === 'catch-up') {
      if (this.collected === undefined) return; // the next read finds it in the log
      if (this.collected.length >= this.deps.bufferLimit) {
        this.collected.length = 0;
        this.overflowed = true; // the read that is under way does not go live: read on
      } else {
        this.collected.push(event);
      }
      return;
    }
    if (this.ready.length - this.head >= this.deps.bufferLimit) {
      // Too far behind: keep only the oldest item waiting (it anchors the position) and read
      // the rest from the log once the consumer takes it.
      this.ready = [this.ready[this.head]!];
      this.head = 0;
      this.mode = 'catch-up';
      return;
    }
    this.ready.push(event);
    this.wake?.();
  }

  private take(): StreamEvent | Mark {
    const item = this.ready[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** One page of the log after the position; live once a page reaches its end. */
  private async catchUp(): Promise<void> {
    const after = this.position!;
    const collected: JobEvent[] = [];
    this.collected = collected;
    this.overflowed = false;
    let page;
    try {
      page = await this.deps.backend.readEvents(after, EVENT_PAGE_LIMIT, this.jobId);
    } finally {
      this.collected = undefined;
    }
    if (this.done) return;
    if (page.gap !== undefined) {
      const gap: GapEvent = {
        type: 'gap',
        id: page.gap.id,
        after,
        ...(page.gap.oldest !== undefined && { oldest: page.gap.oldest }),
        at: this.deps.now(),
      };
      this.ready.push(gap);
    }
    this.ready.push(...page.events);
    if (page.last !== undefined) this.ready.push({ type: 'mark', id: page.last });
    if (!page.end || this.overflowed) return;
    // Live from here: what the live stream brought during the read and the read did not reach.
    const reached = page.last ?? page.gap?.id ?? after;
    this.mode = 'live';
    for (const event of collected) {
      if (compareEventIds(event.id, reached) > 0) this.ready.push(event);
    }
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.unsubscribe();
    this.signal?.removeEventListener('abort', this.finish);
    this.deps.closed.removeEventListener('abort', this.finish);
    this.wake?.();
  }
}

/**
 * The iterator of `watch(id)`: a `snapshot` (the record and the log position it reflects, read
 * atomically), then the job's events after that position, ending after its final event; at once
 * after the snapshot when the job has already finished. After a gap (the log trimmed past the
 * watcher), a fresh snapshot instead of the gap. Unknown id: the first `next()` rejects with
 * JOB_NOT_FOUND.
 *
 * A record that disappears with no event (deleted behind the library's back, or lost in a
 * failover that dropped the last writes) would leave the watcher waiting for a final event that
 * never comes: while it follows, the record is read again every `recheckMs` (the same safety net
 * as `wait()`), and a record missing at two rechecks in a row ends the iteration with
 * JOB_NOT_FOUND.
 */
export async function* watchJob(
  deps: CursorDeps,
  id: string,
  signal: AbortSignal | undefined,
  recheckMs: number = WAIT_RECHECK_MS,
): AsyncGenerator<WatchEvent, void, undefined> {
  let first = true;
  for (;;) {
    const { job, position } = await deps.backend.snapshot(id);
    if (job === undefined) {
      if (first) throw jobNotFound(id);
      return; // removed meanwhile: its `removed` event was trimmed with the gap
    }
    first = false;
    yield { type: 'snapshot', id: position, jobId: id, job, at: deps.now() };
    if (isFinalStatus(job.status)) return;
    const vanished = new AbortController();
    const follow =
      signal === undefined ? vanished.signal : AbortSignal.any([signal, vanished.signal]);
    const events = followEvents(deps, { after: position, jobId: id, signal: follow });
    // Missing at two rechecks in a row: a `removed` event, which ends the watch with the event
    // itself, has had a whole interval to arrive.
    let missing = 0;
    const recheck = setInterval(() => {
      deps.backend.get(id).then(
        (record) => {
          missing = record === undefined ? missing + 1 : 0;
          if (missing >= 2) vanished.abort();
        },
        () => undefined, // unreadable now (an outage): the next recheck tries again
      );
    }, recheckMs).unref();
    const stopRecheck = (): void => clearInterval(recheck);
    deps.closed.addEventListener('abort', stopRecheck, { once: true });
    let gap = false;
    try {
      for await (const event of events) {
        if (event.type === 'gap') {
          gap = true;
          break;
        }
        yield event;
        if (isFinalEvent(event)) return;
      }
    } finally {
      stopRecheck();
      deps.closed.removeEventListener('abort', stopRecheck);
      await events.return?.();
    }
    if (vanished.signal.aborted && signal?.aborted !== true) throw jobNotFound(id);
    if (!gap) return; // ended by the signal or the dispatcher's stop
  }
}
