/**
 * Threaded handlers: a `JobHandler` whose work runs on a pool of worker threads (piscina), so
 * that CPU-bound jobs run in parallel on all cores and the main thread's event loop stays free.
 *
 * The dispatcher still decides what runs next (priority, per-type concurrency, dedup): the
 * handler declares `maxConcurrency` = its thread count, so a job only starts when a thread is
 * free and never waits in a queue of the pool's own. Each job's abort (timeout, cancel, stop) is
 * forwarded into its thread; a thread that has not returned `graceMs` later is terminated and the
 * pool starts a new one, so the pool keeps its size. A thread that dies under a job fails only
 * that job.
 *
 * Job params and results cross to and from the thread as structured clones: they must be
 * cloneable (plain data, Date, Map, typed arrays; no functions), else the job fails without
 * retries. Threads start with the first job, or with `ready()`. Idle threads do not keep the
 * process alive, so `Dispatcher.stop()` is enough to let it exit; `close()` ends them at once.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { DispatchError, invalidArgument } from '../errors.js';
import type { JobContext, JobHandler } from '../handler.js';
import type { Job } from '../job.js';
import { JobRun } from './job-run.js';
import { loadPiscina } from './piscina.js';
import {
  type SerializedError,
  type ThreadSetup,
  type ThreadTask,
  rebuildError,
} from './protocol.js';

/** How long a job may go on after its signal aborted before its thread is terminated. */
export const DEFAULT_GRACE_MS = 1000;

export interface ThreadedHandlerOptions {
  /** The job `name` this handler runs; the module's handler must declare the same `jobType`. */
  readonly jobType: string;
  /**
   * The module the threads load: a `file:` URL or an absolute path, typically
   * `new URL('./planning-handler.js', import.meta.url)`. Its default export is a `JobHandler`
   * (`{ jobType, execute(job, ctx) }`). When that `.js` file does not exist but a `.ts` file of
   * the same name does (running from sources), the `.ts` file is loaded.
   */
  readonly module: URL | string;
  /** Threads in this type's pool. Default: `os.availableParallelism()`. */
  readonly threads?: number;
  /** After a job's signal aborts, how long it may take to return before its thread is terminated. Default 1000. */
  readonly graceMs?: number;
  /** Memory limits per thread; a thread that passes them dies and fails its job. Default: Node's. */
  readonly resourceLimits?: ResourceLimits;
  /** Where errors that belong to no job go (a thread failing while idle). Default: a process warning. */
  readonly onError?: (error: unknown) => void;
  /**
   * Configuration for the handler module, given to every thread of the pool when it starts (a
   * structured clone: plain data, no functions) and read in the module with `threadData()`. The
   * place for what every job of the type shares (settings, a data source's location), so that the
   * thread reads neither the environment nor each job's params for it. Default: none.
   */
  readonly workerData?: unknown;
}

export interface ThreadPoolStats {
  /** Live threads (after a termination or a crash, the replacement is counted at once). */
  readonly threads: number;
  /** Jobs running on a thread now. */
  readonly running: number;
  /** Threads terminated because their job did not return within `graceMs` of its abort. */
  readonly terminated: number;
  /** Threads that died under a job (process.exit, out of memory, an uncaught error). */
  readonly crashed: number;
}

export interface ThreadedHandler<P = unknown, R = unknown> extends JobHandler<P, R> {
  /** The pool size. */
  readonly threads: number;
  /** Equal to `threads`: `register()` caps the type's concurrency at it. */
  readonly maxConcurrency: number;
  /**
   * Starts the threads and resolves once every one has loaded the module (after any job running
   * on them ends); rejects if the module cannot be used. Optional: threads also start with the
   * first job, but a job's timeout then includes that start.
   */
  ready(): Promise<void>;
  stats(): ThreadPoolStats;
  /** Terminates every thread now; jobs still running on them fail. Final; safe to call twice. */
  close(): Promise<void>;
}

/** A handler for `options.jobType` that runs `options.module`'s handler on worker threads. */
export function threadedHandler<P = unknown, R = unknown>(
  options: ThreadedHandlerOptions,
): ThreadedHandler<P, R> {
  return new PooledHandler<P, R>(options);
}

class PooledHandler<P, R> implements ThreadedHandler<P, R> {
  readonly jobType: string;
  readonly threads: number;
  readonly maxConcurrency: number;
  private readonly graceMs: number;
  private readonly setup: ThreadSetup;
  private readonly options: ThreadedHandlerOptions;
  private pool: Piscina<ThreadTask, unknown> | undefined;
  private readonly Pool: typeof Piscina;
  private closed = false;
  private running = 0;
  private terminated = 0;
  private crashed = 0;

  constructor(options: ThreadedHandlerOptions) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument('threadedHandler options', 'an object', options);
    }
    const { jobType, threads = availableParallelism(), graceMs = DEFAULT_GRACE_MS } = options;
    if (typeof jobType !== 'string' || jobType === '') {
      throw invalidArgument('jobType', 'a non-empty string', jobType);
    }
    if (!Number.isInteger(threads) || threads < 1) {
      throw invalidArgument('threads', 'an integer >= 1', threads);
    }
    if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
      throw invalidArgument('graceMs', 'a number >= 0', graceMs);
    }
    this.jobType = jobType;
    this.threads = threads;
    this.maxConcurrency = threads;
    this.graceMs = graceMs;
    this.options = options;
    this.setup = {
      module: resolveModule(options.module),
      jobType,
      ...(options.workerData !== undefined && { data: cloneable(options.workerData) }),
    };
    this.Pool = loadPiscina();
  }

  async execute(job: Job<P>, ctx: JobContext): Promise<R> {
    const pool = this.open();
    const run = new JobRun(job, ctx, this.graceMs);
    this.running++;
    try {
      return (await run.run(pool)) as R;
    } catch (error) {
      if (run.end === 'crashed' && this.closed) {
        throw new DispatchError(
          'JOB_FAILED',
          `the threaded handler for "${this.jobType}" was closed while the job ran`,
          { cause: error, jobId: job.id },
        );
      }
      throw error;
    } finally {
      this.running--;
      if (run.end === 'terminated') this.terminated++;
      if (run.end === 'crashed' && !this.closed) this.crashed++;
    }
  }

  async ready(): Promise<void> {
    const pool = this.open();
    const barrier = new Int32Array(new SharedArrayBuffer(4));
    const task = { kind: 'load', barrier, threads: this.threads } as const;
    const loads = Array.from({ length: this.threads }, () => pool.run(task));
    for (const failure of await Promise.all(loads)) {
      if (failure !== undefined) throw rebuildError(failure as SerializedError);
    }
  }

  stats(): ThreadPoolStats {
    return {
      threads: this.pool?.threads.length ?? 0,
      running: this.running,
      terminated: this.terminated,
      crashed: this.crashed,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private open(): Piscina<ThreadTask, unknown> {
    if (this.closed) {
      throw new DispatchError(
        'JOB_FAILED',
        `the threaded handler for "${this.jobType}" is closed; its threads have ended`,
      );
    }
    if (this.pool === undefined) {
      const onError =
        this.options.onError ??
        ((error: unknown) =>
          process.emitWarning(`jobdispatch: a "${this.jobType}" thread failed: ${String(error)}`));
      this.pool = new this.Pool<ThreadTask, unknown>({
        filename: ENTRY,
        minThreads: this.threads,
        maxThreads: this.threads,
        workerData: this.setup,
        ...(this.options.resourceLimits !== undefined && {
          resourceLimits: this.options.resourceLimits,
        }),
      });
      this.pool.on('error', onError);
    }
    return this.pool;
  }
}

/** The thread entry next to this file: `.ts` when running from sources, `.js` when built. */
const ENTRY = (() => {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), `thread-entry${extname(here) === '.ts' ? '.ts' : '.js'}`);
})();

const SOURCE_TWINS: Readonly<Record<string, string>> = {
  '.js': '.ts',
  '.mjs': '.mts',
  '.cjs': '.cts',
};

/** The module's `file:` URL; a `.js` URL whose file is missing falls back to its `.ts` source. */
function resolveModule(module: URL | string): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module.startsWith('file:')) url = new URL(module);
  else if (typeof module === 'string' && isAbsolute(module)) url = pathToFileURL(module);
  else throw invalidArgument('module', 'a file: URL or an absolute path', module);
  if (url.protocol !== 'file:') throw invalidArgument('module', 'a file: URL', url.href);
  const path = fileURLToPath(url);
  if (existsSync(path)) return url.href;
  const ext = extname(path);
  const twin =
    SOURCE_TWINS[ext] !== undefined ? path.slice(0, -ext.length) + SOURCE_TWINS[ext] : undefined;
  if (twin !== undefined && existsSync(twin)) return pathToFileURL(twin).href;
  throw invalidArgument('module', 'an existing file', path);
}

/** The `workerData` option checked here, where its error can name it (a pool would fail later). */
function cloneable(data: unknown): unknown {
  try {
    return structuredClone(data);
  } catch (error) {
    throw invalidArgument(
      'workerData',
      `structured-cloneable data (${(error as Error).message})`,
      data,
    );
  }
}
