/**
 * The jobs API: the list of jobs by status, a job's record, its live events as server-sent
 * events (job-events.ts), and the admin operations on one job: cancel, retry and delete.
 */
import type { FastifyInstance } from 'fastify';
import {
  type Dispatcher,
  type Job,
  JobStatus,
  LIST_STATUS_ORDER,
  type ListableStatus,
  MAX_LIST_LIMIT,
} from 'jobdispatch';
import { HttpError } from '../http-errors.js';
import { adminFirst } from './admin-first.js';
import { jobEventsRoute } from './job-events.js';

/** The public view of a job record. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    priority: job.priority,
    progress: job.progress ?? null,
    attempts: job.attempts,
    runAt: job.runAt === undefined ? null : iso(job.runAt),
    dedupKey: job.dedupKey ?? null,
    duplicateOf: job.duplicateOf ?? null,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    startedAt: job.startedAt === undefined ? null : iso(job.startedAt),
    finishedAt: job.finishedAt === undefined ? null : iso(job.finishedAt),
    error: job.error === undefined ? null : { code: job.error.code, message: job.error.message },
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: {
      type: 'string',
      enum: Object.values(JobStatus),
    },
    priority: { type: 'integer', minimum: 0, maximum: 2 },
    progress: {
      type: ['object', 'null'],
      properties: { percent: { type: 'number' }, message: { type: 'string' } },
    },
    attempts: { type: 'integer' },
    runAt: { type: ['string', 'null'] },
    dedupKey: { type: ['string', 'null'] },
    duplicateOf: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    startedAt: { type: ['string', 'null'] },
    finishedAt: { type: ['string', 'null'] },
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export interface JobRoutesDeps {
  readonly dispatcher: Dispatcher;
  readonly requireAdmin: (authorization: string | undefined) => void;
  /** Default SSE_RECHECK_MS (job-events.ts). */
  readonly sseRecheckMs?: number;
  /** Default SSE_HEARTBEAT_MS (job-events.ts). */
  readonly sseHeartbeatMs?: number;
}

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', maxLength: 200 },
    name: { type: 'string', minLength: 1, maxLength: 128 },
    limit: { type: 'string', maxLength: 16 },
    cursor: { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;

interface ListQueryString {
  status?: string;
  name?: string;
  limit?: string;
  cursor?: string;
}

const LISTABLE: ReadonlySet<string> = new Set(LIST_STATUS_ORDER);

/** `status=failed,cancelled`: one status or several, comma-separated. */
function parseStatuses(value: string | undefined): ListableStatus[] | undefined {
  if (value === undefined) return undefined;
  const statuses = value.split(',').map((part) => part.trim());
  for (const status of statuses) {
    if (!LISTABLE.has(status)) {
      throw new HttpError(
        'BAD_REQUEST',
        `status must be one or more of ${LIST_STATUS_ORDER.join(', ')} (comma-separated), got ${JSON.stringify(status.slice(0, 40))}`,
      );
    }
  }
  return statuses as ListableStatus[];
}

/** `limit`: decimal digits only (no sign, exponent, hex or Infinity), 1 to MAX_LIST_LIMIT. */
function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    throw new HttpError(
      'BAD_REQUEST',
      `limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(value)}`,
    );
  }
  return limit;
}

export function jobRoutes(app: FastifyInstance, deps: JobRoutesDeps): void {
  const { dispatcher } = deps;
  // Open streams end when the app closes: a stream on a job that never ends must not hold close().
  const streams = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.abort();
    done();
  });

  const admin = { preValidation: adminFirst(deps.requireAdmin) };

  app.get<{ Querystring: ListQueryString }>(
    '/v1/jobs',
    {
      schema: {
        summary:
          'Jobs by status: queued in the order they will run, scheduled by due time, running by start, finished newest first',
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              jobs: { type: 'array', items: jobSchema },
              cursor: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
    async (request) => {
      const { status, name, limit, cursor } = request.query;
      const statuses = parseStatuses(status);
      const size = parseLimit(limit);
      const page = await dispatcher.list({
        ...(statuses !== undefined && { status: statuses }),
        ...(name !== undefined && { name }),
        ...(size !== undefined && { limit: size }),
        ...(cursor !== undefined && { cursor }),
      });
      return { jobs: page.jobs.map(jobView), cursor: page.cursor ?? null };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/retry',
    {
      ...admin,
      schema: {
        summary: 'Queue a failed or cancelled job again, with a fresh retry budget (admin)',
        params: idParams,
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', properties: { job: jobSchema } } },
      },
    },
    async (request) => ({ job: jobView(await dispatcher.retry(request.params.id)) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      ...admin,
      schema: {
        summary: 'Delete the record of a job that is not running (admin)',
        params: idParams,
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      const removed = await dispatcher.remove(request.params.id);
      if (!removed) throw new HttpError('NOT_FOUND', `no job with id "${request.params.id}"`);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      schema: {
        summary: "A job's record",
        params: idParams,
        response: { 200: jobSchema },
      },
    },
    async (request) => jobView(await found(dispatcher, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued or running job (admin)',
        params: idParams,
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: { outcome: { type: 'string' }, job: jobSchema },
          },
        },
      },
    },
    async (request) => {
      // Checked first in onRequest too (route-guards.ts: the schema's security); kept here as well.
      deps.requireAdmin(request.headers.authorization);
      const { outcome, job } = await dispatcher.cancel(request.params.id);
      return { outcome, job: jobView(job) };
    },
  );

  jobEventsRoute(app, {
    dispatcher,
    streams,
    view: jobView,
    ...(deps.sseRecheckMs !== undefined && { recheckMs: deps.sseRecheckMs }),
    ...(deps.sseHeartbeatMs !== undefined && { heartbeatMs: deps.sseHeartbeatMs }),
  });
}

async function found(dispatcher: Dispatcher, id: string): Promise<Job> {
  const job = await dispatcher.get(id);
  if (job === undefined) throw new HttpError('NOT_FOUND', `no job with id "${id}"`);
  return job;
}
