/**
 * The thread's end of one job's channel: it builds the `JobContext` a handler gets inside a
 * thread, with the same contract as on the main thread.
 *
 * - `ctx.signal` aborts when the main thread's signal does, with a `DispatchError` reason of the
 *   same code (`JOB_TIMEOUT`, `JOB_CANCELLED`, `DISPATCHER_STOPPED`). Reading `signal.aborted`,
 *   `signal.reason` or calling `signal.throwIfAborted()` first checks the shared abort flag and
 *   takes the abort message off the port synchronously, so a CPU-bound loop that never yields
 *   still sees the abort. (Listeners on 'abort' need the thread's event loop, as anywhere.)
 * - `ctx.progress()` checks its arguments here and throws at once, as the inline context does;
 *   then it posts the report and resolves once the main thread has stored it.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { type JobContext, checkProgress } from '../handler.js';
import { type MainMessage, type ThreadMessage, rebuildError } from './protocol.js';

/** The prototype's getters, which read the signal's own state without polling. */
const nativeAborted = (signal: AbortSignal): boolean =>
  Reflect.get<AbortSignal, 'aborted'>(AbortSignal.prototype, 'aborted', signal);
const nativeReason = (signal: AbortSignal): unknown =>
  Reflect.get(AbortSignal.prototype, 'reason', signal);

export class ThreadLink {
  private readonly controller = new AbortController();
  private readonly acks = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  private seq = 0;
  private lastPercent = -1;
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    private readonly abortFlag: Int32Array,
  ) {
    port.on('message', (message: MainMessage) => this.receive(message));
    const signal = this.controller.signal;
    Object.defineProperties(signal, {
      aborted: { get: () => (this.poll(), nativeAborted(signal)) },
      reason: { get: () => (this.poll(), nativeReason(signal)) },
      throwIfAborted: {
        value: () => {
          this.poll();
          AbortSignal.prototype.throwIfAborted.call(signal);
        },
      },
    });
  }

  context(workerId: number, attempt: number): JobContext {
    return {
      signal: this.controller.signal,
      workerId,
      attempt,
      progress: (percent: number, message?: string) => this.progress(percent, message),
    };
  }

  /** Sends the handler's end; a result that cannot be cloned fails the job instead. */
  finish(message: ThreadMessage): void {
    try {
      this.port.postMessage(message);
    } catch (error) {
      this.port.postMessage({
        kind: 'error',
        error: {
          name: 'UnrecoverableError',
          message: `the handler's result must be structured-cloneable to leave its thread: ${(error as Error).message}`,
        },
      } satisfies ThreadMessage);
    }
  }

  /** Ends the job's channel; progress promises still waiting for their ack resolve. */
  close(): void {
    this.closed = true;
    for (const ack of this.acks.values()) ack.resolve();
    this.acks.clear();
    this.port.close();
  }

  /** Takes any pending messages off the port now, if the main thread flagged an abort. */
  private poll(): void {
    if (this.closed || Atomics.load(this.abortFlag, 0) === 0) return;
    if (nativeAborted(this.controller.signal)) return;
    for (
      let entry = receiveMessageOnPort(this.port);
      entry;
      entry = receiveMessageOnPort(this.port)
    ) {
      this.receive(entry.message as MainMessage);
    }
  }

  private receive(message: MainMessage): void {
    if (message.kind === 'abort') {
      if (!nativeAborted(this.controller.signal)) {
        this.controller.abort(rebuildError(message.reason));
      }
      return;
    }
    const ack = this.acks.get(message.seq);
    this.acks.delete(message.seq);
    if (message.error === undefined) ack?.resolve();
    else ack?.reject(rebuildError(message.error));
  }

  private progress(percent: number, message: string | undefined): Promise<void> {
    checkProgress(percent, message, this.lastPercent);
    this.lastPercent = percent;
    if (this.closed) return Promise.resolve();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.acks.set(seq, { resolve, reject });
      this.port.postMessage({
        kind: 'progress',
        seq,
        percent,
        ...(message !== undefined && { message }),
      } satisfies ThreadMessage);
    });
  }
}
