/**
 * Running one claimed job: route it to its handler, enforce its timeout, renew its lease, turn
 * `ctx.progress` into records and events, and write how it ended: completed, failed, retried after
 * a backoff, or cancelled.
 *
 * One `JobRun` holds the whole run, in explicit states:
 *
 *     claimed ──► running ──► returned ──► ended
 *        │           ├──────► lost       (the lease was lost: another worker may run it)
 *        │           ├──────► expired    (its timeout passed, no retry left: failed at the deadline)
 *        │           └──────► abandoned  (the stop deadline passed: the dispatcher wrote its end)
 *        └──────────────────► returned   (no handler, or cancelled before its handler started)
 *
 * Only `returned` writes an outcome after the handler; `lost`, `expired` and `abandoned` write
 * nothing more, so a result or error that comes back after the timeout is dropped (fenced by the
 * state, and on Redis also by the claim token, since the deadline's write released the lease).
 * The slot stays taken until the handler really returns, even after a timeout or cancel aborted
 * its signal: concurrency never lies. A handler that ignores its aborted signal for longer than
 * `stuckAfterMs` is reported by a `stuck` event (it keeps its slot).
 *
 * Timeouts bound the wait. At `timeoutMs` the signal aborts and the attempt is over:
 * - with no retry left, the run becomes `expired` and the job is written `failed` with
 *   `JOB_TIMEOUT` at once, so `wait()` ends at the deadline, not when the handler returns;
 * - with a retry left, nothing is written yet: the lease stays held (and renewed) and the slot
 *   taken while the handler still runs, and the retry is written when the handler returns, so no
 *   process can claim the next attempt while the previous one's handler runs. Two attempts of one
 *   job never overlap. Its value or error is ignored: the attempt counts as timed out.
 */
import type { Backend, Claim, ImmediateBackend, Outcome } from './backend.js';
import { DispatchError, UnrecoverableError, toJobError } from './errors.js';
import { safeString } from './describe.js';
import type { NewJobEvent } from './events.js';
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
  /** The backend's synchronous submit, claim and finish, when it has them (see backend.ts). */
  readonly immediate: ImmediateBackend | undefined;
  readonly registry: HandlerRegistry;
  readonly now: () => number;
  readonly random: () => number;
  /** Where failures that belong to no caller go (a backend write that failed). */
  readonly reportError: (error: unknown) => void;
}

export type RunState =
  'claimed' | 'running' | 'returned' | 'lost' | 'expired' | 'abandoned' | 'ended';

export type AbortCode = 'JOB_CANCELLED' | 'JOB_TIMEOUT' | 'DISPATCHER_STOPPED' | 'LEASE_LOST';

/**
 * One run of a claimed job. Its AbortController is made on first use of `signal`: most handlers
 * never read it, and a controller with its signal costs more than the rest of a no-op job's
 * bookkeeping.
 */
export class JobRun {
  private current: RunState = 'claimed';
  private controller: AbortController | undefined;
  private reason: DispatchError | undefined;
  /** Its timeout and stuck timers; made on the first (most runs have none). */
  private timers: NodeJS.Timeout[] | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private stuckAfterMs: number | undefined;
  private handlerDone = false;

  constructor(
    readonly claim: Claim,
    readonly workerId: number,
    private readonly deps: WorkerDeps,
    /**
     * Called once, when the handler has returned (or will never be called): the slot frees. One
     * function for every run (the scheduler's), handed the run, so a run makes no closure.
     */
    private readonly onReturned: (run: JobRun) => void,
  ) {}

  get state(): RunState {
    return this.current;
  }

  /** The handler's `ctx.signal`: aborted, with the DispatchError as its reason, by `abort()`. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get abortCode(): AbortCode | undefined {
    return this.reason?.code as AbortCode | undefined;
  }

  /** Aborts the handler's signal (first reason wins); a running handler is watched for `stuck`. */
  abort(code: AbortCode, message: string): void {
    if (this.reason !== undefined) return;
    this.reason = new DispatchError(code, message, { jobId: this.claim.job.id });
    this.controller?.abort(this.reason);
    if (this.current === 'running' && this.stuckAfterMs !== undefined) {
      const stuckAfterMs = this.stuckAfterMs;
      // A report, not work: it must not keep the process alive.
      this.timer(setTimeout(() => this.reportStuck(stuckAfterMs), stuckAfterMs).unref());
    }
  }

  /**
   * The handler is about to be called, with these settings. `onTimeout` runs at the deadline,
   * after the signal aborted (unless another reason aborted it first).
   */
  start(timeoutMs: number | undefined, stuckAfterMs: number, onTimeout?: () => void): void {
    this.current = 'running';
    this.stuckAfterMs = stuckAfterMs;
    if (timeoutMs !== undefined) {
      this.timer(
        setTimeout(() => {
          if (this.reason !== undefined) return; // cancelled, lost or stopping: that reason rules
          this.abort('JOB_TIMEOUT', `job exceeded its timeout of ${timeoutMs} ms`);
          onTimeout?.();
        }, timeoutMs),
      );
    }
    const leaseMs = this.deps.backend.leaseMs;
    if (leaseMs !== undefined) {
      const renew = (): void => {
        this.deps.backend.renew(this.claim).then((result) => {
          if (result === 'lost') this.lose();
          else if (result === 'cancel-requested')
            this.abort('JOB_CANCELLED', 'the job was cancelled');
        }, this.deps.reportError);
      };
      this.renewTimer = setInterval(renew, Math.max(10, Math.floor(leaseMs / 3)));
    }
  }

  /**
   * At the timeout, with no retry left: the attempt is over and its end is written now; the
   * handler's late return writes nothing. The lease is no longer renewed (the write ends it); the
   * slot stays taken and the `stuck` report armed. False when the run is no longer running.
   */
  expire(): boolean {
    if (this.current !== 'running') return false;
    this.current = 'expired';
    clearInterval(this.renewTimer);
    return true;
  }

  /**
   * The handler returned or threw (or will never be called): its slot frees, once. A run that was
   * lost or abandoned meanwhile stays so (it writes nothing).
   */
  returned(): void {
    this.stopTimers();
    if (this.current === 'claimed' || this.current === 'running') this.current = 'returned';
    if (this.handlerDone) return;
    this.handlerDone = true;
    this.onReturned(this);
  }

  /**
   * At the stop deadline: the dispatcher writes this job's end itself. False when the handler has
   * already returned (its outcome is being written).
   */
  abandon(): boolean {
    if (this.current !== 'claimed' && this.current !== 'running') return false;
    this.current = 'abandoned';
    this.stopTimers();
    this.abort('DISPATCHER_STOPPED', 'the dispatcher stopped before the job finished');
    return true;
  }

  /** The outcome is written (or was not to be written). */
  end(): void {
    if (this.current === 'returned') this.current = 'ended';
  }

  /** Whether `ctx.progress` may still write. */
  get live(): boolean {
    return this.current === 'running';
  }

  private lose(): void {
    if (this.current !== 'running') return;
    this.current = 'lost';
    this.abort('LEASE_LOST', 'the lease on this job was lost; another worker may run it');
  }

  private timer(timer: NodeJS.Timeout): void {
    (this.timers ??= []).push(timer);
  }

  private stopTimers(): void {
    if (this.timers !== undefined) for (const timer of this.timers.splice(0)) clearTimeout(timer);
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
  }

  private reportStuck(stuckAfterMs: number): void {
    if (this.handlerDone) return;
    const job = this.claim.job;
    const event: NewJobEvent = {
      type: 'stuck',
      jobId: job.id,
      name: job.name,
      priority: job.priority,
      at: this.deps.now(),
      attempt: job.attempts,
      error: {
        code: this.abortCode ?? 'JOB_FAILED',
        message: `the handler has ignored its aborted signal for ${stuckAfterMs} ms; its slot stays taken`,
      },
    };
    this.deps.backend.publish(event).catch(this.deps.reportError);
  }
}

type HandlerResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs the job to its end and writes the outcome, then calls `onEnded` (one function for every
 * run, so that the caller makes no closure per job). Never throws, and `onEnded` is always called.
 *
 * Not an async function: a job that runs and completes costs one `then` on the handler's promise
 * and one on the backend's write, instead of a suspended frame per step (`drive`, `settle`,
 * `write` as async functions allocated about 2.5 kB per job). The rarer ends (no handler,
 * cancelled before it started, timeouts, failures and retries) go through the async steps below.
 */
export function runJob(deps: WorkerDeps, run: JobRun, onEnded: (run: JobRun) => void): void {
  new Execution(deps, run, onEnded).begin();
}

/**
 * The steps of `runJob`, as methods: callbacks are small inline arrows calling them, so a run makes
 * no named closure (under `tsx`, every named closure also costs a `defineProperty` of its name).
 */
class Execution {
  private expiredWrite: Promise<void> | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly run: JobRun,
    private readonly onEnded: (run: JobRun) => void,
  ) {}

  begin(): void {
    const { deps, run } = this;
    try {
      const job = run.claim.job;
      const registration = deps.registry.get(job.name);
      if (registration === undefined || run.abortCode === 'JOB_CANCELLED') {
        this.await(preempted(deps, run, registration));
        return;
      }
      const timeoutMs = job.timeoutMs ?? registration.options.timeoutMs;
      run.start(timeoutMs, registration.options.stuckAfterMs, () => {
        if (retriesLeft(job, registration) || !run.expire()) return;
        const error = { code: 'JOB_TIMEOUT', message: `timed out after ${String(timeoutMs)} ms` };
        this.expiredWrite = write(deps, run, { status: 'failed', error });
      });
      let handled: Promise<unknown>;
      try {
        handled = Promise.resolve(registration.handler.execute(job, context(deps, run)));
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the handler threw, as it was
        handled = Promise.reject(error);
      }
      handled.then(
        (value: unknown) => this.returned(registration, timeoutMs, { ok: true, value }),
        (error: unknown) => this.returned(registration, timeoutMs, { ok: false, error }),
      );
    } catch (error) {
      this.failed(error);
    }
  }

  /** The handler returned or threw: write the outcome that is this run's to write. */
  private returned(
    registration: Registration,
    timeoutMs: number | undefined,
    result: HandlerResult,
  ): void {
    const { deps, run } = this;
    try {
      run.returned();
      if (this.expiredWrite !== undefined) {
        this.await(this.expiredWrite); // expired: the deadline's write is its end
      } else if (run.state !== 'returned') {
        this.finished(); // lost or abandoned: its end is not this run's to write
      } else if (result.ok && run.abortCode === undefined) {
        const outcome = { status: 'completed', result: result.value } as const;
        const immediate = deps.immediate;
        if (immediate === undefined) {
          this.await(deps.backend.finish(run.claim, outcome));
        } else {
          immediate.finish(run.claim, outcome); // false (no longer held) ends the run alike
          this.finished();
        }
      } else {
        this.await(settleOrFail(deps, run, registration, timeoutMs, result));
      }
    } catch (error) {
      this.failed(error);
    }
  }

  private await(written: Promise<unknown>): void {
    written.then(
      () => this.finished(),
      (error: unknown) => this.failed(error),
    );
  }

  private finished(): void {
    end(this.deps, this.run, this.onEnded);
  }

  private failed(error: unknown): void {
    this.deps.reportError(error);
    this.finished();
  }
}

/** The run is over: its slot frees (if the handler had not returned yet), then `onEnded`. */
function end(deps: WorkerDeps, run: JobRun, onEnded: (run: JobRun) => void): void {
  try {
    run.returned();
    run.end();
  } catch (error) {
    deps.reportError(error); // never expected; the slot must still free, the process live on
  }
  onEnded(run);
}

/** Ends a job no handler will run: its type has none, or it was cancelled before it started. */
async function preempted(
  deps: WorkerDeps,
  run: JobRun,
  registration: Registration | undefined,
): Promise<void> {
  run.returned();
  if (registration === undefined) {
    const error = {
      code: 'UNKNOWN_JOB_TYPE',
      message: `no handler is registered for job type "${run.claim.job.name}"`,
    };
    await write(deps, run, { status: 'failed', error });
    return;
  }
  const error = { code: 'JOB_CANCELLED', message: 'cancelled before its handler started' };
  await write(deps, run, { status: 'cancelled', error });
}

/** Settles an attempt that did not simply complete; if that fails, the job fails with what is known. */
async function settleOrFail(
  deps: WorkerDeps,
  run: JobRun,
  registration: Registration,
  timeoutMs: number | undefined,
  result: HandlerResult,
): Promise<void> {
  try {
    await settle(deps, run, registration, timeoutMs, result);
  } catch (error) {
    // Whatever went wrong while settling, the job ends: failed, with what is known.
    deps.reportError(error);
    const message = `the outcome of the job could not be recorded: ${safeString(error)}`;
    await write(deps, run, { status: 'failed', error: { code: 'JOB_FAILED', message } });
  }
}

async function settle(
  deps: WorkerDeps,
  run: JobRun,
  registration: Registration,
  timeoutMs: number | undefined,
  result: HandlerResult,
): Promise<void> {
  const code = run.abortCode;
  if (code === 'JOB_CANCELLED') {
    const error = { code: 'JOB_CANCELLED', message: 'cancelled while running' };
    await write(deps, run, { status: 'cancelled', error });
    return;
  }
  let error: JobError;
  if (code === 'JOB_TIMEOUT') {
    error = { code, message: `timed out after ${String(timeoutMs)} ms` };
  } else if (result.ok) {
    await write(deps, run, { status: 'completed', result: result.value });
    return;
  } else {
    error = toJobError(result.error);
  }
  const job = run.claim.job;
  const attempt = job.attempts - (job.attemptsAtRequeue ?? 0);
  const retryable = !(!result.ok && isUnrecoverable(result.error));
  if (retryable && retriesLeft(job, registration)) {
    const delayMs = backoffDelay(registration.options.backoff, attempt, deps.random);
    try {
      await deps.backend.retry(run.claim, error, delayMs);
    } catch (cause) {
      deps.reportError(cause);
    }
    return;
  }
  await write(deps, run, { status: 'failed', error });
}

/** Whether a failed attempt of this job may be retried. */
function retriesLeft(job: Claim['job'], registration: Registration): boolean {
  // The budget counts from the latest admin retry, if any; `attempts` itself keeps counting.
  const attempt = job.attempts - (job.attemptsAtRequeue ?? 0);
  return attempt <= (job.retries ?? registration.options.retries);
}

async function write(deps: WorkerDeps, run: JobRun, outcome: Outcome): Promise<void> {
  try {
    await deps.backend.finish(run.claim, outcome);
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

function context(deps: WorkerDeps, run: JobRun): JobContext {
  return new RunContext(deps, run);
}

/**
 * A handler's `ctx`: one object per run, its methods on the prototype (no closures per job), its
 * signal made only when read.
 */
class RunContext implements JobContext {
  readonly workerId: number;
  readonly attempt: number;
  private last = -1;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly run: JobRun,
  ) {
    this.workerId = run.workerId;
    this.attempt = run.claim.job.attempts;
  }

  get signal(): AbortSignal {
    return this.run.signal;
  }

  progress(percent: number, message?: string): Promise<void> {
    checkProgress(percent, message, this.last);
    this.last = percent;
    if (!this.run.live) return Promise.resolve();
    const progress = message === undefined ? { percent } : { percent, message };
    return this.deps.backend.progress(this.run.claim, progress).catch(this.deps.reportError);
  }
}
