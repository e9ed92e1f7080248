/**
 * Repeating schedules: `dispatcher.schedule(key, { cron | everyMs, timezone?, job })` submits
 * `job` at every tick. The backend stores each schedule (its definition and next run time, see
 * "Schedules" in backend.ts); this module validates definitions, computes run times (cron
 * expressions by croner, which handles time zones and their DST changes) and runs the one timer.
 *
 * Semantics:
 * - A key names one schedule per queue. `schedule()` with the definition already stored is a no-op
 *   (its next run time is kept: a restart that declares its schedules again loses no missed tick);
 *   with another definition it replaces it, the next run computed afresh (the last call wins).
 * - Each tick submits one job: the schedule's `job`, with `dedupKey` `schedule:<key>:<tick ms>`.
 *   Every started dispatcher (workers or not) of the queue watches every schedule; at a tick each
 *   one that sees it due moves the next run time with a compare-and-set, and only the one that
 *   succeeds submits, so one job per tick over every process. The dedupKey also absorbs a
 *   second submit of the same tick should one ever happen.
 * - Missed ticks (no dispatcher ran) are caught up once: the first pass that finds a schedule
 *   past due submits the oldest missed tick, and the next run becomes the first tick after now.
 * - A tick whose submit fails (QUEUE_FULL, Redis down after the compare-and-set) is lost, and
 *   reported to `onError`: at most one job per tick, never a burst of retries.
 * - `everyMs`: ticks every `everyMs` from the time of the `schedule()` call (the first one
 *   `everyMs` after it). `cron`: 5 fields (minute to weekday) or 6 (seconds first), in
 *   `timezone` (an IANA name, default UTC). A local time skipped by a DST change runs at the
 *   first instant after the gap; a repeated local time runs once.
 * - Time is the dispatcher's `now()`; the timer is its `setTimer` (both injectable): one timer for
 *   the earliest next run (unref'd), or sooner, every SCHEDULE_REFRESH_MS at most, to find
 *   schedules other processes added. No timer while the dispatcher is not started.
 */
import { Cron } from 'croner';
import type { Backend, StoredSchedule } from './backend.js';
import { DispatchError, invalidArgument, isDispatchError } from './errors.js';
import type { JobSpec } from './job.js';

/** How often, at most, a dispatcher rereads the schedules when none is due sooner (other processes' additions). */
export const SCHEDULE_REFRESH_MS = 60_000;
/** Longest delay one `setTimeout` can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `schedule()` takes: exactly one of `cron` and `everyMs`, and the job each tick submits. */
export interface ScheduleOptions<P = unknown> {
  /** A cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first. */
  readonly cron?: string;
  /** Ticks this many ms apart (an integer >= 1), the first `everyMs` after `schedule()`. */
  readonly everyMs?: number;
  /** With `cron` only: the IANA time zone the expression is read in. Default UTC. */
  readonly timezone?: string;
  /** The job each tick submits; it may not carry `id`, `dedupKey`, `runAt` or `delayMs` (set per tick). */
  readonly job: JobSpec<P>;
}

/** A schedule as `schedules()` reports it. */
export interface ScheduleInfo {
  readonly key: string;
  readonly cron?: string;
  readonly everyMs?: number;
  readonly timezone?: string;
  readonly job: JobSpec;
  /** When the next tick is due (ms since the epoch, the dispatcher's clock). */
  readonly nextRunAt: number;
}

/** Schedules `callback` after `ms` on the dispatcher's clock; returns the function that cancels it. */
export type ScheduleTimer = (callback: () => void, ms: number) => () => void;

export const realScheduleTimer: ScheduleTimer = (callback, ms) => {
  const timer = setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS)).unref();
  return () => clearTimeout(timer);
};

interface Definition {
  readonly cron?: string;
  readonly everyMs?: number;
  readonly timezone?: string;
  readonly job: JobSpec;
}

/** A definition, validated, with its run-time calculator. */
interface Parsed {
  readonly definition: Definition;
  /** The first tick strictly after `after`, given the previous tick `from` (everyMs keeps its grid). */
  next(from: number, after: number): number | undefined;
}

const PER_TICK_FIELDS = ['id', 'dedupKey', 'runAt', 'delayMs'] as const;

/** Validates `schedule()`'s arguments; `checkSpec` is the dispatcher's job spec check. */
export function parseSchedule(
  key: unknown,
  options: unknown,
  checkSpec: (spec: JobSpec) => void,
): { key: string; parsed: Parsed; encoded: string } {
  if (typeof key !== 'string' || key === '') {
    throw invalidArgument('key', 'a non-empty string', key);
  }
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(
      'schedule options',
      'an object { cron | everyMs, timezone?, job }',
      options,
    );
  }
  const { cron, everyMs, timezone, job } = options as ScheduleOptions;
  if (job === null || typeof job !== 'object') throw invalidArgument('job', 'a job spec', job);
  for (const field of PER_TICK_FIELDS) {
    if (job[field] !== undefined) {
      throw invalidArgument(`job.${field}`, 'absent (each tick sets its own)', job[field]);
    }
  }
  checkSpec(job);
  let params: unknown;
  try {
    params = job.params === undefined ? undefined : JSON.parse(JSON.stringify(job.params));
  } catch (cause) {
    throw new DispatchError('INVALID_ARGUMENT', `job.params must be JSON: ${String(cause)}`);
  }
  const spec: JobSpec = { ...job, ...(params !== undefined && { params }) };
  const definition = parseTiming(cron, everyMs, timezone, spec);
  return { key, parsed: parsed(definition), encoded: stableJson(definition) };
}

function parseTiming(cron: unknown, everyMs: unknown, timezone: unknown, job: JobSpec): Definition {
  if (cron !== undefined && everyMs !== undefined) {
    throw invalidArgument('everyMs', 'absent when cron is given (exactly one of the two)', everyMs);
  }
  if (cron === undefined && everyMs === undefined) {
    throw invalidArgument('cron', 'given, or else everyMs (exactly one of the two)', cron);
  }
  if (everyMs !== undefined) {
    if (!Number.isSafeInteger(everyMs) || (everyMs as number) < 1) {
      throw invalidArgument('everyMs', 'an integer >= 1 (milliseconds)', everyMs);
    }
    if (timezone !== undefined) {
      throw invalidArgument('timezone', 'given only with cron', timezone);
    }
    return { everyMs: everyMs as number, job };
  }
  if (typeof cron !== 'string' || cron.trim() === '') {
    throw invalidArgument('cron', 'a cron expression', cron);
  }
  if (timezone !== undefined) {
    let valid = typeof timezone === 'string' && timezone !== '';
    try {
      if (valid) new Intl.DateTimeFormat('en-US', { timeZone: timezone as string });
    } catch {
      valid = false;
    }
    if (!valid) throw invalidArgument('timezone', 'an IANA time zone name', timezone);
  }
  const definition: Definition = {
    cron,
    ...(timezone !== undefined && { timezone: timezone as string }),
    job,
  };
  const next = parsed(definition).next(0, Date.now());
  if (next === undefined)
    throw invalidArgument('cron', 'a cron expression with runs to come', cron);
  return definition;
}

function parsed(definition: Definition): Parsed {
  const { everyMs } = definition;
  if (everyMs !== undefined) {
    return {
      definition,
      next: (from, after) => from + everyMs * (Math.floor(Math.max(0, after - from) / everyMs) + 1),
    };
  }
  let cron: Cron;
  try {
    cron = new Cron(definition.cron as string, {
      paused: true,
      timezone: definition.timezone ?? 'UTC',
    });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw invalidArgument('cron', `a cron expression (${message})`, definition.cron);
  }
  return {
    definition,
    next: (_from, after) => cron.nextRun(new Date(after))?.getTime(),
  };
}

/** JSON with object keys sorted, so equal definitions encode to equal strings in every process. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface ScheduleDeps {
  readonly backend: Backend;
  readonly now: () => number;
  readonly setTimer: ScheduleTimer;
  readonly submit: (spec: JobSpec) => Promise<unknown>;
  readonly checkSpec: (spec: JobSpec) => void;
  readonly reportError: (error: unknown) => void;
}

/** The dispatcher's side of schedules: definitions in, ticks out, one timer. */
export class ScheduleRunner {
  private active = false;
  private cancelTimer: (() => void) | undefined;
  /** The pass in flight (passes never overlap), and whether another was asked for meanwhile. */
  private pass: Promise<void> | undefined;
  private again = false;
  /** Parsed definitions by their encoding (parsing a cron once per definition). */
  private readonly cache = new Map<string, Parsed | undefined>();

  constructor(private readonly deps: ScheduleDeps) {}

  async define(key: unknown, options: unknown): Promise<ScheduleInfo> {
    const checked = parseSchedule(key, options, this.deps.checkSpec);
    this.cache.set(checked.encoded, checked.parsed);
    const now = this.deps.now();
    const first = checked.parsed.next(now, now) as number;
    const stored = await this.deps.backend.putSchedule(checked.key, checked.encoded, first);
    this.wake();
    return info(stored, this.parse(stored.definition)?.definition ?? checked.parsed.definition);
  }

  async remove(key: unknown): Promise<boolean> {
    if (typeof key !== 'string' || key === '') {
      throw invalidArgument('key', 'a non-empty string', key);
    }
    return this.deps.backend.removeSchedule(key);
  }

  async list(): Promise<ScheduleInfo[]> {
    const infos: ScheduleInfo[] = [];
    for (const stored of await this.deps.backend.schedules()) {
      const parsed = this.parse(stored.definition);
      if (parsed !== undefined) infos.push(info(stored, parsed.definition));
    }
    return infos;
  }

  /** Starts watching: a pass now (catching up what is past due), then the timer. */
  start(): void {
    this.active = true;
    this.wake();
  }

  /** Stops the timer; resolves once a pass in flight has ended. */
  async stop(): Promise<void> {
    this.active = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.pass;
  }

  /** Runs a pass now (or right after the one in flight). */
  private wake(): void {
    if (!this.active) return;
    if (this.pass !== undefined) {
      this.again = true;
      return;
    }
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.pass = this.runPass()
      .catch((error: unknown) => {
        this.deps.reportError(error);
        return SCHEDULE_REFRESH_MS; // the store is unreachable: try again later
      })
      .then((delay) => {
        this.pass = undefined;
        if (!this.active) return;
        if (this.again) {
          this.again = false;
          this.wake();
          return;
        }
        this.cancelTimer = this.deps.setTimer(() => {
          this.cancelTimer = undefined;
          this.wake();
        }, delay);
      });
  }

  /** Submits every due tick this process wins; resolves with the delay until the next pass. */
  private async runPass(): Promise<number> {
    let schedules = await this.deps.backend.schedules();
    const now = this.deps.now();
    let lost = false;
    let earliest = Infinity;
    for (const stored of schedules) {
      const parsed = this.parse(stored.definition);
      if (parsed === undefined) continue;
      if (stored.nextRunAt > now) {
        earliest = Math.min(earliest, stored.nextRunAt);
        continue;
      }
      const next = parsed.next(stored.nextRunAt, now) ?? Number.MAX_SAFE_INTEGER;
      if (!(await this.deps.backend.advanceSchedule(stored.key, stored.nextRunAt, next))) {
        lost = true; // another process took this tick (or redefined it): reread below
        continue;
      }
      earliest = Math.min(earliest, next);
      await this.submitTick(stored.key, stored.nextRunAt, parsed.definition.job);
    }
    if (lost) {
      schedules = await this.deps.backend.schedules();
      for (const stored of schedules) {
        if (this.parse(stored.definition) !== undefined) {
          earliest = Math.min(earliest, stored.nextRunAt);
        }
      }
    }
    return Math.max(0, Math.min(earliest - this.deps.now(), SCHEDULE_REFRESH_MS));
  }

  private async submitTick(key: string, tick: number, job: JobSpec): Promise<void> {
    try {
      await this.deps.submit({ ...job, dedupKey: `schedule:${key}:${tick}` });
    } catch (error) {
      if (!this.active && isDispatchError(error) && error.code === 'QUEUE_CLOSED') return;
      this.deps.reportError(error);
    }
  }

  /** A stored definition, parsed (once); undefined, reported once, when it cannot be read. */
  private parse(encoded: string): Parsed | undefined {
    if (this.cache.has(encoded)) return this.cache.get(encoded);
    let result: Parsed | undefined;
    try {
      const definition = JSON.parse(encoded) as Definition;
      result = parsed(definition);
    } catch (error) {
      this.deps.reportError(
        new DispatchError(
          'MALFORMED_RECORD',
          `a stored schedule cannot be read: ${encoded.slice(0, 200)}`,
          {
            cause: error,
          },
        ),
      );
    }
    this.cache.set(encoded, result);
    return result;
  }
}

function info(stored: StoredSchedule, definition: Definition): ScheduleInfo {
  return { key: stored.key, ...definition, nextRunAt: stored.nextRunAt };
}
