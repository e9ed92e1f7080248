/**
 * The queue API: exact counts per status, and pausing or resuming the whole queue or one job type
 * (admin). A pause stops new jobs from starting; running jobs go on and submits are still taken.
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { echo } from '../echo.js';
import { HttpError } from '../http-errors.js';
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

const nameProperty = { name: { type: 'string', minLength: 1, maxLength: 128 } } as const;

const nameBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: nameProperty,
} as const;

/** `?name=` is taken too: ignoring it would pause the whole queue when one type was meant. */
const nameQuery = {
  type: 'object',
  additionalProperties: false,
  properties: nameProperty,
} as const;

/** The job type named in the body or the query string (the same one if both name it). */
function typeName(body: string | undefined, query: string | undefined): string | undefined {
  if (body !== undefined && query !== undefined && body !== query) {
    throw new HttpError(
      'BAD_REQUEST',
      `name must be given once (in the body or the query string), got ${echo(body)} and ${echo(query)}`,
    );
  }
  return body ?? query;
}

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
    app.post<{ Body: { name?: string } | null | undefined; Querystring: { name?: string } }>(
      `/v1/queue/${action}`,
      {
        preValidation,
        schema: {
          summary:
            action === 'pause'
              ? 'Stop starting jobs of the whole queue, or of the job type in name (admin)'
              : 'Start jobs again, of the whole queue or of the job type in name (admin)',
          body: nameBody,
          querystring: nameQuery,
          security: [{ bearer: [] }],
          response: { 200: { type: 'object', properties: { paused: pausedSchema } } },
        },
      },
      async (request) => {
        const name = typeName(request.body?.name, request.query.name);
        await (action === 'pause' ? dispatcher.pause(name) : dispatcher.resume(name));
        return { paused: await dispatcher.paused() };
      },
    );
  }
}
