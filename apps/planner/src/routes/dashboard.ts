/**
 * What the dashboard needs beyond the public jobs and queue API: one overview (per level queued
 * and wait, per type counts by state, pauses) as JSON and as a live server-sent stream, a job's
 * full record (params, result, error with stack), a priority change and "retry every failed job
 * of a type" (both admin).
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher, Job, JobCounts } from 'jobdispatch';
import { HttpError, errorAnswer } from '../http-errors.js';
import { ANALYTICS_JOB_TYPE, PLANNING_JOB_TYPE } from '../job-types.js';
import { adminFirst } from './admin-first.js';
import { jobSchema, jobView } from './jobs.js';

export interface DashboardRoutesDeps {
  readonly dispatcher: Dispatcher;
  readonly requireAdmin: (authorization: string | undefined) => void;
}

/** The overview stream sends at most this often while events arrive, and at least this often. */
export const OVERVIEW_MIN_INTERVAL_MS = 500;
export const OVERVIEW_MAX_INTERVAL_MS = 5_000;
/** "Retry all failed" requeues at most this many jobs per call; the answer says when more remain. */
export const RETRY_ALL_LIMIT = 10_000;

export interface Overview {
  readonly levels: Awaited<ReturnType<Dispatcher['stats']>>['levels'];
  readonly counts: JobCounts;
  readonly types: Record<string, JobCounts>;
  readonly paused: { readonly queue: boolean; readonly types: readonly string[] };
  readonly at: string;
}

/**
 * The job types shown: the `known` ones (the service's own, listed from the start even with no
 * record), those in the dispatcher's stats (started or ended since it started), and the paused
 * ones.
 */
export async function overview(
  dispatcher: Dispatcher,
  known: Iterable<string> = [],
): Promise<Overview> {
  const [stats, counts, paused] = await Promise.all([
    dispatcher.stats(),
    dispatcher.counts(),
    dispatcher.paused(),
  ]);
  const names = [...new Set([...known, ...Object.keys(stats.types), ...paused.types])].sort();
  const perType = await Promise.all(names.map((name) => dispatcher.counts({ name })));
  return {
    levels: stats.levels,
    counts,
    types: Object.fromEntries(names.map((name, i) => [name, perType[i]!])),
    paused,
    at: new Date().toISOString(),
  };
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export function dashboardRoutes(app: FastifyInstance, deps: DashboardRoutesDeps): void {
  const { dispatcher } = deps;
  // The service's job types, and every type an event has named since (a job only submitted, or
  // queued by another process, has no stats entry yet).
  const known = new Set<string>([PLANNING_JOB_TYPE, ANALYTICS_JOB_TYPE]);
  const offNames = dispatcher.on('*', (event) => known.add(event.name));
  app.addHook('onClose', (_app, done) => {
    offNames();
    done();
  });
  const preValidation = adminFirst(deps.requireAdmin);
  // Open overview streams never end by themselves: end them when the app closes, so that closing
  // the server does not wait on a dashboard tab.
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    done();
  });

  app.get(
    '/v1/dashboard/overview',
    {
      schema: {
        summary: 'Per level queued and wait, per job type counts by status, and the pauses',
      },
    },
    () => overview(dispatcher, known),
  );

  app.get(
    '/v1/dashboard/overview/stream',
    {
      schema: {
        summary:
          'The overview as server-sent events ("overview"), sent when jobs change (at most every 500 ms) and every 5 s',
      },
    },
    (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.write('retry: 2000\n\n');
      let closed = false;
      let sending = false;
      let again = false;
      let timer: NodeJS.Timeout | undefined;
      let lastSent = 0;
      const send = async (): Promise<void> => {
        if (closed) return;
        if (sending) {
          again = true;
          return;
        }
        sending = true;
        try {
          const data = await overview(dispatcher, known);
          if (!closed) raw.write(`event: overview\ndata: ${JSON.stringify(data)}\n\n`);
        } catch (error) {
          request.log.warn({ err: error }, 'dashboard overview failed');
          // The error as an answer would carry it: its code and the service's own text, never
          // the Redis client's (addresses, internals), which stays in the log.
          const { error: data } = errorAnswer(error).body;
          if (!closed) raw.write(`event: unavailable\ndata: ${JSON.stringify(data)}\n\n`);
        } finally {
          sending = false;
          lastSent = Date.now();
          schedule(OVERVIEW_MAX_INTERVAL_MS);
          if (again) {
            again = false;
            schedule(OVERVIEW_MIN_INTERVAL_MS);
          }
        }
      };
      const schedule = (delayMs: number): void => {
        if (closed) return;
        clearTimeout(timer);
        timer = setTimeout(() => void send(), delayMs);
      };
      const off = dispatcher.on('*', () => {
        // Coalesce bursts: one send at most every OVERVIEW_MIN_INTERVAL_MS.
        schedule(Math.max(0, OVERVIEW_MIN_INTERVAL_MS - (Date.now() - lastSent)));
      });
      const end = (): void => {
        closed = true;
        clearTimeout(timer);
        off();
        streams.delete(end);
        raw.end();
      };
      streams.add(end);
      raw.on('close', end);
      if (request.raw.socket.destroyed) end(); // the client left before the stream opened
      void send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/dashboard/jobs/:id',
    {
      schema: {
        summary: "A job's full record: params, result, and error with class name and stack",
        params: idParams,
      },
    },
    async (request) => {
      const job = await dispatcher.get(request.params.id);
      if (job === undefined) {
        throw new HttpError('NOT_FOUND', `no job with id "${request.params.id}"`);
      }
      return { job: detailView(job) };
    },
  );

  app.post<{ Params: { id: string }; Body: { priority: number } }>(
    '/v1/jobs/:id/priority',
    {
      preValidation,
      schema: {
        summary:
          'Move a queued or scheduled job to another priority (0 low, 1 normal, 2 high), at the back of that level (admin)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['priority'],
          properties: { priority: { type: 'integer', minimum: 0, maximum: 2 } },
        },
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', properties: { job: jobSchema } } },
      },
    },
    async (request) => ({
      job: jobView(await dispatcher.setPriority(request.params.id, request.body.priority)),
    }),
  );

  app.post<{ Body: { name: string } }>(
    '/v1/jobs/retry-failed',
    {
      preValidation,
      schema: {
        summary: 'Queue again every failed job of the type in name (admin)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
        },
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              retried: { type: 'integer' },
              skipped: { type: 'integer' },
              more: { type: 'boolean' },
            },
          },
        },
      },
    },
    async (request) => retryAllFailed(dispatcher, request.body.name),
  );
}

/**
 * Collects the ids first (paging with the cursor, which is stable while nobody moves them), then
 * retries each: retrying while paging would move jobs out of the list under the cursor. A job
 * that changed state in between (retried or removed by someone else) is skipped and counted.
 */
export async function retryAllFailed(
  dispatcher: Dispatcher,
  name: string,
): Promise<{ retried: number; skipped: number; more: boolean }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await dispatcher.list({
      status: 'failed',
      name,
      limit: 1000,
      ...(cursor !== undefined && { cursor }),
    });
    ids.push(...page.jobs.map((job) => job.id));
    cursor = page.cursor;
  } while (cursor !== undefined && ids.length < RETRY_ALL_LIMIT);
  const chosen = ids.slice(0, RETRY_ALL_LIMIT);
  let retried = 0;
  for (const id of chosen) {
    try {
      await dispatcher.retry(id);
      retried += 1;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'INVALID_STATE') {
        if ((error as { code?: unknown }).code !== 'JOB_NOT_FOUND') throw error;
      }
    }
  }
  return {
    retried,
    skipped: chosen.length - retried,
    more: cursor !== undefined || ids.length > chosen.length,
  };
}

function detailView(job: Job): Record<string, unknown> {
  return {
    ...jobView(job),
    description: job.description ?? null,
    params: job.params ?? null,
    result: job.result ?? null,
    error:
      job.error === undefined
        ? null
        : {
            code: job.error.code,
            message: job.error.message,
            name: job.error.name ?? null,
            stack: job.error.stack ?? null,
          },
    timeoutMs: job.timeoutMs ?? null,
    retries: job.retries ?? null,
    cancelRequested: job.cancelRequested ?? false,
  };
}
