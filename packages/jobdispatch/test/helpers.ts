/** Test helpers: gates, event waits and a recording handler. No sleeps. */
import type {
  Dispatcher,
  Job,
  JobContext,
  JobEvent,
  JobEventType,
  JobHandler,
} from '../src/index.js';

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with the first event matching `predicate`; rejects after `limitMs` as a safety net. */
export function nextEvent(
  dispatcher: Dispatcher,
  predicate: (event: JobEvent) => boolean,
  limitMs = 10_000,
): Promise<JobEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${limitMs} ms`));
    }, limitMs);
    const off = dispatcher.on('*', (event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

export const eventOf =
  (type: JobEventType, jobId?: string) =>
  (event: JobEvent): boolean =>
    event.type === type && (jobId === undefined || event.jobId === jobId);

/** A handler that records what it ran, in order, and runs `body` for each job. */
export class RecordingHandler<P = unknown, R = unknown> implements JobHandler<P, R> {
  readonly ran: string[] = [];
  running = 0;
  maxRunning = 0;

  constructor(
    readonly jobType: string,
    private readonly body: (job: Job<P>, ctx: JobContext) => Promise<R> = () =>
      Promise.resolve(undefined as R),
  ) {}

  async execute(job: Job<P>, ctx: JobContext): Promise<R> {
    this.ran.push(job.id);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.body(job, ctx);
    } finally {
      this.running--;
    }
  }
}

/** Resolves once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
