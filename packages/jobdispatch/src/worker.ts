/**
 * Running one claimed job (the seed's GenericWorker, one job at a time): route it to its handler,
 * enforce its timeout, renew its lease, turn `ctx.progress` into records and events, and write
 * how it ended: completed, failed, retried after a backoff, or cancelled.
 *
 * The slot stays taken until the handler really returns, even after a timeout or cancel aborted
 * its signal: concurrency never lies. A handler that ignores its aborted signal for longer than
 * `stuckAfterMs` is reported by a `stuck` event (it keeps its slot).
 */
import type { Backend, Claim, Outcome, SubmitOptions } from './backend.js';
import { DispatchError, UnrecoverableError, isDispatchError } from './errors.js';
import { safeString, thrownToJobError } from './describe.js';
import type { JobEvent } from './events.js';
import type { JobError } from './job.js';
import {
  checkProgress,
  type HandlerRegistry,
  type JobContext,
  type Registration,
  backoffDelay,
} from './handler.js';

export interface WorkerDeps {
  readonly backend: Backend;
  readonly registry: HandlerRegistry;
  readonly submitOptions: SubmitOptions;
  readonly now: () => number;
  readonly random: () => number;
  /** Where failures that belong to no caller go (a backend write that failed). */
  readonly reportError: (error: unknown) => void;
}

/**
 * A job this dispatcher is running. Its AbortController is made on first use of `signal`: most
 * handlers never read it, and a controller with its signal costs more than the rest of a no-op
 * job's bookkeeping.
 */
export class ActiveJob {
  private controller: AbortController | undefined;
  private reason: DispatchError | undefined;
  /** Called once, when the job is first aborted. */
  onAbort: (() => void) | undefined;
  /** The dispatcher already wrote this job's end (shutdown deadline): the worker writes nothing. */
  abandoned = false;
  /** Another process took the job over (lease lost): the worker writes nothing. */
  lost = false;
  /** Set once the handler has returned or thrown (or was never called). */
  returned = false;
  /**
   * Called once, when the handler has returned: its slot may take the next job while the outcome
   * is written (the write is a round trip on a remote backend).
   */
  onReturned: (() => void) | undefined;
  /** Stops this job's timers (timeout, stuck report, lease renewal). */
  stopTimers: () => void = () => undefined;

  constructor(
    readonly claim: Claim,
    readonly workerId: number,
  ) {}

  /** The handler's `ctx.signal`: aborted, with the DispatchError as its reason, by `abort()`. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(
    code: 'JOB_CANCELLED' | 'JOB_TIMEOUT' | 'DISPATCHER_STOPPED' | 'LEASE_LOST',
    message: string,
  ): void {
    if (this.reason !== undefined) return;
    this.reason = new DispatchError(code, message, { jobId: this.claim.job.id });
    this.controller?.abort(this.reason);
    this.onAbort?.();
  }

  get abortCode(): string | undefined {
    return this.reason?.code;
  }

  markReturned(): void {
    if (this.returned) return;
    this.returned = true;
    this.onReturned?.();
  }
}

/** Runs the job to its end and writes the outcome. Never rejects. */
export async function runJob(deps: WorkerDeps, active: ActiveJob): Promise<void> {
  const job = active.claim.job;
  const registration = deps.registry.get(job.name);
  if (registration === undefined) {
    const error = {
      code: 'UNKNOWN_JOB_TYPE',
      message: `no handler is registered for job type "${job.name}"`,
    };
    active.markReturned();
    await write(deps, active, { status: 'failed', error });
    return;
  }
  if (active.abortCode === 'JOB_CANCELLED') {
    const error = { code: 'JOB_CANCELLED', message: 'cancelled before its handler started' };
    active.markReturned();
    await write(deps, active, { status: 'cancelled', error });
    return;
  }
  active.stopTimers = startTimers(deps, active, registration);
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    const value = await registration.handler.execute(job, context(deps, active));
    outcome = { ok: true, value };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    active.stopTimers();
    active.markReturned();
  }
  if (active.abandoned || active.lost) return;
  try {
    await settle(deps, active, registration, outcome);
  } catch (error) {
    // Whatever went wrong while settling, the job ends: failed, with what is known.
    deps.reportError(error);
    const message = `the outcome of the job could not be recorded: ${safeString(error)}`;
    await write(deps, active, { status: 'failed', error: { code: 'JOB_FAILED', message } });
  }
}

async function settle(
  deps: WorkerDeps,
  active: ActiveJob,
  registration: Registration,
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
): Promise<void> {
  const code = active.abortCode;
  if (code === 'JOB_CANCELLED') {
    const error = { code: 'JOB_CANCELLED', message: 'cancelled while running' };
    await write(deps, active, { status: 'cancelled', error });
    return;
  }
  let error: JobError;
  if (code === 'JOB_TIMEOUT') {
    error = { code, message: `timed out after ${String(registration.options.timeoutMs)} ms` };
  } else if (outcome.ok) {
    await write(deps, active, { status: 'completed', result: outcome.value });
    return;
  } else {
    error = toJobError(outcome.error);
  }
  const attempt = active.claim.job.attempts;
  const retryable = !(!outcome.ok && isUnrecoverable(outcome.error));
  if (retryable && attempt <= registration.options.retries) {
    const delayMs = backoffDelay(registration.options.backoff, attempt, deps.random);
    try {
      await deps.backend.retry(active.claim, error, delayMs);
    } catch (cause) {
      deps.reportError(cause);
    }
    return;
  }
  await write(deps, active, { status: 'failed', error });
}

async function write(deps: WorkerDeps, active: ActiveJob, outcome: Outcome): Promise<void> {
  try {
    await deps.backend.finish(active.claim, outcome, deps.submitOptions);
  } catch (error) {
    deps.reportError(error);
  }
}

function isUnrecoverable(error: unknown): boolean {
  try {
    return error instanceof UnrecoverableError;
  } catch {
    return false; // a Proxy whose getPrototypeOf throws
  }
}

/** Never throws, whatever the handler threw (see describe.ts). */
function toJobError(error: unknown): JobError {
  return thrownToJobError(error, (value) => isDispatchError(value));
}

function context(deps: WorkerDeps, active: ActiveJob): JobContext {
  let last = -1;
  return {
    get signal() {
      return active.signal;
    },
    workerId: active.workerId,
    attempt: active.claim.job.attempts,
    progress(percent: number, message?: string): Promise<void> {
      checkProgress(percent, message, last);
      last = percent;
      if (active.returned || active.abandoned || active.lost) return Promise.resolve();
      const progress = message === undefined ? { percent } : { percent, message };
      return deps.backend.progress(active.claim, progress).catch(deps.reportError);
    },
  };
}

/** Starts the timeout and lease-renewal timers; returns the function that stops them all. */
function startTimers(deps: WorkerDeps, active: ActiveJob, registration: Registration): () => void {
  const timers: NodeJS.Timeout[] = [];
  const { timeoutMs, stuckAfterMs } = registration.options;
  active.onAbort = (): void => {
    // A report, not work: it must not keep the process alive.
    timers.push(setTimeout(() => reportStuck(deps, active, stuckAfterMs), stuckAfterMs).unref());
  };
  if (timeoutMs !== undefined) {
    timers.push(
      setTimeout(
        () => active.abort('JOB_TIMEOUT', `job exceeded its timeout of ${timeoutMs} ms`),
        timeoutMs,
      ),
    );
  }
  const leaseMs = deps.backend.leaseMs;
  if (leaseMs !== undefined) {
    const renew = (): void => {
      deps.backend.renew(active.claim).then((result) => {
        if (result === 'lost') {
          active.lost = true;
          active.abort('LEASE_LOST', 'the lease on this job was lost; another worker may run it');
        } else if (result === 'cancel-requested') {
          active.abort('JOB_CANCELLED', 'the job was cancelled');
        }
      }, deps.reportError);
    };
    timers.push(setInterval(renew, Math.max(10, Math.floor(leaseMs / 3))));
  }
  return () => {
    active.onAbort = undefined;
    for (const timer of timers) clearTimeout(timer);
  };
}

function reportStuck(deps: WorkerDeps, active: ActiveJob, stuckAfterMs: number): void {
  if (active.returned) return;
  const job = active.claim.job;
  const event: JobEvent = {
    type: 'stuck',
    jobId: job.id,
    name: job.name,
    priority: job.priority,
    at: deps.now(),
    attempt: job.attempts,
    error: {
      code: active.abortCode ?? 'JOB_FAILED',
      message: `the handler has ignored its aborted signal for ${stuckAfterMs} ms; its slot stays taken`,
    },
  };
  deps.backend.publish(event).catch(deps.reportError);
}
