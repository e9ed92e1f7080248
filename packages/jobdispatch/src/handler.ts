/**
 * Handlers: the code that runs a job type, its per-type settings, and the registry that routes a
 * job to the one handler registered for its `name`.
 */
import { DispatchError, invalidArgument } from './errors.js';
import type { Job } from './job.js';

/** What a running handler gets besides its job. */
export interface JobContext {
  /**
   * Aborted when the job is cancelled, passes its timeout, its lease is lost (Redis: another
   * worker may run it now), or the dispatcher stops hard. The abort reason is a `DispatchError`
   * (`JOB_CANCELLED`, `JOB_TIMEOUT`, `LEASE_LOST` or `DISPATCHER_STOPPED`).
   */
  readonly signal: AbortSignal;
  /** The worker slot running the job, 0 to workers - 1. */
  readonly workerId: number;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * Reports progress: `percent` 0-100, never lower than the last report of this attempt. Stored on
   * the job record and emitted as a `progress` event. Throws `INVALID_ARGUMENT` for a value out of
   * range, not a number, or going backwards.
   */
  progress(percent: number, message?: string): Promise<void>;
}

export interface JobHandler<P = unknown, R = unknown> {
  /** The job `name` this handler runs. */
  readonly jobType: string;
  /**
   * The most jobs this handler can run at once (a thread pool's size). `register()` caps the
   * type's concurrency at it, so that jobs wait in the dispatcher's priority order rather than in
   * the handler's own queue. Default: no cap.
   */
  readonly maxConcurrency?: number;
  execute(job: Job<P>, ctx: JobContext): Promise<R>;
}

/** How long to wait before a retry. */
export type Backoff =
  | {
      readonly type: 'exponential';
      /** Delay before the first retry; doubles each attempt. Default 1000. */
      readonly baseMs?: number;
      /** Upper bound of one delay. Default 60000. */
      readonly maxMs?: number;
      /** 'full' picks a delay uniformly in [0, computed] (spreads retry storms). Default 'full'. */
      readonly jitter?: 'full' | 'none';
    }
  | { readonly type: 'fixed'; readonly delayMs: number };

/** Per-type settings, given to `register(handler, options)`. */
export interface HandlerOptions {
  /** Most jobs of this type running at once in this dispatcher; capped by `workers`. Default: `workers`. */
  readonly concurrency?: number;
  /**
   * Abort the signal after this long; the attempt is then over. With no retry left the job is
   * `failed` with `JOB_TIMEOUT` at that moment (`wait()` does not wait for the handler); with a
   * retry left, the retry is written when the handler returns, so attempts never overlap. The
   * slot stays taken until the handler returns, and what it returns or throws after the deadline
   * is dropped. Default: no timeout. A job's own `timeoutMs` overrides it.
   */
  readonly timeoutMs?: number;
  /**
   * Further attempts after a failed one (a thrown error or a timeout; not a cancel, nor an
   * `UnrecoverableError`). Default 0. A job's own `retries` overrides it.
   */
  readonly retries?: number;
  /** Default `{ type: 'exponential', baseMs: 1000, maxMs: 60000, jitter: 'full' }`. */
  readonly backoff?: Backoff;
  /**
   * After a timeout or cancel aborts the signal, how long the handler may go on before a `stuck`
   * event reports it. Default 5000.
   */
  readonly stuckAfterMs?: number;
  /**
   * At most `max` starts of this type in any `perMs` window (a sliding window): over every process
   * of the queue on Redis, over the backend in process. Jobs of a limited type wait in the queue
   * (in priority order) and never hold back other types. Default: no limit.
   */
  readonly rateLimit?: RateLimit;
  /**
   * At most this many jobs of this type running at once over every process of the queue (on
   * Redis), over every dispatcher of the backend (in process). `concurrency` stays per dispatcher.
   * It counts running records: a slot frees when the job's end is written (finish, retry, release,
   * cancel, or on Redis its lease running out after its process died), so a job failed at its
   * timeout frees its global slot at the deadline even if its handler still runs (its process's
   * own slot stays taken until the handler returns). Default: no limit.
   */
  readonly globalConcurrency?: number;
}

/** `max` starts in any `perMs` window. */
export interface RateLimit {
  /** An integer >= 1. */
  readonly max: number;
  /** A whole number of milliseconds >= 1. */
  readonly perMs: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_MAX_MS = 60_000;
export const DEFAULT_STUCK_AFTER_MS = 5000;

export interface ResolvedHandlerOptions {
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
  readonly retries: number;
  readonly backoff:
    Required<Extract<Backoff, { type: 'exponential' }>> | Extract<Backoff, { type: 'fixed' }>;
  readonly stuckAfterMs: number;
  readonly rateLimit: RateLimit | undefined;
  readonly globalConcurrency: number | undefined;
}

export interface Registration {
  readonly handler: JobHandler;
  readonly options: ResolvedHandlerOptions;
}

export function resolveHandlerOptions(
  options: HandlerOptions,
  workers: number,
  handlerCap?: number,
): ResolvedHandlerOptions {
  const concurrency = options.concurrency ?? workers;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw invalidArgument('concurrency', 'an integer >= 1', concurrency);
  }
  if (handlerCap !== undefined && !(Number.isInteger(handlerCap) && handlerCap >= 1)) {
    throw invalidArgument('handler.maxConcurrency', 'an integer >= 1', handlerCap);
  }
  const { timeoutMs, retries = 0, stuckAfterMs = DEFAULT_STUCK_AFTER_MS } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalidArgument('timeoutMs', 'a number > 0', timeoutMs);
  }
  if (!Number.isInteger(retries) || retries < 0) {
    throw invalidArgument('retries', 'an integer >= 0', retries);
  }
  if (!(Number.isFinite(stuckAfterMs) && stuckAfterMs >= 0)) {
    throw invalidArgument('stuckAfterMs', 'a number >= 0', stuckAfterMs);
  }
  return {
    concurrency: Math.min(concurrency, Math.max(workers, 1), handlerCap ?? Infinity),
    timeoutMs,
    retries,
    backoff: resolveBackoff(options.backoff),
    stuckAfterMs,
    rateLimit: resolveRateLimit(options.rateLimit),
    globalConcurrency: resolveGlobalConcurrency(options.globalConcurrency),
  };
}

function resolveRateLimit(rateLimit: RateLimit | undefined): RateLimit | undefined {
  if (rateLimit === undefined) return undefined;
  if (rateLimit === null || typeof rateLimit !== 'object') {
    throw invalidArgument('rateLimit', 'an object { max, perMs }', rateLimit);
  }
  const { max, perMs } = rateLimit;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw invalidArgument('rateLimit.max', 'an integer >= 1', max);
  }
  if (!Number.isSafeInteger(perMs) || perMs < 1) {
    throw invalidArgument('rateLimit.perMs', 'an integer >= 1 (milliseconds)', perMs);
  }
  return { max, perMs };
}

function resolveGlobalConcurrency(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalidArgument('globalConcurrency', 'an integer >= 1', value);
  }
  return value;
}

function resolveBackoff(backoff: Backoff | undefined): ResolvedHandlerOptions['backoff'] {
  if (backoff === undefined || backoff.type === 'exponential') {
    const baseMs = backoff?.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    const maxMs = backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    const jitter = backoff?.jitter ?? 'full';
    if (!(Number.isFinite(baseMs) && baseMs >= 0))
      throw invalidArgument('backoff.baseMs', 'a number >= 0', baseMs);
    if (!(Number.isFinite(maxMs) && maxMs >= baseMs))
      throw invalidArgument('backoff.maxMs', `a number >= baseMs (${baseMs})`, maxMs);
    if (jitter !== 'full' && jitter !== 'none')
      throw invalidArgument('backoff.jitter', '"full" or "none"', jitter);
    return { type: 'exponential', baseMs, maxMs, jitter };
  }
  if (backoff.type === 'fixed') {
    if (!(Number.isFinite(backoff.delayMs) && backoff.delayMs >= 0)) {
      throw invalidArgument('backoff.delayMs', 'a number >= 0', backoff.delayMs);
    }
    return backoff;
  }
  throw invalidArgument(
    'backoff.type',
    '"exponential" or "fixed"',
    (backoff as { type: unknown }).type,
  );
}

/** The delay before retry number `retry` (1 for the first retry). */
export function backoffDelay(
  backoff: ResolvedHandlerOptions['backoff'],
  retry: number,
  random: () => number = Math.random,
): number {
  if (backoff.type === 'fixed') return backoff.delayMs;
  const computed = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (retry - 1));
  return backoff.jitter === 'full' ? Math.floor(random() * computed) : computed;
}

/**
 * The rules of `JobContext.progress`: percent a number 0-100, not below `last` (the previous report
 * of this attempt), message a string if given. Throws `INVALID_ARGUMENT` naming the rule and value.
 * One function, so a handler on a worker thread gets the same answer as one inline.
 */
export function checkProgress(percent: unknown, message: unknown, last: number): void {
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw invalidArgument('progress percent', 'a number 0-100', percent);
  }
  if (percent < last) {
    throw invalidArgument(
      'progress percent',
      `monotonic (not below the last report, ${last})`,
      percent,
    );
  }
  if (message !== undefined && typeof message !== 'string') {
    throw invalidArgument('progress message', 'a string', message);
  }
}

/** Routes a job type to its one handler. */
export class HandlerRegistry {
  private readonly byType = new Map<string, Registration>();

  add(handler: JobHandler, options: ResolvedHandlerOptions): void {
    const jobType: unknown = handler?.jobType;
    if (typeof jobType !== 'string' || jobType === '') {
      throw invalidArgument('handler.jobType', 'a non-empty string', jobType);
    }
    if (typeof handler.execute !== 'function') {
      throw invalidArgument('handler.execute', 'a function', typeof handler.execute);
    }
    if (this.byType.has(jobType)) {
      throw new DispatchError(
        'DUPLICATE_HANDLER',
        `a handler for job type "${jobType}" is already registered; each type has exactly one`,
      );
    }
    this.byType.set(jobType, { handler, options });
  }

  get(jobType: string): Registration | undefined {
    return this.byType.get(jobType);
  }

  types(): IterableIterator<string> {
    return this.byType.keys();
  }
}
