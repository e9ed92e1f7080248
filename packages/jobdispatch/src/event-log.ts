/**
 * The event log of a queue, as both backends keep it: every event is appended with an id, the
 * newest `maxCount` are retained (a ring in memory, a Stream trimmed by approximate MAXLEN on
 * Redis), and a reader asks for the retained events after an id, a page at a time. What a backend
 * returns here is what `events({ after })` and `watch()` build on (event-stream.ts).
 */
import { invalidArgument } from './errors.js';
import type { JobEvent } from './events.js';
import type { Job } from './job.js';

/** Events each queue keeps, by default. */
export const DEFAULT_EVENT_MAX_COUNT = 10_000;

/** Given once, to a backend: how much of its event log is kept. */
export interface EventLogOptions {
  /**
   * Events kept per queue, at least (Redis trims whole stream nodes, so it may keep up to about
   * 100 more). A consumer resuming from an id older than the retained window gets a `gap`.
   * An integer >= 1. Default 10,000.
   */
  readonly maxCount?: number;
}

export interface ResolvedEventLog {
  readonly maxCount: number;
}

/** Fills the default and checks the value: INVALID_ARGUMENT naming `events.maxCount`. */
export function resolveEventLog(options: EventLogOptions | undefined): ResolvedEventLog {
  if (options === undefined) return { maxCount: DEFAULT_EVENT_MAX_COUNT };
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('events', 'an object ({ maxCount })', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'maxCount')
      throw invalidArgument(`events.${key}`, 'maxCount (the only option)', key);
  }
  const maxCount = options.maxCount ?? DEFAULT_EVENT_MAX_COUNT;
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw invalidArgument('events.maxCount', 'an integer >= 1', maxCount);
  }
  return { maxCount };
}

/** One read of the log: the retained events after an id, oldest first. */
export interface EventPage {
  /** At most the limit asked for; with a `jobId`, only that job's events. */
  readonly events: JobEvent[];
  /** The id of the last entry read (matching or not): the next page starts after it. */
  readonly last: string | undefined;
  /** True when the read reached the end of the log (no more entries after `last` right now). */
  readonly end: boolean;
  /**
   * Events after the id asked from were trimmed before they could be read: `id` is the newest
   * one missing (the page goes on after it), `oldest` the oldest one retained.
   */
  readonly gap?: { readonly id: string; readonly oldest?: string };
}

/** A job's record together with the log position it reflects (read atomically). */
export interface JobSnapshot {
  readonly job: Job | undefined;
  /** The id of the newest event in the log when the record was read (the empty log's when none). */
  readonly position: string;
}

/** Entries one log read looks at, at most. */
export const EVENT_PAGE_LIMIT = 500;
