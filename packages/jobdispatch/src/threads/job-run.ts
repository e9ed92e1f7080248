/**
 * The main thread's side of one job running on a pool thread: it sends the job with its end of a
 * fresh channel, forwards progress to the job's real context (the record and ordered events),
 * forwards an abort into the thread, and enforces the grace period.
 *
 *     running ──signal aborts──► aborted ──handler returns within graceMs──► ended
 *        │                          └────graceMs passes──► thread terminated ──► ended (the abort reason)
 *        ├──handler returns or throws──► ended (its result, or its error rebuilt)
 *        └──thread dies (exit, out of memory)──► ended (JOB_FAILED: the thread died)
 *
 * Whatever happens, progress received from the thread is written before `run()` settles, so it
 * lands on the record before the job's end does.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { DispatchError, UnrecoverableError } from '../errors.js';
import type { JobContext } from '../handler.js';
import type { Job } from '../job.js';
import {
  type MainMessage,
  type ThreadMessage,
  type ThreadTask,
  rebuildError,
  serializeError,
} from './protocol.js';

export type RunEnd = 'returned' | 'terminated' | 'crashed';

export class JobRun {
  private readonly channel = new MessageChannel();
  private readonly abortFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly terminate = new AbortController();
  private readonly writes = new Set<Promise<void>>();
  private outcome: ThreadMessage | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** How the thread's work ended; set when `run()` settles. */
  end: RunEnd = 'returned';

  constructor(
    private readonly job: Job,
    private readonly ctx: JobContext,
    private readonly graceMs: number,
  ) {}

  /** Resolves with the handler's result; rejects with its error, or why the thread stopped. */
  async run(pool: Piscina<ThreadTask, unknown>): Promise<unknown> {
    const { port1, port2 } = this.channel;
    port1.on('message', (message: ThreadMessage) => this.receive(message));
    const onAbort = (): void => this.forwardAbort();
    this.ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (this.ctx.signal.aborted) onAbort();
    const task: ThreadTask = {
      kind: 'run',
      job: this.job,
      workerId: this.ctx.workerId,
      attempt: this.ctx.attempt,
      port: port2,
      abortFlag: this.abortFlag,
    };
    let failure: { error: unknown } | undefined;
    try {
      await pool.run(task, { transferList: [port2], signal: this.terminate.signal });
    } catch (error) {
      failure = { error };
    } finally {
      this.ctx.signal.removeEventListener('abort', onAbort);
      clearTimeout(this.graceTimer);
      // Messages the thread sent before it finished are queued on the port already.
      for (let entry = receiveMessageOnPort(port1); entry; entry = receiveMessageOnPort(port1)) {
        this.receive(entry.message as ThreadMessage);
      }
      this.closed = true;
      port1.close();
    }
    await Promise.all(this.writes);
    if (failure !== undefined) throw this.stopped(failure.error);
    if (this.outcome?.kind === 'result') return this.outcome.value;
    if (this.outcome?.kind === 'error') throw rebuildError(this.outcome.error);
    throw new DispatchError(
      'JOB_FAILED',
      'the thread finished without reporting how the job ended',
      {
        jobId: this.job.id,
      },
    );
  }

  private receive(message: ThreadMessage): void {
    if (message.kind !== 'progress') {
      this.outcome = message;
      return;
    }
    let write: Promise<void>;
    try {
      write = this.ctx.progress(message.percent, message.message);
    } catch (error) {
      this.send({ kind: 'ack', seq: message.seq, error: serializeError(error) });
      return;
    }
    const acked = write.then(
      () => this.send({ kind: 'ack', seq: message.seq }),
      (error: unknown) =>
        this.send({ kind: 'ack', seq: message.seq, error: serializeError(error) }),
    );
    this.writes.add(acked);
    void acked.then(() => this.writes.delete(acked));
  }

  private send(message: MainMessage): void {
    if (!this.closed) this.channel.port1.postMessage(message);
  }

  private forwardAbort(): void {
    Atomics.store(this.abortFlag, 0, 1);
    this.send({ kind: 'abort', reason: serializeError(this.ctx.signal.reason) });
    this.graceTimer = setTimeout(() => this.terminate.abort(this.ctx.signal.reason), this.graceMs);
  }

  /** The error for a task that piscina rejected: we terminated the thread, or it died. */
  private stopped(error: unknown): unknown {
    if (this.terminate.signal.aborted) {
      this.end = 'terminated';
      return this.ctx.signal.reason;
    }
    if ((error as Error | undefined)?.name === 'DataCloneError') {
      return new UnrecoverableError(
        `job params must be structured-cloneable to run on a thread: ${(error as Error).message}`,
      );
    }
    this.end = 'crashed';
    return new DispatchError(
      'JOB_FAILED',
      `the thread running job "${this.job.id}" died (${describeDeath(error)}); the pool has replaced it`,
      { cause: error, jobId: this.job.id },
    );
  }
}

function describeDeath(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'it ran out of memory under its resourceLimits';
  const exit = /worker exited with code: (-?\d+)/.exec(String(message));
  if (exit !== null) return `it exited with code ${exit[1]}`;
  return typeof message === 'string' ? message : String(error);
}
