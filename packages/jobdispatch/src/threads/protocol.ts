/**
 * What the main thread and a handler thread say to each other about one job, and how errors
 * cross between them.
 *
 * Everything that crosses is structured-cloned, which keeps an Error's message but not its class:
 * an `UnrecoverableError` thrown in a thread would arrive as a plain `Error` and be retried. So
 * errors cross as `{ name, message, code }` and are rebuilt on the other side by name.
 *
 * One job, one `MessageChannel` (created by the main thread, its second port sent with the task):
 *
 *     thread ──progress──► main      main forwards it to ctx.progress, then answers `ack`
 *     thread ◄──ack──────  main      settles the thread's `ctx.progress()` promise
 *     thread ◄──abort────  main      the job's signal aborted (timeout, cancel, stop)
 *     thread ──result────► main      or `error`: how the handler ended; always the last message
 *
 * Progress and the result travel on the same port, so a job's progress never arrives after its
 * result. The abort is also flagged in a shared `Int32Array`, so that a handler busy in a
 * synchronous loop sees `ctx.signal.aborted` without yielding to its event loop.
 */
import { safeString } from '../describe.js';
import type { MessagePort } from 'node:worker_threads';
import { DispatchError, type DispatchErrorCode, UnrecoverableError } from '../errors.js';
import type { Job } from '../job.js';

/** Given to every thread of a pool when it starts (piscina's `workerData`). */
export interface ThreadSetup {
  /** The handler module's `file:` URL. */
  readonly module: string;
  /** The job type the pool was created for; the module's handler must declare the same. */
  readonly jobType: string;
  /** The pool's `workerData` option, as given (a structured clone): what `threadData()` returns. */
  readonly data?: unknown;
}

/**
 * A task for a pool thread: run one job, or load the handler module (`ready()`: one task per
 * thread, held at a barrier so that every thread takes one).
 */
export type ThreadTask =
  | {
      readonly kind: 'run';
      readonly job: Job;
      readonly workerId: number;
      readonly attempt: number;
      readonly port: MessagePort;
      /** Element 0 becomes 1 when the job's signal aborts. */
      readonly abortFlag: Int32Array;
    }
  | {
      readonly kind: 'load';
      /** Element 0 counts the threads that have loaded; each waits until it reaches `threads`. */
      readonly barrier: Int32Array;
      readonly threads: number;
    };

/** From the thread to the main thread. */
export type ThreadMessage =
  | {
      readonly kind: 'progress';
      readonly seq: number;
      readonly percent: number;
      readonly message?: string;
    }
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: SerializedError };

/** From the main thread to the thread. */
export type MainMessage =
  | { readonly kind: 'abort'; readonly reason: SerializedError }
  | { readonly kind: 'ack'; readonly seq: number; readonly error?: SerializedError };

/** An error reduced to what survives a structured clone and identifies its kind. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** `DispatchError.code`, or a Node.js error code such as `ENOENT`. */
  readonly code?: string;
  readonly stack?: string;
  /** The handler threw something that is not an Error; `message` is `String(value)`. */
  readonly notAnError?: true;
}

export function serializeError(error: unknown): SerializedError {
  try {
    if (!(error instanceof Error))
      return { name: 'Error', message: safeString(error), notAnError: true };
    const code: unknown = (error as { code?: unknown }).code;
    const { name, stack } = error;
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: safeString(error),
      ...(typeof code === 'string' && { code }),
      ...(typeof stack === 'string' && { stack }),
    };
  } catch {
    // A Proxy, or a getter that throws: the handler's value cannot be looked at.
    return { name: 'Error', message: safeString(error), notAnError: true };
  }
}

/**
 * The error to throw on this side: an `UnrecoverableError` or a `DispatchError` (with its code)
 * again, any other error as an `Error` with the same name, message and code. A thrown non-Error
 * comes back as its string, so the job records it as the inline handler would.
 */
export function rebuildError(serialized: SerializedError): unknown {
  if (serialized.notAnError === true) return serialized.message;
  let error: Error;
  if (serialized.name === 'UnrecoverableError') {
    error = new UnrecoverableError(serialized.message);
  } else if (serialized.name === 'DispatchError' && serialized.code !== undefined) {
    error = new DispatchError(serialized.code as DispatchErrorCode, serialized.message);
  } else {
    error = new Error(serialized.message);
    error.name = serialized.name;
    if (serialized.code !== undefined) Object.assign(error, { code: serialized.code });
  }
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
