/**
 * The queue API: exact counts per status, and pausing or resuming the whole queue or one job type
 * (admin). A pause stops new jobs from starting; running jobs go on and submits are still taken.
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { adminFirst } from './admin-first.js';

export interface QueueRoutesDeps {
  readonly dispatcher: Dispatcher;
  readonly requireAdmin: (authorization: string | undefined) => void;
}

const countsSchema = {
  type: 'object',
  properties: {
    scheduled: { type: 'integer' },
    queued: { type: 'integer' },
    running: { type: 'integer' },
    completed: { type: 'integer' },
    failed: { type: 'integer' },
    cancelled: { type: 'integer' },
    /** Redis only, when above 0: entries its scripts could not read and moved aside. */
    corrupt: { type: 'integer' },
  },
} as const;

const pausedSchema = {
  type: 'object',
  properties: {
    queue: { type: 'boolean' },
    types: { type: 'array', items: { type: 'string' } },
  },
} as const;

const nameBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export function queueRoutes(app: FastifyInstance, deps: QueueRoutesDeps): void {
  const { dispatcher } = deps;
  // The token is checked before the body is validated: unauthenticated callers get 401, not 400.
  const preValidation = adminFirst(deps.requireAdmin);

  app.get<{ Querystring: { name?: string } }>(
    '/v1/queue/counts',
    {
      schema: {
        summary: 'Exact numbers of the jobs kept in each status, for one job type with name',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
        },
        response: { 200: countsSchema },
      },
    },
    async (request) => {
      const name = request.query.name;
      return dispatcher.counts(name === undefined ? {} : { name });
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Body: { name?: string } | null | undefined }>(
      `/v1/queue/${action}`,
      {
        preValidation,
        schema: {
          summary:
            action === 'pause'
              ? 'Stop starting jobs of the whole queue, or of the job type in name (admin)'
              : 'Start jobs again, of the whole queue or of the job type in name (admin)',
          body: nameBody,
          security: [{ bearer: [] }],
          response: { 200: { type: 'object', properties: { paused: pausedSchema } } },
        },
      },
      async (request) => {
        const name = request.body?.name;
        await (action === 'pause' ? dispatcher.pause(name) : dispatcher.resume(name));
        return { paused: await dispatcher.paused() };
      },
    );
  }
}
