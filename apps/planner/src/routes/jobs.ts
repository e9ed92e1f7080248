/**
 * The jobs API: a job's record, its live events as server-sent events, and cancel (admin).
 */
import type { FastifyInstance } from 'fastify';
import { type Dispatcher, type Job, type JobEvent, JobStatus, isFinalStatus } from 'jobdispatch';
import { HttpError } from '../http-errors.js';

/** The public view of a job record. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    priority: job.priority,
    progress: job.progress ?? null,
    attempts: job.attempts,
    dedupKey: job.dedupKey ?? null,
    duplicateOf: job.duplicateOf ?? null,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    startedAt: job.startedAt === undefined ? null : iso(job.startedAt),
    finishedAt: job.finishedAt === undefined ? null : iso(job.finishedAt),
    error: job.error ?? null,
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
}

export function jobRoutes(app: FastifyInstance, deps: JobRoutesDeps): void {
  const { dispatcher } = deps;

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
      deps.requireAdmin(request.headers.authorization);
      const { outcome, job } = await dispatcher.cancel(request.params.id);
      return { outcome, job: jobView(job) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id/events',
    {
      schema: {
        summary: "A job's progress and status as server-sent events, until it ends",
        params: idParams,
      },
    },
    async (request, reply) => {
      let job = await found(dispatcher, request.params.id);
      // A duplicated job joined another execution: follow that one.
      if (job.duplicateOf !== undefined) job = (await dispatcher.get(job.duplicateOf)) ?? job;
      const controller = new AbortController();
      const events = dispatcher.events({ signal: controller.signal });
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.on('close', () => controller.abort());
      const send = (type: string, data: unknown): void => {
        raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      // Re-read after subscribing, so no event between the first read and the subscription is lost.
      const current = (await dispatcher.get(job.id)) ?? job;
      send('status', jobView(current));
      if (!isFinalStatus(current.status)) {
        for await (const event of events) {
          if (event.jobId !== current.id) continue;
          send(event.type, eventView(event));
          if (isFinalStatus(statusAfter(event))) break;
        }
      }
      controller.abort();
      raw.end();
    },
  );
}

async function found(dispatcher: Dispatcher, id: string): Promise<Job> {
  const job = await dispatcher.get(id);
  if (job === undefined) throw new HttpError('NOT_FOUND', `no job with id "${id}"`);
  return job;
}

function eventView(event: JobEvent): Record<string, unknown> {
  return { ...event, at: iso(event.at) };
}

function statusAfter(event: JobEvent): Job['status'] {
  switch (event.type) {
    case 'completed':
    case 'failed':
    case 'cancelled':
    case 'duplicated':
      return event.type;
    default:
      return 'running';
  }
}
