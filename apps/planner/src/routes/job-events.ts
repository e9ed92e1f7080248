/**
 * `GET /v1/jobs/:id/events`: one job as server-sent events, from the library's `watch()`.
 *
 * The stream: a `retry:` hint, then a `status` event (the record, from the watch's snapshot), then
 * the job's events as they happen, each with `id:` (the event log id; the status carries the
 * snapshot's log position), ending after the final event. A comment line (`: heartbeat`) every
 * 15 s keeps proxies from closing an idle stream. A client that reconnects sends `Last-Event-ID`
 * (or `?after=`): the stream then replays the job's events after that id (`events({ after,
 * jobId })`) and goes on live, so what it receives across connections is each event once, in
 * order; where the log was trimmed past that id it gets a `gap` event and a fresh `status`.
 *
 * An unknown job is a 404 before the stream opens. No SSE plugin: @fastify/sse is pre-1.0 and
 * needs Node >= 20.20.2 (above this project's >= 20.19), fastify-sse-v2 brings stream shims, and
 * neither helps with resuming; the format is five lines here.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import {
  type Dispatcher,
  type Job,
  type JobEvent,
  type WatchEvent,
  compareEventIds,
  isFinalEvent,
  isFinalStatus,
} from 'jobdispatch';
import { HttpError } from '../http-errors.js';

/** How often an idle stream sends a comment, by default. */
export const SSE_HEARTBEAT_MS = 15_000;
/** The reconnection delay suggested to clients (`retry:`). */
export const SSE_RETRY_MS = 3000;
/**
 * While a stream is open, its job's record is read again this often: a record that disappeared
 * behind the library's back (deleted by hand, lost in a failover) ends the stream with an `error`
 * event (JOB_NOT_FOUND); one that ended without its final event (a trimmed log) with a `status`.
 */
export const SSE_RECHECK_MS = 15_000;

export interface JobEventsDeps {
  readonly dispatcher: Dispatcher;
  /** The open streams, aborted when the app closes. */
  readonly streams: Set<AbortController>;
  readonly view: (job: Job) => Record<string, unknown>;
  /** Default SSE_RECHECK_MS. */
  readonly recheckMs?: number;
  /** Default SSE_HEARTBEAT_MS. */
  readonly heartbeatMs?: number;
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { after: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** An event log id as the library gives them: digit groups joined by '-'. */
const EVENT_ID = /^\d{1,20}(-\d{1,20})?$/;

export function jobEventsRoute(app: FastifyInstance, deps: JobEventsDeps): void {
  const { dispatcher, streams } = deps;
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
    '/v1/jobs/:id/events',
    {
      schema: {
        summary:
          "A job's status and events as server-sent events, until it ends; resumes after Last-Event-ID or ?after=",
        params: idParams,
        querystring: eventsQuery,
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const resume = (Array.isArray(header) ? header[0] : header) ?? request.query.after;
      if (resume !== undefined && !EVENT_ID.test(resume)) {
        const field = header !== undefined ? 'Last-Event-ID' : 'after';
        throw new HttpError(
          'BAD_REQUEST',
          `${field} must be an event id this stream sent, got ${JSON.stringify(resume.slice(0, 64))}`,
        );
      }
      // Before any await: a client that leaves while the record is read leaves nothing behind.
      const controller = new AbortController();
      streams.add(controller);
      controller.signal.addEventListener('abort', () => streams.delete(controller));
      reply.raw.once('close', () => controller.abort());
      if (request.raw.socket.destroyed) controller.abort();
      try {
        const asked = await dispatcher.get(request.params.id);
        if (asked === undefined) {
          throw new HttpError('NOT_FOUND', `no job with id "${request.params.id}"`);
        }
        // A duplicated job joined another execution: follow that one.
        const id = asked.duplicateOf ?? asked.id;
        const signal = controller.signal;
        const watch = dispatcher.watch(id, { signal });
        const first = await watch.next(); // JOB_NOT_FOUND here is still a 404
        if (first.done === true || signal.aborted) {
          await watch.return?.();
          reply.hijack();
          reply.raw.destroy();
          return;
        }
        reply.hijack();
        const stream = new SseWriter(reply.raw, deps.heartbeatMs ?? SSE_HEARTBEAT_MS);
        const recheck = setInterval(() => {
          void recheckRecord(dispatcher, id, deps.view).then((ended) => {
            if (ended === undefined || signal.aborted) return;
            stream.send(undefined, ended.type, ended.data);
            controller.abort();
          });
        }, deps.recheckMs ?? SSE_RECHECK_MS);
        try {
          const snapshot = first.value;
          if (resume === undefined) {
            await follow(stream, deps, concat(first.value, watch));
          } else {
            await watch.return?.();
            await resumeAfter(stream, deps, id, resume, snapshot, signal);
          }
        } finally {
          clearInterval(recheck);
          stream.close();
        }
      } finally {
        controller.abort(); // also after a 404: the stream is no longer open
      }
    },
  );
}

/** Sends what `watch()` yields: each snapshot as `status`, each event under its own type. */
async function follow(
  stream: SseWriter,
  deps: JobEventsDeps,
  items: AsyncIterable<WatchEvent>,
): Promise<void> {
  for await (const item of items) {
    if (item.type === 'snapshot') stream.send(item.id, 'status', deps.view(item.job));
    else stream.send(item.id, item.type, eventView(item));
  }
}

/**
 * A reconnect: the job's events after `after`, then live, until its final event. When the job
 * had already finished at the snapshot, the log is read only up to the snapshot's position (the
 * final event is at or before it): a client that saw the end already just gets the stream's end.
 */
async function resumeAfter(
  stream: SseWriter,
  deps: JobEventsDeps,
  id: string,
  after: string,
  snapshot: WatchEvent,
  signal: AbortSignal,
): Promise<void> {
  if (snapshot.type !== 'snapshot') return;
  const finished = isFinalStatus(snapshot.job.status);
  if (finished && compareEventIds(after, snapshot.id) >= 0) return;
  const events = deps.dispatcher.events({ after, signal, ...(!finished && { jobId: id }) });
  try {
    for await (const event of events) {
      if (event.type === 'gap') {
        stream.send(event.id, 'gap', event);
        // What was missed is gone from the log: the record as it is now, and on from there.
        await events.return?.();
        await follow(stream, deps, deps.dispatcher.watch(id, { signal }));
        return;
      }
      if (event.jobId === id) {
        stream.send(event.id, event.type, eventView(event));
        if (isFinalEvent(event)) return;
      }
      if (finished && compareEventIds(event.id, snapshot.id) >= 0) return;
    }
  } finally {
    await events.return?.();
  }
}

/** Writes server-sent events on a hijacked response, with a heartbeat comment while idle. */
class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly raw: ServerResponse,
    heartbeatMs: number,
  ) {
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    raw.write(`retry: ${SSE_RETRY_MS}\n\n`);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
  }

  send(id: string | undefined, type: string, data: unknown): void {
    const line = id === undefined ? '' : `id: ${id}\n`;
    this.write(`${line}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (!this.raw.destroyed) this.raw.end();
  }

  private write(text: string): void {
    if (!this.raw.destroyed) this.raw.write(text);
  }
}

async function* concat<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}

async function recheckRecord(
  dispatcher: Dispatcher,
  id: string,
  view: (job: Job) => Record<string, unknown>,
): Promise<{ type: string; data: unknown } | undefined> {
  let job: Job | undefined;
  try {
    job = await dispatcher.get(id);
  } catch {
    return undefined; // unreadable right now: look again next time
  }
  if (job === undefined) {
    return {
      type: 'error',
      data: { code: 'JOB_NOT_FOUND', message: `the record of job "${id}" is gone` },
    };
  }
  return isFinalStatus(job.status) ? { type: 'status', data: view(job) } : undefined;
}

function eventView(event: JobEvent): Record<string, unknown> {
  return {
    ...event,
    at: iso(event.at),
    ...(event.runAt !== undefined && { runAt: iso(event.runAt) }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
